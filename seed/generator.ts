/**
 * The synthetic resident generator (DESIGN §11). Each resident is a pure function of (seed, index,
 * asOf): nothing is shared between residents, so a region of any size can be streamed in batches.
 */
import { ELSEWHERE_COUNTY_CODES, REGION_DISTRICTS, areaFullName, issuingCodesForDistrict } from '../schema/districts.js';
import { makeIdCardNumber, normaliseIdCardNumber } from '../schema/id-card.js';
import { syntheticHealthCardNumber } from '../schema/health-card.js';
import { ICD10_CN, VACCINES, abnormalFlag, diagnosisByCode, imagingProcedure, labPanel, referenceRangeText, vaccine } from '../schema/codes.js';
import { labTestCodes, recordSensitivity } from '../schema/sensitivity.js';
import { normalisePhone } from '../schema/phone.js';
import type { healthArchives, physicalExams, followUps, CodedCondition, Allergy } from '../subgraphs/archive/tables.js';
import type { diagnoses, encounters, prescriptions } from '../subgraphs/clinical/tables.js';
import type { immunizationRecords } from '../subgraphs/immunization/tables.js';
import type { residents } from '../subgraphs/population/tables.js';
import type { imagingReports, labItems, labReports } from '../subgraphs/results/tables.js';
import { ACUTE_CONDITIONS, CHRONIC_CONDITIONS, SENSITIVE_CONDITIONS, acuteCondition, chronicCondition, type Condition, type Drug } from './conditions.js';
import { DEMO_CLINICIANS, DEMO_PROFILES, type BirthCell, type DemoProfile, type ResidenceCell } from './demo-profiles.js';
import { labValue } from './lab-values.js';
import { personName } from './names.js';
import { Random } from './random.js';
import { buildRegion, type InstitutionProfile, type Region } from './region.js';
import { ageAt, dayNumber, isoDay, localMoment, yearStart } from './time.js';
import { distinctCell } from './unique.js';

export type ResidentInsert = typeof residents.$inferInsert;
export type EncounterInsert = typeof encounters.$inferInsert;
export type DiagnosisInsert = typeof diagnoses.$inferInsert;
export type PrescriptionInsert = typeof prescriptions.$inferInsert;
export type LabReportInsert = typeof labReports.$inferInsert;
export type LabItemInsert = typeof labItems.$inferInsert;
export type ImagingReportInsert = typeof imagingReports.$inferInsert;
export type HealthArchiveInsert = typeof healthArchives.$inferInsert;
export type PhysicalExamInsert = typeof physicalExams.$inferInsert;
export type FollowUpInsert = typeof followUps.$inferInsert;
export type ImmunizationInsert = typeof immunizationRecords.$inferInsert;

/** Everything one resident contributes to every domain, as rows ready to insert (identifiers in plaintext). */
export interface ResidentBundle {
  index: number;
  resident: ResidentInsert & { id: string; name: string; idCardNumber: string; healthCardNumber: string; sex: string; birthDate: string; districtCode: string };
  encounters: EncounterInsert[];
  diagnoses: DiagnosisInsert[];
  prescriptions: PrescriptionInsert[];
  labReports: LabReportInsert[];
  labItems: LabItemInsert[];
  imagingReports: ImagingReportInsert[];
  healthArchive: HealthArchiveInsert;
  physicalExams: PhysicalExamInsert[];
  followUps: FollowUpInsert[];
  immunizations: ImmunizationInsert[];
}

export interface GenerateOptions {
  /** The last day of the synthetic history (YYYY-MM-DD, 2025-01-01 or later); defaults to DEFAULT_AS_OF. */
  asOf?: string;
}

export const DEFAULT_SEED = 'healthmesh';
/** A fixed end of history, so the same seed gives the same region on any day. */
export const DEFAULT_AS_OF = '2026-06-30';
/** Indices of the demo residents (see seed/demo-profiles.ts). */
export const DEMO_RESIDENT_INDEX = { multi: 0, sensitive: 1, research: 2, child: 3 } as const;

const HISTORY_START = dayNumber('2021-01-01');
/** ID slots: 365 birth days × sequence 01–99 × 5 values of the last sequence digit (its parity is the sex). */
const ID_MODULUS = 365 * 99 * 5;
/** Archive slots: the 5-digit sequence 00001–99999 within a community. */
const ARCHIVE_MODULUS = 99_999;

/** The stable id of the resident with this index (`res-000123`). */
export function residentId(index: number): string {
  return `res-${String(index).padStart(6, '0')}`;
}

/** How many rows a bundle inserts. */
export function bundleRowCount(bundle: ResidentBundle): number {
  return (
    2 +
    bundle.encounters.length +
    bundle.diagnoses.length +
    bundle.prescriptions.length +
    bundle.labReports.length +
    bundle.labItems.length +
    bundle.imagingReports.length +
    bundle.physicalExams.length +
    bundle.followUps.length +
    bundle.immunizations.length
  );
}

// ---------------------------------------------------------------------------------------------
// Who the resident is: birth cell (ID card), residence cell (archive number)
// ---------------------------------------------------------------------------------------------

