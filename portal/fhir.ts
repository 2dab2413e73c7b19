/**
 * The resident's whole record as a FHIR R4 Bundle (PIPL art. 45, a machine-readable copy): built
 * from what the gateway released to them, so it holds exactly what the portal shows. Level-5 records
 * carry the HL7 confidentiality code R (restricted) in `meta.security`.
 */
import { createHash } from 'node:crypto';
import { SENSITIVE_LEVEL, type Diagnosis, type Encounter, type LabItem, type Named, type ResidentRecord } from './shared/archive.js';

export type FhirResource = { resourceType: string; id: string } & Record<string, unknown>;
export interface FhirBundle {
  resourceType: 'Bundle';
  id: string;
  meta: { lastUpdated: string };
  type: 'collection';
  timestamp: string;
  entry: Array<{ fullUrl: string; resource: FhirResource }>;
}

const BASE = 'https://healthmesh.local/fhir';
const SYSTEMS = {
  idCard: 'urn:oid:2.16.156.10011.1.1',
  residentId: `${BASE}/sid/resident`,
  institution: `${BASE}/sid/institution`,
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  diagnosticCategory: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  loinc: 'http://loinc.org',
  local: `${BASE}/CodeSystem/local`,
  nipVaccine: `${BASE}/CodeSystem/nip-vaccine`,
  drug: `${BASE}/CodeSystem/drug`,
  icd10cn: 'urn:oid:2.16.156.10011.2.3.3.11',
} as const;

/** GB/T 2261.1 sex codes → FHIR administrative gender. */
const GENDER: Readonly<Record<string, string>> = { '1': 'male', '2': 'female', '0': 'unknown', '9': 'unknown' };
const ENCOUNTER_CLASS: Readonly<Record<string, [code: string, display: string]>> = {
  OUTPATIENT: ['AMB', 'ambulatory'],
  INPATIENT: ['IMP', 'inpatient encounter'],
  EMERGENCY: ['EMER', 'emergency'],
  PHYSICAL_EXAM: ['AMB', 'ambulatory'],
};
const INTERPRETATION: Readonly<Record<string, string>> = { H: 'H', HH: 'HH', L: 'L', LL: 'LL', N: 'N', A: 'A', POS: 'POS', NEG: 'NEG' };

/** A FHIR id (`[A-Za-z0-9-.]{1,64}`): the platform id when it fits, else a digest of it. */
export function fhirId(id: string): string {
  return /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? id : createHash('sha256').update(id).digest('hex').slice(0, 32);
}

function ref(type: string, id: string, display?: string | null): Record<string, string> {
  return display ? { reference: `${type}/${fhirId(id)}`, display } : { reference: `${type}/${fhirId(id)}` };
}

/** Only keys with a value: FHIR forbids nulls and empty arrays. */
function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))) as T;
}

function security(level: number | null | undefined): Record<string, unknown> | undefined {
  return level !== null && level !== undefined && level >= SENSITIVE_LEVEL
    ? { security: [{ system: SYSTEMS.confidentiality, code: 'R', display: 'restricted' }] }
    : undefined;
}

function diagnosisSystem(codeSystem: string | null): string {
  return codeSystem?.startsWith('ICD-10') ? SYSTEMS.icd10cn : `${SYSTEMS.local}/${encodeURIComponent(codeSystem ?? 'unknown')}`;
}

function coding(system: string, code: string | null, display: string | null, version?: string | null): Record<string, unknown> {
  return compact({ coding: code ? [compact({ system, version, code, display })] : undefined, text: display });
}

/** The numeric value of a lab item as a Quantity, or the text as it was reported. */
function observationValue(item: LabItem): Record<string, unknown> {
  const number = item.value !== null && /^-?\d+(\.\d+)?$/.test(item.value.trim()) ? Number(item.value) : undefined;
  if (number !== undefined) return { valueQuantity: compact({ value: number, unit: item.unit }) };
  return item.value ? { valueString: item.value } : {};
}

