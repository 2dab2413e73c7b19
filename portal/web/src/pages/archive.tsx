/** The whole record (点对点开放): identity in clear, visits, results, imaging, immunisations, health archive. */
import { useState } from 'preact/hooks';
import { MY_ARCHIVE_QUERY, WARD_ARCHIVE_QUERY, type HealthArchive, type LabReport, type ResidentRecord } from '../../../shared/archive';
import { download, gql } from '../api';
import type { Subject } from '../app';
import { Level5, Loading, Records, Section } from '../components';
import { fill, formatDate, formatDateTime, words } from '../i18n';
import { useLoad } from '../load';
import { TrendChart } from './trend';

export function ArchivePage({ subject }: { subject: Subject }) {
  const t = words();
  const record = useLoad(
    async () =>
      subject.self
        ? (await gql<{ myArchive: ResidentRecord | null }>(MY_ARCHIVE_QUERY)).myArchive
        : (await gql<{ resident: ResidentRecord | null }>(WARD_ARCHIVE_QUERY, { id: subject.id })).resident,
    [subject.id],
  );
  return (
    <>
      <h1>{t.navArchive}</h1>
      <Loading loaded={record}>{(data) => (data ? <Record record={data} subject={subject} /> : <p>{t.none}</p>)}</Loading>
    </>
  );
}

function Record({ record, subject }: { record: ResidentRecord; subject: Subject }) {
  const t = words();
  return (
    <>
      <Section id="identity" title={t.identity}>
        <dl class="facts">
          <dt>{t.name}</dt>
          <dd>{record.name ?? '—'}</dd>
          <dt>{t.sex}</dt>
          <dd>{record.sex ? (t.sexes[record.sex] ?? record.sex) : '—'}</dd>
          <dt>{t.birthDate}</dt>
          <dd>{record.birthDate ?? '—'}</dd>
          <dt>{t.idCard}</dt>
          <dd class="mono">{record.idCardNumber ?? '—'}</dd>
          <dt>{t.phone}</dt>
          <dd class="mono">{record.phone ?? '—'}</dd>
          <dt>{t.address}</dt>
          <dd>{record.address ?? '—'}</dd>
          <dt>{t.district}</dt>
          <dd>{record.district?.name ?? '—'}</dd>
        </dl>
      </Section>
      <ExportCard subject={subject} residentId={record.id} />
      <Section id="encounters" title={t.encounters}>
        <Records items={record.encounters}>
          {(encounter) => (
            <>
              <p class="row">
                <strong>{formatDate(encounter.startedAt)}</strong> {encounter.institution?.name} · {encounter.department} <Level5 level={encounter.level} />
              </p>
              {encounter.chiefComplaint && <p class="muted">{encounter.chiefComplaint}</p>}
              {(encounter.diagnoses ?? []).length > 0 && (
                <p>
                  <span class="label">{t.diagnoses}：</span>
                  {(encounter.diagnoses ?? []).map((d) => (
                    <span key={d.id} class="chip">
                      {d.display} <span class="mono muted">{d.code}</span> <Level5 level={d.level} />
                    </span>
                  ))}
                </p>
              )}
              {(encounter.prescriptions ?? []).length > 0 && (
                <p>
                  <span class="label">{t.prescriptions}：</span>
                  {(encounter.prescriptions ?? []).map((p) => (
                    <span key={p.id} class="chip">
                      {p.drugName} {p.dosage} {p.frequency}
                      {p.days ? ` ×${p.days}` : ''}
                    </span>
                  ))}
                </p>
              )}
            </>
          )}
        </Records>
      </Section>
      <Section id="labs" title={t.labs}>
        <h3>{t.trend}</h3>
        <TrendChart reports={record.labReports ?? []} />
        {(record.labReports ?? []).length === 0 ? <p>{t.none}</p> : (record.labReports ?? []).map((report) => <LabTable key={report.id} report={report} />)}
      </Section>
      <Section id="imaging" title={t.imaging}>
        <Records items={record.imagingReports}>
          {(report) => (
            <>
              <p class="row">
                <strong>{formatDate(report.performedAt)}</strong> {report.modality} {report.bodyPart} · {report.institution?.name} <Level5 level={report.level} />
              </p>
              <p>
                <span class="label">{t.findings}：</span>
                {report.findings}
              </p>
              <p>
                <span class="label">{t.impression}：</span>
                {report.impression}
              </p>
            </>
          )}
        </Records>
      </Section>
      <Section id="immunizations" title={t.immunizations}>
        <Records items={record.immunizations}>
          {(dose) => (
            <>
              <strong>{dose.administeredOn}</strong> {dose.vaccineName} · {fill(t.dose, { n: dose.doseNumber ?? '?' })} · {dose.institution?.name}
            </>
          )}
        </Records>
      </Section>
      <Section id="health-archive" title={t.healthArchive}>
        {!record.healthArchive ? <p>{t.none}</p> : <HealthArchiveView archive={record.healthArchive} />}
      </Section>
    </>
  );
}