/** Share of residents by birth decade (2020 census shape, skewed to working ages as Hangzhou is). */
const BIRTH_YEARS: ReadonlyArray<readonly [number, number]> = (() => {
  const bands: ReadonlyArray<readonly [number, number, number]> = [
    [1935, 1944, 1.2], [1945, 1954, 4.5], [1955, 1964, 13], [1965, 1974, 15], [1975, 1984, 15],
    [1985, 1994, 19], [1995, 2004, 13], [2005, 2014, 10.5], [2015, 2024, 8.8],
  ];
  return bands.flatMap(([from, to, share]) => Array.from({ length: to - from + 1 }, (_, i) => [from + i, share / (to - from + 1)] as const));
})();
const HANGZHOU_BORN = 0.72;
const ZHEJIANG_ELSEWHERE = ELSEWHERE_COUNTY_CODES.filter((c) => c.startsWith('33'));
const OTHER_PROVINCES = ELSEWHERE_COUNTY_CODES.filter((c) => !c.startsWith('33'));

function drawBirthCell(random: Random): BirthCell {
  const year = random.weighted(BIRTH_YEARS, ([, w]) => w)[0];
  const sex = random.chance(0.51) ? '1' : '2';
  const r = random.next();
  let areaCode: string;
  if (r < HANGZHOU_BORN) {
    const district = random.weighted(REGION_DISTRICTS, (d) => d.population).code;
    // The card keeps the code current when the person was first registered (second-generation cards
    // were issued from 1985 on for those born earlier).
    areaCode = random.pick(issuingCodesForDistrict(district, Math.max(year, 1985)));
  } else if (r < HANGZHOU_BORN + 0.15) {
    areaCode = random.pick(ZHEJIANG_ELSEWHERE);
  } else {
    areaCode = random.pick(OTHER_PROVINCES);
  }
  return { areaCode, year, sex };
}

function drawResidenceCell(random: Random): ResidenceCell {
  return { districtCode: random.weighted(REGION_DISTRICTS, (d) => d.population).code, street: random.int(1, 15), community: random.int(1, 20) };
}

function identity(seed: string, index: number) {
  const { slot, cell } = distinctCell<BirthCell>({
    seed,
    tag: 'id-card',
    index,
    modulus: ID_MODULUS,
    draw: drawBirthCell,
    key: (c) => `${c.areaCode}/${c.year}/${c.sex}`,
    forced: (i) => DEMO_PROFILES[i]?.birth,
  });
  const dayOfYear = slot % 365;
  const rest = Math.floor(slot / 365);
  const sequence = `${String((rest % 99) + 1).padStart(2, '0')}${2 * Math.floor(rest / 99) + (cell.sex === '1' ? 1 : 0)}`;
  const birthDate = isoDay(yearStart(cell.year) + dayOfYear);
  return { sex: cell.sex, birthDate, idCardNumber: makeIdCardNumber(cell.areaCode, birthDate, sequence) };
}

function residence(seed: string, index: number) {
  const { slot, cell } = distinctCell<ResidenceCell>({
    seed,
    tag: 'archive',
    index,
    modulus: ARCHIVE_MODULUS,
    draw: drawResidenceCell,
    key: (c) => `${c.districtCode}/${c.street}/${c.community}`,
    forced: (i) => DEMO_PROFILES[i]?.residence,
  });
  const division = `${cell.districtCode}${String(cell.street).padStart(3, '0')}${String(cell.community).padStart(3, '0')}`;
  return { districtCode: cell.districtCode, archiveNumber: `${division}${String(slot + 1).padStart(5, '0')}` };
}

const ROADS: Readonly<Record<string, readonly string[]>> = {
  '330102': ['解放路', '清泰街', '望江路', '秋涛路', '钱江路', '庆春路'],
  '330105': ['湖墅南路', '莫干山路', '体育场路', '上塘路', '米市巷', '石桥路'],
  '330106': ['文三路', '文二路', '天目山路', '古墩路', '教工路', '留和路'],
  '330108': ['江南大道', '滨盛路', '长河路', '江汉路', '西兴路'],
  '330109': ['市心路', '金城路', '人民路', '通惠路', '山阴路'],
  '330110': ['文一西路', '五常大道', '良睦路', '高教路', '龙潭路'],
  '330111': ['金桥路', '桂花路', '迎宾北路', '江滨西大道'],
  '330112': ['钱王街', '衣锦街', '城中街', '苕溪南街'],
  '330113': ['迎宾路', '世纪大道', '南苑街', '星桥路'],
  '330114': ['学林街', '文泽路', '幸福南路', '福城路'],
  '330122': ['迎春南路', '白云源路', '春江路'],
  '330127': ['新安大街', '环湖北路', '开发路'],
  '330182': ['严州大道', '新安路', '江滨路'],
};