export function toFhirBundle(record: ResidentRecord, consents: readonly FhirResource[], now: Date = new Date()): FhirBundle {
  const resources: FhirResource[] = [];
  const organizations = new Map<string, Named>();
  const organization = (institution: Named | null) => {
    if (!institution) return undefined;
    organizations.set(institution.id, institution);
    return ref('Organization', institution.id, institution.name);
  };
  const patient = ref('Patient', record.id);

  resources.push(
    compact({
      resourceType: 'Patient',
      id: fhirId(record.id),
      identifier: [
        { system: SYSTEMS.residentId, value: record.id },
        ...(record.idCardNumber ? [{ system: SYSTEMS.idCard, value: record.idCardNumber, type: { text: '居民身份证' } }] : []),
      ],
      name: record.name ? [{ text: record.name }] : undefined,
      gender: record.sex ? (GENDER[record.sex] ?? 'unknown') : undefined,
      birthDate: record.birthDate,
      telecom: record.phone ? [{ system: 'phone', value: record.phone }] : undefined,
      address: record.address || record.district ? [compact({ text: record.address, district: record.district?.name, country: 'CN' })] : undefined,
      contact: record.guardianId ? [{ relationship: [{ text: 'guardian' }], name: { text: record.guardianId } }] : undefined,
    }),
  );

  for (const encounter of record.encounters ?? []) encounterResources(encounter, patient, organization, resources);

  for (const report of record.labReports ?? []) {
    const observations = (report.items ?? []).map((item) =>
      compact({
        resourceType: 'Observation',
        id: fhirId(item.id),
        meta: security(report.level),
        status: 'final',
        category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'laboratory' }] }],
        code: compact({
          coding: [
            ...(item.loinc ? [{ system: SYSTEMS.loinc, code: item.loinc }] : []),
            ...(item.localCode ? [compact({ system: SYSTEMS.local, code: item.localCode, display: item.name })] : []),
          ],
          text: item.name,
        }),
        subject: patient,
        effectiveDateTime: report.collectedAt,
        ...observationValue(item),
        interpretation: item.abnormalFlag && INTERPRETATION[item.abnormalFlag] ? [{ coding: [{ system: SYSTEMS.interpretation, code: INTERPRETATION[item.abnormalFlag] }] }] : undefined,
        referenceRange: item.referenceRange ? [{ text: item.referenceRange }] : undefined,
      }) as FhirResource,
    );
    resources.push(
      compact({
        resourceType: 'DiagnosticReport',
        id: fhirId(report.id),
        meta: security(report.level),
        status: 'final',
        category: [{ coding: [{ system: SYSTEMS.diagnosticCategory, code: 'LAB', display: 'Laboratory' }] }],
        code: coding(SYSTEMS.local, report.panelCode, report.panelName),
        subject: patient,
        effectiveDateTime: report.collectedAt,
        issued: report.reportedAt,
        performer: [organization(report.institution)].filter(Boolean),
        result: observations.map((o) => ref('Observation', o.id)),
      }) as FhirResource,
      ...observations,
    );
  }

  for (const imaging of record.imagingReports ?? []) {
    resources.push(
      compact({
        resourceType: 'DiagnosticReport',
        id: fhirId(imaging.id),
        meta: security(imaging.level),
        status: 'final',
        category: [{ coding: [{ system: SYSTEMS.diagnosticCategory, code: 'RAD', display: 'Radiology' }] }],
        code: { text: [imaging.modality, imaging.bodyPart].filter(Boolean).join(' ') || 'imaging' },
        subject: patient,
        effectiveDateTime: imaging.performedAt,
        performer: [organization(imaging.institution)].filter(Boolean),
        conclusion: [imaging.findings, imaging.impression].filter(Boolean).join('\n') || undefined,
      }) as FhirResource,
    );
  }

  for (const dose of record.immunizations ?? []) {
    resources.push(
      compact({
        resourceType: 'Immunization',
        id: fhirId(dose.id),
        meta: security(dose.level),
        status: 'completed',
        vaccineCode: coding(SYSTEMS.nipVaccine, dose.vaccineCode, dose.vaccineName),
        patient,
        occurrenceDateTime: dose.administeredOn ?? undefined,
        lotNumber: dose.lotNumber,
        manufacturer: dose.manufacturer ? { display: dose.manufacturer } : undefined,
        performer: dose.institution ? [{ actor: organization(dose.institution) }] : undefined,
        site: dose.site ? { text: dose.site } : undefined,
        route: dose.route ? { text: dose.route } : undefined,
        protocolApplied: dose.doseNumber ? [{ doseNumberPositiveInt: dose.doseNumber }] : undefined,
      }) as FhirResource,
    );
  }

  const archive = record.healthArchive;
  if (archive) {
    (archive.chronicConditions ?? []).forEach((condition, index) => {
      resources.push(
        compact({
          resourceType: 'Condition',
          id: fhirId(`${archive.id}-chronic-${index}`),
          meta: security(archive.level),
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
          category: [{ coding: [{ system: SYSTEMS.conditionCategory, code: 'problem-list-item' }] }],
          code: coding(diagnosisSystem(condition.codeSystem), condition.code, condition.display, condition.codeSystemVersion),
          subject: patient,
          onsetDateTime: condition.since ?? undefined,
        }) as FhirResource,
      );
    });
    for (const exam of [...(archive.physicalExams ?? []).map((e) => ({ ...e, date: e.examDate, note: e.summary })), ...(archive.followUps ?? []).map((f) => ({ ...f, date: f.visitDate, note: f.assessment }))]) {
      if (exam.systolic === null || exam.diastolic === null) continue;
      resources.push(
        compact({
          resourceType: 'Observation',
          id: fhirId(`${exam.id}-bp`),
          meta: security(exam.level),
          status: 'final',
          category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'vital-signs' }] }],
          code: { coding: [{ system: SYSTEMS.loinc, code: '85354-9', display: 'Blood pressure panel' }], text: '血压' },
          subject: patient,
          effectiveDateTime: exam.date ?? undefined,
          note: exam.note ? [{ text: exam.note }] : undefined,
          component: [
            { code: { coding: [{ system: SYSTEMS.loinc, code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: exam.systolic, unit: 'mmHg' } },
            { code: { coding: [{ system: SYSTEMS.loinc, code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: { value: exam.diastolic, unit: 'mmHg' } },
          ],
        }) as FhirResource,
      );
    }
  }

  for (const institution of organizations.values()) {
    resources.push({ resourceType: 'Organization', id: fhirId(institution.id), identifier: [{ system: SYSTEMS.institution, value: institution.id }], name: institution.name });
  }
  resources.push(...consents);

  return {
    resourceType: 'Bundle',
    id: fhirId(`export-${record.id}-${now.getTime()}`),
    meta: { lastUpdated: now.toISOString() },
    type: 'collection',
    timestamp: now.toISOString(),
    entry: resources.map((resource) => ({ fullUrl: `${BASE}/${resource.resourceType}/${resource.id}`, resource })),
  };
}

