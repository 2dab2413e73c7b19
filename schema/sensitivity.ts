/**
 * Record sensitivity labels (DESIGN §5): a diagnosis, result or prescription touching mental health,
 * HIV/STI, reproductive health or genetics is level 5 whatever its fields, and needs two authorisations.
 */
import type { SensitivityLevel } from './classification.js';

export const SENSITIVITY_LABELS = ['NONE', 'MENTAL_HEALTH', 'HIV_STI', 'REPRODUCTIVE', 'GENETIC'] as const;
export type SensitivityLabel = (typeof SENSITIVITY_LABELS)[number];

/** The level a whole record has: the highest of its fields, and 5 for any special label (就高不就低). */
export function recordLevel(label: SensitivityLabel, fieldLevel: SensitivityLevel = 3): SensitivityLevel {
  return label === 'NONE' ? fieldLevel : 5;
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
  const upper = code.toUpperCase();
  for (const [prefix, label] of SENSITIVE_LAB_CODES) {
    if (upper === prefix || upper.startsWith(`${prefix}-`) || upper.startsWith(`${prefix}_`)) return label;
  }
  return 'NONE';
}

/** The most sensitive of several labels (a record with one HIV item is an HIV record). */
export function strongestLabel(labels: Iterable<SensitivityLabel>): SensitivityLabel {
  for (const label of labels) if (label !== 'NONE') return label;
  return 'NONE';
}