const PHONE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157', '158', '159', '166', '173', '176', '177', '178', '180', '181', '182', '183', '185', '186', '187', '188', '189', '191', '198', '199'];
const ETHNICITIES: ReadonlyArray<readonly [string, number]> = [['01', 970], ['22', 6], ['03', 5], ['15', 5], ['06', 5], ['08', 4], ['11', 3], ['12', 2]];
const BLOOD_TYPES: ReadonlyArray<readonly [string | null, number]> = [['O+', 33], ['A+', 29], ['B+', 27], ['AB+', 9], ['O-', 0.3], ['A-', 0.3], ['B-', 0.2], ['AB-', 0.1], [null, 15]];
const ALLERGIES: readonly Allergy[] = [
  { substance: '青霉素', reaction: '皮疹' },
  { substance: '头孢类抗生素', reaction: '皮肤瘙痒' },
  { substance: '磺胺类药物', reaction: '皮疹' },
  { substance: '阿司匹林', reaction: '哮喘发作' },
  { substance: '海鲜', reaction: '荨麻疹' },
  { substance: '花粉', reaction: '过敏性鼻炎' },
  { substance: '尘螨', reaction: '过敏性鼻炎' },
];

// ---------------------------------------------------------------------------------------------
// What happens to the resident: encounter plans, then rows
// ---------------------------------------------------------------------------------------------

type EncounterClass = 'OUTPATIENT' | 'EMERGENCY' | 'INPATIENT';

interface Plan {
  day: number;
  institutionId: string;
  department: string;
  encounterClass: EncounterClass;
  practitionerId?: string;
  diagnoses: readonly string[];
  complaint: string;
  drugs: ReadonlyArray<{ drug: Drug; forCode: string }>;
  labs: readonly string[];
  imaging: ReadonlyArray<{ code: string; abnormal: boolean; finding?: number }>;
  labBias: Readonly<Record<string, 'H' | 'L' | 'A'>>;
}

interface Chronic {
  code: string;
  since: number;
  /** The resident's regular medication for it. */
  drug: Drug;
}

interface Person {
  index: number;
  id: string;
  sex: string;
  birthDate: string;
  birthDay: number;
  ageNow: number;
  districtCode: string;
  primaryCare: InstitutionProfile;
  careSet: InstitutionProfile[];
  chronic: Chronic[];
  demo: DemoProfile | undefined;
}

/** Generates resident `index` of the region `seed`: identical inputs give an identical bundle. */
export function generateResident(seed: string, index: number, options: GenerateOptions = {}): ResidentBundle {
  const asOfIso = options.asOf ?? DEFAULT_AS_OF;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOfIso) || asOfIso < '2025-01-01') throw new Error(`asOf must be a YYYY-MM-DD date from 2025-01-01 on, not ${asOfIso}`);
  if (!Number.isSafeInteger(index) || index < 0) throw new Error(`a resident index is a non-negative integer, not ${index}`);
  const asOf = dayNumber(asOfIso);
  const region = buildRegion(seed);
  const random = new Random(seed, 'resident', index);
  const demo = DEMO_PROFILES[index];
  const id = residentId(index);

  const { sex, birthDate, idCardNumber } = identity(seed, index);
  const { districtCode, archiveNumber } = residence(seed, index);
  const birthDay = dayNumber(birthDate);
  const ageNow = ageAt(birthDate, asOf);
  const birthYear = Number(birthDate.slice(0, 4));

  const name = personName(random, sex, birthYear, demo?.surname);
  const phone = ageNow < 14 || (ageNow >= 80 && random.chance(0.3)) ? null : `${random.pick(PHONE_PREFIXES)}${random.digits(8)}`;
  const road = random.pick(ROADS[districtCode] ?? ['人民路']);
  const ownAddress = `${areaFullName(districtCode)}${road}${random.int(1, 399)}号${random.int(1, 30)}幢${random.int(1, 4)}单元${random.int(1, 18)}0${random.int(1, 4)}室`;
  // A demo child lives with its guardian.
  const address = demo?.guardianIndex === undefined ? ownAddress : generateResident(seed, demo.guardianIndex, options).resident.address!;
  const ethnicity = random.weighted(ETHNICITIES, ([, w]) => w)[0];

  const primaryCare = region.primaryCareFor(districtCode);
  const person: Person = {
    index, id, sex, birthDate, birthDay, ageNow, districtCode, primaryCare,
    careSet: demo ? demo.careSet.map((i) => region.institution(i)) : chooseCareSet(random, region, primaryCare, districtCode, ageNow),
    chronic: chooseChronic(random, demo, sex, birthDay, ageNow, asOf),
    demo,
  };
  const sensitive = demo ? demo.sensitive : SENSITIVE_CONDITIONS.filter((c) => random.chance(c.weight(ageNow, sex))).map((c) => c.code);

  const windowStart = Math.max(HISTORY_START, birthDay + 1);
  const plans: Plan[] = [
    ...acutePlans(random, region, person, windowStart, asOf),
    ...chronicPlans(random, region, person, windowStart, asOf),
    ...sensitivePlans(random, region, person, sensitive, windowStart, asOf),
    ...(demo ? forcedPlans(region, demo, asOf) : []),
  ].sort((a, b) => a.day - b.day);

  const bundle: ResidentBundle = {
    index,
    resident: {
      id, name, sex, birthDate, idCardNumber,
      idCardIndex: normaliseIdCardNumber(idCardNumber),
      healthCardNumber: syntheticHealthCardNumber(seed, id),
      healthCardIndex: syntheticHealthCardNumber(seed, id),
      phone, phoneIndex: phone === null ? null : normalisePhone(phone),
      address, districtCode, ethnicity,
      guardianId: demo?.guardianIndex === undefined ? null : residentId(demo.guardianIndex),
    },
    encounters: [], diagnoses: [], prescriptions: [], labReports: [], labItems: [], imagingReports: [],
    healthArchive: archiveRow(random, person, archiveNumber, asOf),
    physicalExams: [], followUps: [], immunizations: [],
  };
  plans.forEach((plan, i) => materialise(random, region, person, plan, i + 1, asOf, bundle));
  bundle.followUps = followUpRows(random, person, asOf);
  bundle.physicalExams = physicalExamRows(random, person, asOf);
  bundle.immunizations = immunizationRows(random, region, person, asOf);
  return bundle;
}