function encounterResources(
  encounter: Encounter,
  patient: Record<string, string>,
  organization: (institution: Named | null) => Record<string, string> | undefined,
  resources: FhirResource[],
): void {
  const [classCode, classDisplay] = ENCOUNTER_CLASS[encounter.encounterClass ?? ''] ?? ['AMB', 'ambulatory'];
  const encounterRef = ref('Encounter', encounter.id);
  resources.push(
    compact({
      resourceType: 'Encounter',
      id: fhirId(encounter.id),
      meta: security(encounter.level),
      status: 'finished',
      class: { system: SYSTEMS.actCode, code: classCode, display: classDisplay },
      serviceType: encounter.department ? { text: encounter.department } : undefined,
      subject: patient,
      period: encounter.startedAt ? compact({ start: encounter.startedAt, end: encounter.endedAt }) : undefined,
      reasonCode: encounter.chiefComplaint ? [{ text: encounter.chiefComplaint }] : undefined,
      diagnosis: (encounter.diagnoses ?? []).map((d, index) => ({ condition: ref('Condition', d.id), rank: index + 1 })),
      serviceProvider: organization(encounter.institution),
    }) as FhirResource,
  );
  for (const diagnosis of encounter.diagnoses ?? []) resources.push(conditionOf(diagnosis, encounter, patient, encounterRef));
  for (const prescription of encounter.prescriptions ?? []) {
    resources.push(
      compact({
        resourceType: 'MedicationRequest',
        id: fhirId(prescription.id),
        meta: security(prescription.level ?? encounter.level),
        status: 'completed',
        intent: 'order',
        medicationCodeableConcept: coding(SYSTEMS.drug, prescription.drugCode, prescription.drugName),
        subject: patient,
        encounter: encounterRef,
        authoredOn: prescription.prescribedAt ?? undefined,
        dosageInstruction: [
          compact({
            text: [prescription.dosage, prescription.frequency, prescription.days ? `${prescription.days} 天` : null].filter(Boolean).join('，') || undefined,
            route: prescription.route ? { text: prescription.route } : undefined,
          }),
        ],
        dispenseRequest: prescription.days ? { expectedSupplyDuration: { value: prescription.days, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } } : undefined,
      }) as FhirResource,
    );
  }
}

function conditionOf(diagnosis: Diagnosis, encounter: Encounter, patient: Record<string, string>, encounterRef: Record<string, string>): FhirResource {
  return compact({
    resourceType: 'Condition',
    id: fhirId(diagnosis.id),
    meta: security(diagnosis.level ?? encounter.level),
    category: [{ coding: [{ system: SYSTEMS.conditionCategory, code: 'encounter-diagnosis' }] }],
    code: coding(diagnosisSystem(diagnosis.codeSystem), diagnosis.code, diagnosis.display, diagnosis.codeSystemVersion),
    subject: patient,
    encounter: encounterRef,
    recordedDate: diagnosis.recordedAt ?? encounter.startedAt ?? undefined,
  }) as FhirResource;
}