function HealthArchiveView({ archive }: { archive: HealthArchive }) {
  const t = words();
  return (
    <>
      <p>
        {t.archiveNumber}：<span class="mono">{archive.archiveNumber}</span> · {archive.managingInstitution?.name} <Level5 level={archive.level} />
      </p>
      <h3>{t.chronic}</h3>
      <p>
        {(archive.chronicConditions ?? []).map((c) => (
          <span key={c.code} class="chip">
            {c.display} {c.since ? `(${c.since})` : ''}
          </span>
        ))}
        {(archive.chronicConditions ?? []).length === 0 && t.none}
      </p>
      <h3>{t.allergies}</h3>
      <p>{(archive.allergies ?? []).map((a) => `${a.substance ?? ''} ${a.reaction ?? ''}`).join('；') || t.none}</p>
      <h3>{t.exams}</h3>
      <Records items={archive.physicalExams}>
        {(exam) => (
          <>
            <strong>{exam.examDate}</strong> {t.bloodPressure} {exam.systolic}/{exam.diastolic} mmHg · {t.glucose} {exam.fastingGlucose} mmol/L {exam.summary ? `· ${exam.summary}` : ''}
          </>
        )}
      </Records>
      <h3>{t.followUps}</h3>
      <Records items={archive.followUps}>
        {(visit) => (
          <>
            <strong>{visit.visitDate}</strong> {visit.programme} · {t.bloodPressure} {visit.systolic ?? '—'}/{visit.diastolic ?? '—'} · {visit.assessment}
          </>
        )}
      </Records>
    </>
  );
}

function LabTable({ report }: { report: LabReport }) {
  const t = words();
  return (
    <div class="lab">
      <h3>
        {report.panelName} · {formatDateTime(report.collectedAt)} · {report.institution?.name} <Level5 level={report.level} />
      </h3>
      <div class="scroll" tabIndex={0} role="region" aria-label={report.panelName ?? t.labs}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t.item}</th>
              <th scope="col">{t.value}</th>
              <th scope="col">{t.referenceRange}</th>
            </tr>
          </thead>
          <tbody>
            {(report.items ?? []).map((item) => {
              const flag = item.abnormalFlag && item.abnormalFlag !== 'N' ? item.abnormalFlag : undefined;
              return (
                <tr key={item.id} class={flag ? 'abnormal' : undefined}>
                  <th scope="row">{item.name}</th>
                  <td>
                    {item.value} {item.unit}
                    {flag && <span class="flag"> {t.abnormal[flag] ?? flag} {flag.startsWith('H') ? '↑' : flag.startsWith('L') ? '↓' : ''}</span>}
                  </td>
                  <td>{item.referenceRange}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ExportCard({ subject, residentId }: { subject: Subject; residentId: string }) {
  const t = words();
  const [state, setState] = useState<'idle' | 'done' | Error>('idle');
  return (
    <Section id="export" title={t.exportTitle}>
      <p class="muted">{t.exportHint}</p>
      <button
        type="button"
        class="primary"
        onClick={() =>
          download(subject.self ? '/fhir/export' : `/fhir/export?residentId=${encodeURIComponent(subject.id)}`, `healthmesh-${residentId}.fhir.json`).then(
            () => setState('done'),
            (error: Error) => setState(error),
          )
        }
      >
        {t.exportButton}
      </button>
      {state === 'done' && <p role="status">{t.exported}</p>}
      {state instanceof Error && <p role="alert" class="error">{t.error}: {state.message}</p>}
    </Section>
  );
}