function chooseCareSet(random: Random, region: Region, primaryCare: InstitutionProfile, districtCode: string, age: number): InstitutionProfile[] {
  const set = [primaryCare];
  if (age < 14) set.push(region.institution('inst-08'));
  const wanted = random.pick([0, 1, 1, 2, 2, 3]) - (age < 14 ? 1 : 0);
  const candidates = region.hospitals.filter((h) => !set.includes(h));
  for (let i = 0; i < wanted && set.length < 4; i++) {
    const remaining = candidates.filter((h) => !set.includes(h));
    set.push(random.weighted(remaining, (h) => (h.row.districtCode === districtCode ? 5 : 1) * (h.row.grade.startsWith('三级') ? 2 : 1)));
  }
  return set;
}

function chooseChronic(random: Random, demo: DemoProfile | undefined, sex: string, birthDay: number, age: number, asOf: number): Chronic[] {
  const codes = demo ? demo.chronic : age < 18 ? [] : CHRONIC_CONDITIONS.filter((c) => random.chance(c.prevalence(age, sex))).map((c) => c.code);
  return codes.map((code) => {
    const earliest = Math.max(birthDay + 25 * 365, asOf - 15 * 365);
    const latest = asOf - 60;
    const since = earliest < latest ? random.int(earliest, latest) : latest;
    const condition = chronicCondition(code);
    // The demo residents take the first-line drug; everyone else one of the usual regimens.
    return { code, since, drug: demo ? condition.drugs[0]! : random.pick(condition.drugs) };
  });
}

function hospitalIn(random: Random, region: Region, person: Person, department: string): InstitutionProfile {
  const hospitals = person.careSet.filter((i) => i.kind === 'HOSPITAL' || i.kind === 'MATERNAL_CHILD');
  if (person.ageNow < 14) {
    const maternal = hospitals.find((h) => h.kind === 'MATERNAL_CHILD');
    if (maternal && random.chance(0.7)) return maternal;
  }
  const general = hospitals.filter((h) => h.kind === 'HOSPITAL');
  const pool = general.length > 0 ? general : hospitals;
  if (pool.length > 0) {
    // Prefer a hospital that has the specialty.
    const specialised = pool.filter((h) => h.departments.includes(department));
    return random.pick(specialised.length > 0 ? specialised : pool);
  }
  // A resident without a hospital yet goes to the nearest one (and keeps going there).
  const chosen = region.hospitals.find((h) => h.row.districtCode === person.districtCode) ?? region.hospitals[0]!;
  if (person.careSet.length < 4 && !person.demo) person.careSet.push(chosen);
  return chosen;
}

function placeEpisode(random: Random, region: Region, person: Person, condition: Condition, day: number, allowInpatient: boolean): Plan {
  const inpatient = allowInpatient && random.chance(condition.inpatient);
  const emergency = !inpatient && random.chance(condition.emergency);
  const encounterClass: EncounterClass = inpatient ? 'INPATIENT' : emergency ? 'EMERGENCY' : 'OUTPATIENT';
  const child = ageAt(person.birthDate, day) < 14;
  const primary =
    encounterClass === 'OUTPATIENT' && (condition.setting === 'primary' || (condition.setting === 'either' && random.chance(child ? 0.4 : 0.5)));
  const wanted = encounterClass === 'EMERGENCY' ? '急诊科' : child ? '儿科' : condition.department;
  const institution = primary ? person.primaryCare : hospitalIn(random, region, person, wanted);
  const drugs = (child && condition.childDrugs ? condition.childDrugs : condition.drugs).filter(() => random.chance(0.6));
  const labs = condition.labs.filter(([, p]) => random.chance(p)).map(([code]) => code);
  if (inpatient) {
    // Admission work-up; about half of admissions (surgical, invasive) add the HIV screen.
    for (const code of ['CBC', 'LFT', 'RFT', 'ELEC']) if (!labs.includes(code)) labs.push(code);
    if (!labs.includes('HIV-AB') && random.chance(0.5)) labs.push('HIV-AB');
  }
  return {
    day,
    institutionId: institution.row.id,
    department: region.departmentAt(institution.row.id, wanted),
    encounterClass,
    diagnoses: [condition.code],
    complaint: random.pick(condition.complaints),
    drugs: drugs.map((drug) => ({ drug, forCode: condition.code })),
    labs: primary ? labs.filter((l) => l === 'CBC' || l === 'FBG' || l === 'URINE' || l === 'CRP') : labs,
    imaging: primary
      ? []
      : condition.imaging.filter((o) => random.chance(o.probability)).map((o) => ({ code: o.code, abnormal: random.chance(o.abnormal), ...(o.finding === undefined ? {} : { finding: o.finding }) })),
    labBias: condition.labBias ?? {},
  };
}

