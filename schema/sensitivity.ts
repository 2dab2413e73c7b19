/**
 * Record sensitivity labels (DESIGN §5, §9): a record touching mental health, HIV/STI, reproductive
 * health or genetics is level 5 whatever its fields, and needs two authorisations. A record is such when
 * its diagnosis, its test or its department is sensitive, or when it belongs to a record that is (the
 * diagnoses, prescriptions and results of a psychiatric visit): a department name, or a harmless-looking
 * record of a hidden visit, must not reveal what the level hides.
 *
 * `recordSensitivity` is the one way to derive a record's label and level; everyone who writes records
 * (the seed generator, the HIS feeds) calls it.
 */
import type { SensitivityLevel } from './classification.js';

export const SENSITIVITY_LABELS = ['NONE', 'MENTAL_HEALTH', 'HIV_STI', 'REPRODUCTIVE', 'GENETIC'] as const;
export type SensitivityLabel = (typeof SENSITIVITY_LABELS)[number];

/** A record's label and level, as its `sensitivity` and `level` columns store them. */
export interface RecordSensitivity {
  sensitivity: SensitivityLabel;
  level: SensitivityLevel;
}

/** What a record's sensitivity is derived from; every part is optional. */
export interface SensitivitySources {
  /** ICD-10 codes of its diagnoses. */
  diagnosisCodes?: Iterable<string>;
  /** Codes of its tests: lab panel and item codes, local or LOINC. */
  testCodes?: Iterable<string>;
  /** The department it was recorded in: a name, or a 诊疗科目 code (see `sensitivityOfDepartment`). */
  department?: string | null;
  /** Labels of the records it belongs to (its encounter's): a part reveals its whole. */
  within?: Iterable<SensitivityLabel>;
}

/** Level of a record without a special label: the highest level of its fields (pseudonymous health data). */
const ORDINARY_RECORD_LEVEL: SensitivityLevel = 3;

/**
 * The label and level of a record (就高不就低: any sensitive source makes the whole record level 5). When
 * several sources are sensitive, the first names the label: diagnoses, tests, department, then `within`.
 */
export function recordSensitivity(sources: SensitivitySources): RecordSensitivity {
  const labels: SensitivityLabel[] = [];
  for (const code of sources.diagnosisCodes ?? []) labels.push(sensitivityOfDiagnosis(code));
  for (const code of sources.testCodes ?? []) labels.push(sensitivityOfLabCode(code));
  if (sources.department) labels.push(sensitivityOfDepartment(sources.department));
  labels.push(...(sources.within ?? []));
  const sensitivity = labels.find((label) => label !== 'NONE') ?? 'NONE';
  return { sensitivity, level: sensitivity === 'NONE' ? ORDINARY_RECORD_LEVEL : 5 };
}

/** ICD-10 ranges that make a record especially sensitive. Codes are compared by their 3-character category. */
const ICD10_SENSITIVE_RANGES: ReadonlyArray<{ from: string; to: string; label: SensitivityLabel }> = [
  { from: 'F00', to: 'F99', label: 'MENTAL_HEALTH' }, // mental and behavioural disorders
  { from: 'X60', to: 'X84', label: 'MENTAL_HEALTH' }, // intentional self-harm
  { from: 'B20', to: 'B24', label: 'HIV_STI' }, // HIV disease
  { from: 'Z21', to: 'Z21', label: 'HIV_STI' }, // asymptomatic HIV infection status
  { from: 'A50', to: 'A64', label: 'HIV_STI' }, // infections with a predominantly sexual mode of transmission
  { from: 'O00', to: 'O08', label: 'REPRODUCTIVE' }, // pregnancy with abortive outcome
  { from: 'N96', to: 'N98', label: 'REPRODUCTIVE' }, // recurrent pregnancy loss, infertility, complications of assisted fertilisation
  { from: 'Z30', to: 'Z31', label: 'REPRODUCTIVE' }, // contraceptive and procreative management
  { from: 'Q90', to: 'Q99', label: 'GENETIC' }, // chromosomal abnormalities
  { from: 'Z15', to: 'Z15', label: 'GENETIC' }, // genetic susceptibility to disease
];

/** Sensitivity of a diagnosis code (ICD-10, any national edition). */
export function sensitivityOfDiagnosis(icd10Code: string): SensitivityLabel {
  const category = icd10Code.trim().toUpperCase().slice(0, 3);
  for (const range of ICD10_SENSITIVE_RANGES) {
    if (category >= range.from && category <= range.to) return range.label;
  }
  return 'NONE';
}

/** Lab panels (by local code prefix) and LOINC codes whose results are especially sensitive. */
const SENSITIVE_LAB_CODES: ReadonlyMap<string, SensitivityLabel> = new Map([
  ['HIV', 'HIV_STI'],
  ['TPPA', 'HIV_STI'],
  ['RPR', 'HIV_STI'],
  ['GENE', 'GENETIC'],
  ['HCG', 'REPRODUCTIVE'],
  ['75622-1', 'HIV_STI'], // HIV 1+2 Ab + HIV1 p24 Ag
  ['20507-0', 'HIV_STI'], // Reagin Ab (RPR)
]);

