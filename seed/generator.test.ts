import { describe, expect, it } from 'vitest';
import { assertKnownCode, abnormalFlag, labPanel } from '../schema/codes.js';
import { parseIdCardNumber } from '../schema/id-card.js';
import { sensitivityOfDepartment } from '../schema/sensitivity.js';
import { demoActors } from './demo.js';
import { DEFAULT_AS_OF, DEFAULT_SEED, bundleRowCount, generateResident, residentId, type ResidentBundle } from './generator.js';
import { buildRegion } from './region.js';
import { distinctCell } from './unique.js';

const SAMPLE = 400;
const sample: ResidentBundle[] = Array.from({ length: SAMPLE }, (_, i) => generateResident(DEFAULT_SEED, i));
const asOfEnd = new Date(`${DEFAULT_AS_OF}T23:59:59+08:00`);

describe('generateResident', () => {
  it('gives an identical bundle for the same seed and index', () => {
    expect(generateResident(DEFAULT_SEED, 17)).toEqual(generateResident(DEFAULT_SEED, 17));
  });

  it('gives a different resident for a different seed', () => {
    const a = generateResident('alpha', 17).resident;
    const b = generateResident('beta', 17).resident;
    expect(a.id).toBe(b.id);
    expect(a.idCardNumber).not.toBe(b.idCardNumber);
  });

  it('gives every resident a valid ID-card number whose 17th digit and birth date agree with the record', () => {
    const disagreements = sample.filter(({ resident }) => {
      const parsed = parseIdCardNumber(resident.idCardNumber, asOfEnd);
      return parsed.sex !== resident.sex || parsed.birthDate !== resident.birthDate;
    });
    expect(disagreements).toEqual([]);
  });

  it('never repeats an ID-card number or an archive number', () => {
    expect(new Set(sample.map((b) => b.resident.idCardNumber)).size).toBe(SAMPLE);
    expect(new Set(sample.map((b) => b.healthArchive.archiveNumber)).size).toBe(SAMPLE);
  });

  it('keeps ID-card numbers unique for indices that share a slot (i and i + 180,675)', () => {
    const far = [0, 1, 2, 5].map((i) => generateResident(DEFAULT_SEED, i + 365 * 99 * 5).resident.idCardNumber);
    const near = [0, 1, 2, 5].map((i) => sample[i]!.resident.idCardNumber);
    expect(far.filter((id) => near.includes(id))).toEqual([]);
  });

  it('writes 17-digit archive numbers that start with the district of residence', () => {
    const wrong = sample.filter((b) => !/^\d{17}$/.test(b.healthArchive.archiveNumber) || !b.healthArchive.archiveNumber.startsWith(b.resident.districtCode));
    expect(wrong).toEqual([]);
  });

  it('keeps row ids unique across residents', () => {
    const ids = sample.flatMap((b) => [
      ...b.encounters, ...b.diagnoses, ...b.prescriptions, ...b.labReports, ...b.labItems, ...b.imagingReports,
      ...b.physicalExams, ...b.followUps, ...b.immunizations, b.healthArchive, b.resident,
    ].map((row) => row.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('averages between 40 and 80 rows per resident', () => {
    const average = sample.reduce((sum, b) => sum + bundleRowCount(b), 0) / SAMPLE;
    expect(average).toBeGreaterThan(40);
    expect(average).toBeLessThan(80);
  });

  it('codes every diagnosis in ICD-10 国家临床版 2.0', () => {
    for (const b of sample) for (const d of b.diagnoses) assertKnownCode({ system: d.codeSystem, version: d.codeSystemVersion, code: d.code });
  });

  it('dates every encounter between the birth date and the end of history', () => {
    const outside = sample.flatMap((b) =>
      b.encounters.filter((e) => e.startedAt.getTime() > asOfEnd.getTime() || e.startedAt < new Date(`${b.resident.birthDate}T00:00:00+08:00`)),
    );
    expect(outside).toEqual([]);
  });

  it('flags lab items by their reference ranges', () => {
    const items = new Map(
      ['CBC', 'LFT', 'RFT', 'LIPID', 'HBA1C', 'ELEC', 'FBG', 'CRP', 'THYROID', 'URINE', 'HIV-AB'].flatMap((p) => labPanel(p).items.map((i) => [i.localCode, i] as const)),
    );
    const wrong = sample.flatMap((b) => b.labItems.filter((i) => abnormalFlag(items.get(i.localCode)!, i.value, b.resident.sex) !== i.abnormalFlag));
    expect(wrong).toEqual([]);
    expect(sample.some((b) => b.labItems.some((i) => i.abnormalFlag === 'H'))).toBe(true);
  });

  it('marks level-5 records with their label and every other record level 3', () => {
    const rows = sample.flatMap((b) => [...b.encounters, ...b.diagnoses, ...b.prescriptions, ...b.labReports, ...b.imagingReports]);
    expect(rows.filter((r) => !((r.level === 5 && r.sensitivity !== 'NONE') || (r.level === 3 && r.sensitivity === 'NONE')))).toEqual([]);
    expect(rows.some((r) => r.level === 5)).toBe(true);
  });

  it('makes every encounter in a sensitive department level 5, and every record of a level-5 encounter too', () => {
    const inSensitiveDepartment = sample.flatMap((b) => b.encounters.filter((e) => sensitivityOfDepartment(e.department) !== 'NONE'));
    expect(inSensitiveDepartment.length).toBeGreaterThan(0);
    expect(inSensitiveDepartment.filter((e) => e.level !== 5)).toEqual([]);
    const levelFive = new Map(sample.flatMap((b) => b.encounters.filter((e) => e.level === 5).map((e) => [e.id, e.sensitivity] as const)));
    const parts = sample.flatMap((b) => [...b.diagnoses, ...b.prescriptions, ...b.labReports, ...b.imagingReports]).filter((r) => levelFive.has(r.encounterId!));
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.filter((r) => r.level !== 5 || r.sensitivity === 'NONE')).toEqual([]);
  });

  it('immunises children by the national schedule', () => {
    const child = sample[3]!;
    expect(child.immunizations.filter((i) => i.vaccineCode === '0101').map((i) => i.doseNumber)).toEqual([1, 2, 3]);
    expect(child.immunizations.map((i) => i.vaccineName)).toEqual(expect.arrayContaining(['卡介苗', '麻腮风疫苗', '百白破疫苗（无细胞）']));
  });

  it('gives hypertensive residents a chronic condition and quarterly follow-ups', () => {
    const multi = sample[0]!;
    expect(multi.healthArchive.chronicConditions?.map((c) => c.code)).toEqual(['I10.x00', 'E11.900']);
    expect(multi.followUps.filter((f) => f.programme === 'HYPERTENSION').length).toBeGreaterThanOrEqual(4);
  });
});

describe('the demo residents', () => {
  const actors = demoActors(DEFAULT_SEED);
  const actor = (name: string) => actors.find((a) => a.actor === name)!;
  const [multi, sensitive, research, child] = sample;

  it('lists the demo actors in order, with one hospital system per institution', () => {
    const institutions = buildRegion(DEFAULT_SEED).institutions.map((i) => `his-${i.row.id}`);
    expect(actors.map((a) => a.actor)).toEqual([
      'resident-multi', 'resident-sensitive', 'resident-research', 'resident-child',
      'clinician-a', 'clinician-b', 'clinician-c', 'researcher', 'steward-1', 'steward-2', 'auditor', ...institutions,
    ]);
    expect(institutions).toHaveLength(22);
    expect(demoActors(DEFAULT_SEED)).toEqual(actors);
  });

  it('identifies the demo residents by the ids and ID-card numbers the generator gives them', () => {
    expect([0, 1, 2, 3].map((i) => actors[i]!.residentId)).toEqual([0, 1, 2, 3].map(residentId));
    expect([0, 1, 2, 3].map((i) => actors[i]!.idCardNumber)).toEqual(sample.slice(0, 4).map((b) => b.resident.idCardNumber));
  });

  it('has resident-multi seen by clinician-a and clinician-b at their institutions, and never at clinician-c’s', () => {
    const seenAt = new Set(multi!.encounters.map((e) => e.institutionId));
    const a = actor('clinician-a');
    const b = actor('clinician-b');
    const c = actor('clinician-c');
    expect(a.institutionId).not.toBe(b.institutionId);
    expect(seenAt.has(a.institutionId!) && seenAt.has(b.institutionId!)).toBe(true);
    expect(seenAt.has(c.institutionId!)).toBe(false);
    expect(buildRegion(DEFAULT_SEED).institution(a.institutionId!).row.grade).toBe('三级甲等');
    expect(multi!.encounters.some((e) => e.attendingPractitionerId === a.practitionerId)).toBe(true);
    expect(multi!.encounters.some((e) => e.attendingPractitionerId === b.practitionerId)).toBe(true);
  });

  it('gives resident-multi recent results at two institutions', () => {
    const recent = multi!.labReports.filter((r) => asOfEnd.getTime() - r.collectedAt.getTime() < 30 * 86_400_000);
    expect(new Set(recent.map((r) => r.institutionId))).toEqual(new Set(['inst-01', 'inst-02', 'inst-12']));
    expect(recent.map((r) => r.panelCode)).toEqual(expect.arrayContaining(['HBA1C', 'LIPID', 'ELEC', 'CBC']));
  });

  it('gives resident-sensitive a level-5 depression diagnosis and a level-5 HIV antibody result', () => {
    expect(sensitive!.diagnoses.filter((d) => d.code === 'F32.900').map((d) => [d.sensitivity, d.level])).toContainEqual(['MENTAL_HEALTH', 5]);
    expect(sensitive!.labReports.filter((r) => r.panelCode === 'HIV-AB').map((r) => [r.sensitivity, r.level])).toEqual([['HIV_STI', 5]]);
    expect(sensitive!.prescriptions.some((p) => p.drugName === '盐酸舍曲林片' && p.level === 5)).toBe(true);
  });

  it('makes resident-sensitive’s check-up at the STD/HIV clinic level 5 by its department alone', () => {
    const clinic = sensitive!.encounters.filter((e) => e.department === '性病艾滋病防制所');
    expect(clinic.map((e) => [e.institutionId, e.sensitivity, e.level])).toEqual([['inst-09', 'HIV_STI', 5]]);
    expect(sensitive!.diagnoses.filter((d) => d.encounterId === clinic[0]!.id).map((d) => [d.code, d.sensitivity, d.level])).toEqual([['Z00.000', 'HIV_STI', 5]]);
  });

  it('makes resident-research a diabetic with HbA1c results', () => {
    expect(research!.diagnoses.some((d) => d.code === 'E11.900')).toBe(true);
    expect(research!.labReports.some((r) => r.panelCode === 'HBA1C')).toBe(true);
  });

  it('makes resident-child a child under 14 whose guardian is resident-multi, with the same surname', () => {
    const age = Number(DEFAULT_AS_OF.slice(0, 4)) - Number(child!.resident.birthDate.slice(0, 4));
    expect(age).toBeLessThan(14);
    expect(child!.resident.guardianId).toBe(multi!.resident.id);
    expect(child!.resident.name[0]).toBe(multi!.resident.name[0]);
    expect(child!.resident.phone).toBeNull();
    expect(child!.resident.address).toBe(multi!.resident.address);
  });

  it('puts clinicians at real departments of their institutions', () => {
    const region = buildRegion(DEFAULT_SEED);
    for (const name of ['clinician-a', 'clinician-b', 'clinician-c']) {
      const { institutionId, practitionerId } = actor(name);
      expect(region.practitioners.find((p) => p.id === practitionerId)?.institutionId).toBe(institutionId);
    }
  });
});

describe('distinctCell', () => {
  it('never gives two indices the same slot and cell, even when cells are scarce', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 300; index++) {
      const { slot, cell } = distinctCell({ seed: 's', tag: 't', index, modulus: 7, draw: (r) => r.int(0, 59), key: String });
      seen.add(`${slot}/${cell}`);
    }
    expect(seen.size).toBe(300);
  });
});