/** Episodes per year of history by age: small children and the old see doctors most. */
function episodeRate(age: number): number {
  return age < 6 ? 2.2 : age < 14 ? 1.1 : age < 45 ? 0.6 : age < 65 ? 0.8 : 1.1;
}

function acutePlans(random: Random, region: Region, person: Person, from: number, to: number): Plan[] {
  if (from > to) return [];
  const years = (to - from) / 365;
  // Everyone has been seen at least once in the years of history.
  const count = Math.max(1, random.poisson(episodeRate(person.ageNow) * years));
  const plans: Plan[] = [];
  const allowInpatient = !person.demo;
  for (let i = 0; i < count; i++) {
    const day = random.int(from, to);
    const age = ageAt(person.birthDate, day);
    const condition = random.weighted(ACUTE_CONDITIONS, (c) => c.weight(age, person.sex) + 1e-9);
    plans.push(placeEpisode(random, region, person, condition, day, allowInpatient));
  }
  // The winter 2022–23 COVID-19 wave.
  const waveFrom = Math.max(from, dayNumber('2022-12-10'));
  const waveTo = Math.min(to, dayNumber('2023-01-25'));
  if (waveFrom <= waveTo && random.chance(0.3)) {
    plans.push(placeEpisode(random, region, person, acuteCondition('U07.100'), random.int(waveFrom, waveTo), allowInpatient));
  }
  return plans;
}

function chronicPlans(random: Random, region: Region, person: Person, from: number, to: number): Plan[] {
  if (person.chronic.length === 0) return [];
  const start = Math.max(from, Math.min(...person.chronic.map((c) => c.since)));
  if (start > to) return [];
  const count = random.poisson(1.2 * ((to - start) / 365));
  const plans: Plan[] = [];
  for (let i = 0; i < count; i++) {
    const day = random.int(start, to);
    const active = person.chronic.filter((c) => c.since <= day);
    if (active.length === 0) continue;
    const main = random.pick(active);
    const condition = chronicCondition(main.code);
    const institution = random.chance(0.65) ? person.primaryCare : hospitalIn(random, region, person, condition.department);
    const atHospital = institution !== person.primaryCare;
    const labs = new Set<string>();
    const labBias: Record<string, 'H' | 'L' | 'A'> = {};
    const imaging: Plan['imaging'][number][] = [];
    for (const c of active) {
      const definition = chronicCondition(c.code);
      for (const [code, p] of definition.labs) if (random.chance(p)) labs.add(code);
      Object.assign(labBias, definition.labBias ?? {});
      if (atHospital) {
        for (const o of definition.imaging) {
          if (random.chance(o.probability)) imaging.push({ code: o.code, abnormal: random.chance(o.abnormal), ...(o.finding === undefined ? {} : { finding: o.finding }) });
        }
      }
    }
    plans.push({
      day,
      institutionId: institution.row.id,
      department: region.departmentAt(institution.row.id, condition.department),
      encounterClass: 'OUTPATIENT',
      diagnoses: [main.code, ...active.filter((c) => c !== main).map((c) => c.code)],
      complaint: random.pick(['慢病复诊，配药', '定期复查', '血压/血糖复查，续方']),
      drugs: active.map((c) => ({ drug: c.drug, forCode: c.code })),
      labs: [...labs],
      imaging,
      labBias,
    });
  }
  return plans;
}

function sensitivePlans(random: Random, region: Region, person: Person, codes: readonly string[], from: number, to: number): Plan[] {
  if (person.demo || from > to) return [];
  const plans: Plan[] = [];
  for (const code of codes) {
    const condition = acuteCondition(code);
    const visits = random.int(1, 4);
    let day = random.int(from, to);
    for (let i = 0; i < visits && day <= to; i++) {
      plans.push(placeEpisode(random, region, person, condition, day, i === 0));
      day += random.int(21, 120);
    }
  }
  return plans;
}

function forcedPlans(region: Region, demo: DemoProfile, asOf: number): Plan[] {
  return demo.visits.map((visit) => {
    const practitioners = region.practitionersIn(visit.institutionId, visit.department);
    const clinician = visit.clinician ? DEMO_CLINICIANS[visit.clinician] : undefined;
    const practitionerId = clinician ? region.practitionersIn(clinician.institutionId, clinician.department)[0]!.id : practitioners[0]?.id;
    return {
      day: asOf - visit.daysBeforeAsOf,
      institutionId: visit.institutionId,
      department: visit.department,
      encounterClass: 'OUTPATIENT' as const,
      ...(practitionerId === undefined ? {} : { practitionerId }),
      diagnoses: visit.diagnoses,
      complaint: visit.complaint,
      drugs: visit.drugs.map((drug) => ({ drug, forCode: visit.diagnoses[0]! })),
      labs: visit.labs,
      imaging: visit.imaging ?? [],
      labBias: Object.assign({}, ...visit.diagnoses.map((code) => CHRONIC_CONDITIONS.find((c) => c.code === code)?.labBias ?? {})),
    };
  });
}