/** Sensitivity of a lab test or panel, by its local code or LOINC code. */
export function sensitivityOfLabCode(code: string): SensitivityLabel {
  const upper = code.trim().toUpperCase();
  for (const [prefix, label] of SENSITIVE_LAB_CODES) {
    if (upper === prefix || upper.startsWith(`${prefix}-`) || upper.startsWith(`${prefix}_`)) return label;
  }
  return 'NONE';
}

/** Every code a lab report's test is known by: its panel's code and each item's local and LOINC codes. */
export function labTestCodes(panelCode: string, items: Iterable<{ localCode: string; loinc?: string | null }>): string[] {
  const codes = [panelCode];
  for (const item of items) codes.push(item.localCode, ...(item.loinc ? [item.loinc] : []));
  return codes;
}

/** One kind of sensitive department, as data. */
export interface SensitiveDepartment {
  label: Exclude<SensitivityLabel, 'NONE'>;
  /** Words that make a department name sensitive wherever they occur in its normalised form. */
  names: readonly string[];
  /** Latin abbreviations, matched only as whole words (`HIV门诊`, `STD clinic`, never inside `archive`). */
  abbreviations: readonly string[];
  /** 《医疗机构诊疗科目名录》 codes; a subject's code covers all its specialties (`15` covers `15.06`). */
  codes: readonly string[];
}

/**
 * The sensitive departments (DESIGN §9): psychiatry and mental health, STD/HIV clinics, reproductive
 * medicine, genetics. Names are matched generously (皮肤性病科 is sensitive: its name says 性病); a
 * false positive only narrows who reads a record, a false negative reveals what level 5 hides.
 */
export const SENSITIVE_DEPARTMENTS: readonly SensitiveDepartment[] = [
  {
    label: 'MENTAL_HEALTH',
    names: ['精神', '心理', 'psych', 'mentalhealth'],
    abbreviations: [],
    codes: ['15', '06.04', '09.03'], // 精神科; 妇女心理卫生专业; 儿童心理卫生专业
  },
  {
    label: 'HIV_STI',
    names: ['性病', '艾滋', '性传播', 'venereolog', 'sexuallytransmitted'],
    abbreviations: ['hiv', 'aids', 'std', 'sti'],
    codes: ['13.02'], // 性传播疾病专业
  },
  {
    label: 'REPRODUCTIVE',
    names: ['生殖', '计划生育', '不孕', '不育', 'reproductive', 'fertility'],
    abbreviations: ['ivf'],
    codes: ['05.03', '05.05'], // 计划生育专业; 生殖健康与不孕症专业
  },
  {
    label: 'GENETIC',
    names: ['遗传', '基因', '优生', '产前诊断', 'genetic', 'genomic'],
    abbreviations: [],
    codes: ['05.04', '07.10', '30.05'], // 优生学专业; 小儿遗传病专业; 临床细胞分子遗传学专业
  },
];

/**
 * Sensitivity of a department, by name or by 诊疗科目 code. The matching rule:
 * 1. the name is normalised: Unicode NFKC (full-width letters and digits become ASCII), lower case,
 *    whitespace, punctuation and symbols removed (`精神 心理（科）` → `精神心理科`);
 * 2. it is sensitive when the normalised name contains one of a kind's `names`, or when one of the
 *    kind's `abbreviations` is a whole Latin word of it;
 * 3. or when the department is a 诊疗科目 code (`15`, `15.06`, `15.6`), alone or followed by a
 *    separator and a name (`15.06 临床心理专业`), that equals a listed code or is a specialty of a
 *    listed subject. A number run into other text (`15病区`, `150`) is not a code.
 */
export function sensitivityOfDepartment(department: string): SensitivityLabel {
  const text = department.normalize('NFKC').trim().toLowerCase();
  const compact = text.replace(/[\s\p{P}\p{S}]/gu, '');
  const words = new Set(text.match(/[a-z]+/g) ?? []);
  const code = subjectCode(text);
  for (const kind of SENSITIVE_DEPARTMENTS) {
    if (kind.names.some((name) => compact.includes(name))) return kind.label;
    if (kind.abbreviations.some((abbreviation) => words.has(abbreviation))) return kind.label;
    if (code && kind.codes.some((listed) => codeCovers(listed, code))) return kind.label;
  }
  return 'NONE';
}

interface SubjectCode {
  subject: number;
  specialty?: number;
}

/** The 诊疗科目 code a department is given as, if it is one. */
function subjectCode(text: string): SubjectCode | undefined {
  const match = /^(\d{2})(?:\.(\d{1,2}))?(?=$|[\s\-_/|:：])/.exec(text);
  if (!match) return undefined;
  return match[2] === undefined ? { subject: Number(match[1]) } : { subject: Number(match[1]), specialty: Number(match[2]) };
}

/** Whether a listed code covers a department's code: the same code, or a specialty of a listed subject. */
function codeCovers(listed: string, code: SubjectCode): boolean {
  const parsed = subjectCode(listed)!;
  if (parsed.subject !== code.subject) return false;
  return parsed.specialty === undefined || parsed.specialty === code.specialty;
}