/** Turns one plan into encounter, diagnosis, prescription, lab and imaging rows. */
function materialise(random: Random, region: Region, person: Person, plan: Plan, n: number, asOf: number, bundle: ResidentBundle): void {
  const encounterId = `enc-${person.id.slice(4)}-${String(n).padStart(2, '0')}`;
  const key = encounterId.slice(4);
  const startMinutes =
    plan.encounterClass === 'EMERGENCY' ? random.int(0, 24 * 60 - 1) : plan.encounterClass === 'INPATIENT' ? random.int(8 * 60, 20 * 60) : random.chance(0.6) ? random.int(8 * 60, 11 * 60 + 30) : random.int(13 * 60 + 30, 16 * 60 + 30);
  const startedAt = localMoment(plan.day, startMinutes);
  const minutesAfter = (minutes: number) => new Date(startedAt.getTime() + minutes * 60_000);
  let endedAt: Date | null;
  if (plan.encounterClass === 'INPATIENT') {
    const dischargeDay = plan.day + random.int(3, 14);
    endedAt = dischargeDay <= asOf ? localMoment(dischargeDay, random.int(9 * 60, 16 * 60)) : null;
  } else {
    endedAt = minutesAfter(plan.encounterClass === 'EMERGENCY' ? random.int(90, 480) : random.int(10, 40));
  }
  const practitionerId = plan.practitionerId ?? random.pick(region.practitionersIn(plan.institutionId, plan.department)).id;
  // The visit is level 5 by any of its diagnoses or by its department (a check-up at an STD/HIV clinic);
  // every record of it takes its label, since each reveals the visit (DESIGN §9).
  const visit = recordSensitivity({ diagnosisCodes: plan.diagnoses, department: plan.department });
  const ofVisit = [visit.sensitivity];

  bundle.encounters.push({
    id: encounterId,
    residentId: person.id,
    institutionId: plan.institutionId,
    encounterClass: plan.encounterClass,
    department: plan.department,
    startedAt,
    endedAt,
    attendingPractitionerId: practitionerId,
    chiefComplaint: plan.complaint,
    ...visit,
  });
  plan.diagnoses.forEach((code, i) => {
    const entry = diagnosisByCode(code);
    if (!entry) throw new Error(`diagnosis ${code} is not in the catalogue`);
    bundle.diagnoses.push({
      id: `dx-${key}-${i + 1}`,
      residentId: person.id,
      encounterId,
      institutionId: plan.institutionId,
      code,
      codeSystem: ICD10_CN.system,
      codeSystemVersion: ICD10_CN.version,
      display: entry.display,
      rank: i === 0 ? 'PRIMARY' : 'SECONDARY',
      recordedAt: minutesAfter(random.int(5, 20)),
      ...recordSensitivity({ diagnosisCodes: [code], within: ofVisit }),
    });
  });
  plan.drugs.forEach(({ drug, forCode }, i) => {
    bundle.prescriptions.push({
      id: `rx-${key}-${i + 1}`,
      residentId: person.id,
      encounterId,
      institutionId: plan.institutionId,
      drugCode: drug.atc,
      drugName: drug.name,
      dosage: drug.dosage,
      route: drug.route,
      frequency: drug.frequency,
      days: plan.encounterClass === 'INPATIENT' && drug.route === '口服' ? Math.min(drug.days, 14) : drug.days,
      prescribedAt: minutesAfter(random.int(10, 25)),
      prescriberId: practitionerId,
      ...recordSensitivity({ diagnosisCodes: [forCode], within: ofVisit }),
    });
  });
  const age = ageAt(person.birthDate, plan.day);
  plan.labs.forEach((panelCode, i) => {
    const panel = labPanel(panelCode);
    const reportId = `lab-${key}-${i + 1}`;
    const collectedAt = plan.encounterClass === 'INPATIENT' ? localMoment(plan.day + 1, random.int(6 * 60, 7 * 60)) : minutesAfter(random.int(15, 60));
    const reportedAt = new Date(collectedAt.getTime() + Math.round(panel.turnaroundHours * random.float(0.7, 1.5) * 3_600_000));
    bundle.labReports.push({
      id: reportId,
      residentId: person.id,
      institutionId: plan.institutionId,
      encounterId,
      panelCode: panel.code,
      panelName: panel.name,
      specimen: panel.specimen,
      collectedAt,
      reportedAt,
      // A result of a level-5 visit is as sensitive as the visit (it reveals the condition).
      ...recordSensitivity({ testCodes: labTestCodes(panel.code, panel.items), within: ofVisit }),
    });
    panel.items.forEach((item, j) => {
      const bias = plan.labBias[item.localCode];
      const value = labValue(item, person.sex, age, bias !== undefined && random.chance(0.75) ? bias : undefined, random);
      bundle.labItems.push({
        id: `${reportId}-${String(j + 1).padStart(2, '0')}`,
        reportId,
        residentId: person.id,
        localCode: item.localCode,
        loinc: item.loinc,
        name: item.name,
        value,
        unit: item.unit,
        referenceRange: referenceRangeText(item, person.sex),
        abnormalFlag: abnormalFlag(item, value, person.sex),
      });
    });
  });
  plan.imaging.forEach((order, i) => {
    const procedure = imagingProcedure(order.code);
    const result = order.abnormal && procedure.abnormal.length > 0 ? procedure.abnormal[order.finding ?? random.int(0, procedure.abnormal.length - 1)] ?? procedure.abnormal[0]! : procedure.normal;
    bundle.imagingReports.push({
      id: `img-${key}-${i + 1}`,
      residentId: person.id,
      institutionId: plan.institutionId,
      encounterId,
      modality: procedure.modality,
      bodyPart: procedure.bodyPart,
      findings: result.findings,
      impression: result.impression,
      performedAt: minutesAfter(random.int(30, 180)),
      contrast: procedure.contrastPossible && random.chance(0.25),
      ...recordSensitivity({ within: ofVisit }),
    });
  });
}

function archiveRow(random: Random, person: Person, archiveNumber: string, asOf: number): HealthArchiveInsert {
  const earliest = Math.max(person.birthDay, dayNumber('2009-06-01'));
  const openedDay = person.birthDay >= dayNumber('2009-01-01') ? person.birthDay + random.int(30, 90) : random.int(earliest, dayNumber('2020-12-31'));
  const chronicConditions: CodedCondition[] = person.chronic.map((c) => ({
    code: c.code,
    codeSystem: ICD10_CN.system,
    codeSystemVersion: ICD10_CN.version,
    display: diagnosisByCode(c.code)!.display,
    since: isoDay(c.since),
  }));
  return {
    id: `arc-${person.id.slice(4)}`,
    residentId: person.id,
    archiveNumber,
    managingInstitutionId: person.primaryCare.row.id,
    openedOn: isoDay(Math.min(openedDay, asOf)),
    bloodType: random.weighted(BLOOD_TYPES, ([, w]) => w)[0],
    chronicConditions,
    allergies: random.chance(0.1) ? random.sample(ALLERGIES, random.int(1, 2)) : [],
    ...recordSensitivity({ diagnosisCodes: chronicConditions.map((c) => c.code) }),
  };
}

function followUpRows(random: Random, person: Person, asOf: number): FollowUpInsert[] {
  const rows: FollowUpInsert[] = [];
  for (const chronic of person.chronic) {
    const programme = chronicCondition(chronic.code).programme;
    if (!programme || person.ageNow < 35) continue;
    const short = programme === 'HYPERTENSION' ? 'HTN' : 'DM';
    let day = Math.max(HISTORY_START, chronic.since + 30) + random.int(0, 60);
    for (let n = 1; day <= asOf; n++) {
      const mode = random.weighted([['CLINIC', 7], ['PHONE', 2], ['HOME', 1]] as const, ([, w]) => w)[0];
      const systolic = Math.round(random.normal(programme === 'HYPERTENSION' ? 136 : 128, 12));
      const diastolic = Math.round(random.normal(programme === 'HYPERTENSION' ? 84 : 78, 8));
      const glucose = programme === 'DIABETES' ? Number(random.normal(7.1, 1.4).toFixed(1)) : null;
      const controlled = programme === 'HYPERTENSION' ? systolic < 140 && diastolic < 90 : glucose! < 7;
      const r = random.next();
      rows.push({
        id: `fu-${person.id.slice(4)}-${short}-${String(n).padStart(2, '0')}`,
        residentId: person.id,
        institutionId: person.primaryCare.row.id,
        programme,
        visitDate: isoDay(day),
        mode,
        systolic: mode === 'PHONE' ? null : systolic,
        diastolic: mode === 'PHONE' ? null : diastolic,
        fastingGlucose: mode === 'PHONE' ? null : glucose,
        assessment: r < 0.02 ? 'ADVERSE_REACTION' : r < 0.04 ? 'COMPLICATION' : controlled || mode === 'PHONE' ? 'CONTROLLED' : 'UNCONTROLLED',
        nextVisitDate: isoDay(day + 91),
        ...recordSensitivity({}),
      });
      day += random.int(80, 100);
    }
  }
  return rows;
}

function physicalExamRows(random: Random, person: Person, asOf: number): PhysicalExamInsert[] {
  const rows: PhysicalExamInsert[] = [];
  const lastYear = Number(isoDay(asOf).slice(0, 4));
  const hypertensive = person.chronic.some((c) => c.code === 'I10.x00');
  const diabetic = person.chronic.some((c) => c.code === 'E11.900');
  const male = person.sex === '1';
  const baseHeight = random.normal(male ? 170 : 158, male ? 6 : 5);
  const baseBmi = random.normal(23.5, 3);
  for (let year = 2021; year <= lastYear; year++) {
    const day = yearStart(year) + random.int(60, 300);
    if (day > asOf || day < person.birthDay) continue;
    const age = ageAt(person.birthDate, day);
    if (!(age >= 65 ? random.chance(0.75) : age >= 18 && random.chance(0.12))) continue;
    const heightCm = Number((baseHeight - (age > 60 ? (age - 60) * 0.15 : 0)).toFixed(1));
    const weightKg = Number(((baseBmi + random.normal(0, 0.5)) * (heightCm / 100) ** 2).toFixed(1));
    const systolic = Math.round(random.normal(hypertensive ? 142 : 112 + Math.max(0, age - 30) * 0.5, 11));
    const diastolic = Math.round(random.normal(hypertensive ? 86 : 74, 8));
    const fastingGlucose = Number(random.normal(diabetic ? 7.6 : 5.2, diabetic ? 1.4 : 0.5).toFixed(1));
    const bmi = weightKg / (heightCm / 100) ** 2;
    const notes: string[] = [];
    if (systolic >= 140 || diastolic >= 90) notes.push('血压偏高');
    if (fastingGlucose >= 7) notes.push('空腹血糖升高');
    else if (fastingGlucose >= 6.1) notes.push('空腹血糖受损');
    if (bmi >= 28) notes.push('肥胖');
    else if (bmi >= 24) notes.push('超重');
    const institutionId = age >= 65 ? person.primaryCare.row.id : (person.careSet.find((i) => i.kind === 'HOSPITAL') ?? person.primaryCare).row.id;
    rows.push({
      id: `pe-${person.id.slice(4)}-${year}`,
      residentId: person.id,
      institutionId,
      examDate: isoDay(day),
      heightCm,
      weightKg,
      systolic,
      diastolic,
      fastingGlucose,
      summary: notes.length === 0 ? '未见明显异常，建议保持健康生活方式。' : `${notes.join('，')}，建议低盐低脂饮食、适量运动，定期复查。`,
      ...recordSensitivity({}),
    });
  }
  return rows;
}

function immunizationRows(random: Random, region: Region, person: Person, asOf: number): ImmunizationInsert[] {
  const rows: ImmunizationInsert[] = [];
  const push = (code: string, dose: number, day: number, institutionId: string) => {
    const definition = vaccine(code);
    const d = isoDay(day);
    rows.push({
      id: `imm-${person.id.slice(4)}-${String(rows.length + 1).padStart(2, '0')}`,
      residentId: person.id,
      institutionId,
      vaccineCode: code,
      vaccineName: definition.name,
      doseNumber: dose,
      lotNumber: `${d.slice(0, 4)}${d.slice(5, 7)}${String.fromCharCode(65 + random.int(0, 5))}${random.digits(3)}`,
      manufacturer: random.pick(definition.manufacturers),
      administeredOn: d,
      site: definition.site,
      route: definition.route,
      ...recordSensitivity({}),
    });
  };
  const primaryCare = person.primaryCare.row.id;
  // The national schedule, for children whose records are in the electronic registry (born 2008 on).
  if (person.birthDay >= dayNumber('2008-01-01')) {
    const doses = VACCINES.flatMap((v) => v.schedule.map((months, i) => ({ code: v.code, dose: i + 1, months })));
    doses.sort((a, b) => a.months - b.months);
    for (const { code, dose, months } of doses) {
      const day = person.birthDay + Math.round(months * 30.44) + (months === 0 ? 0 : random.int(0, 20));
      if (day > asOf || random.chance(0.02)) continue;
      push(code, dose, day, months === 0 ? region.institution('inst-08').row.id : primaryCare);
    }
  }
  // COVID-19 vaccination (2021–22) for those aged 3 and over at the time.
  const covidStart = dayNumber('2021-03-15');
  if (ageAt(person.birthDate, dayNumber('2021-12-31')) >= 3 && asOf >= covidStart) {
    const elderly = person.ageNow >= 80;
    if (random.chance(elderly ? 0.6 : 0.9)) {
      const first = random.int(covidStart, dayNumber('2021-10-31'));
      const second = first + random.int(21, 56);
      push('5601', 1, first, primaryCare);
      push('5601', 2, second, primaryCare);
      if (ageAt(person.birthDate, second) >= 18 && random.chance(0.65)) push('5601', 3, second + random.int(180, 270), primaryCare);
    }
  }
  // Seasonal influenza, each autumn.
  const lastYear = Number(isoDay(asOf).slice(0, 4));
  for (let year = 2021; year <= lastYear; year++) {
    const day = yearStart(year) + random.int(273, 350);
    if (day > asOf || day < person.birthDay + 183) continue;
    const age = ageAt(person.birthDate, day);
    if (random.chance(age < 9 ? 0.3 : age >= 60 ? 0.25 : 0.08)) push('4101', 1, day, primaryCare);
  }
  rows.sort((a, b) => (a.administeredOn < b.administeredOn ? -1 : a.administeredOn > b.administeredOn ? 1 : 0));
  rows.forEach((row, i) => (row.id = `imm-${person.id.slice(4)}-${String(i + 1).padStart(2, '0')}`));
  return rows;
}
