/**
 * The rules of mutual recognition (DESIGN §9): only catalogue items; only from a laboratory that had
 * passed external quality assessment (室间质评) for the item and carried the regional HR mark at the
 * time of the result; only from an institution whose grade (on the day of the result) the item
 * recognises (DESIGN §8); only within the item's validity window; never the asking clinician's own
 * institution (its own results need no recognition). Pure functions: the resolvers load the rows.
 */

/** Reasons a prior result is not recognised (DESIGN §10 codes). */
export const RECOGNITION_REASONS = ['NOT_IN_CATALOGUE', 'GRADE_NOT_RECOGNISED', 'LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK', 'EXPIRED', 'SAME_INSTITUTION'] as const;
export type RecognitionReason = (typeof RECOGNITION_REASONS)[number];

/** Why a clinician repeats a test instead of recognising the prior result (DESIGN §10). */
export const DECLINE_REASONS = ['CONDITION_CHANGED', 'FAST_CHANGING_VALUE', 'BEFORE_SURGERY_OR_TRANSFUSION', 'EMERGENCY', 'FORENSIC', 'PATIENT_REQUEST', 'OTHER'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

/** The catalogue's item groups: Qingdao's six groups plus ultrasound. */
export const ITEM_GROUPS = ['CLINICAL_CHEMISTRY', 'IMMUNOLOGY', 'HAEMATOLOGY', 'PLAIN_RADIOGRAPHY', 'CT', 'MR', 'ULTRASOUND'] as const;
export type ItemGroup = (typeof ITEM_GROUPS)[number];
/** Imaging groups carry a modality and a body part; lab groups never do. */
export const IMAGING_GROUPS: ReadonlySet<string> = new Set(['PLAIN_RADIOGRAPHY', 'CT', 'MR', 'ULTRASOUND']);

const DAY_MS = 86_400_000;
/** The region's civil time (China Standard Time, no daylight saving). */
const LOCAL_OFFSET_MS = 8 * 3_600_000;

/** The local (UTC+8) day number of a moment. */
export function localDayOf(moment: Date): number {
  return Math.floor((moment.getTime() + LOCAL_OFFSET_MS) / DAY_MS);
}

/** YYYY-MM-DD of a local day number. */
export function isoDayOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The local day of a moment as YYYY-MM-DD. */
export function localIsoDay(moment: Date): string {
  return isoDayOf(localDayOf(moment));
}

/** The first moment after a result's validity: local midnight ending day (result day + validity days). */
export function validUntilOf(performedAt: Date, validityDays: number): Date {
  return new Date((localDayOf(performedAt) + validityDays + 1) * DAY_MS - LOCAL_OFFSET_MS);
}

/** One EQA period of an institution for an item (dates are local calendar days, both ends included). */
export interface EqaPeriod {
  validFrom: string;
  validUntil: string;
  passed: boolean;
  hrMark: boolean;
}

/** One grade of an institution, from a local calendar day until the day the next one starts. */
export interface GradePeriod {
  validFrom: string;
  grade: string;
}

/** The grade an institution had on a local day (YYYY-MM-DD): the latest period started by then; undefined when none had. */
export function gradeOn(periods: readonly GradePeriod[], day: string): string | undefined {
  let current: GradePeriod | undefined;
  for (const period of periods) if (period.validFrom <= day && (!current || period.validFrom > current.validFrom)) current = period;
  return current?.grade;
}

export interface CandidateFacts {
  /** The catalogue item, or undefined when the code is not in the catalogue. */
  item?: { validityDays: number; recognisedGrades: readonly string[] };
  performedAt: Date;
  resultInstitutionId: string;
  askingInstitutionId: string;
  /** The producing institution's EQA periods for this item. */
  eqa: readonly EqaPeriod[];
  /** The producing institution's grades over time, as the steward recorded them. */
  grades: readonly GradePeriod[];
  now: Date;
}

export interface Verdict {
  recognizable: boolean;
  reasons: RecognitionReason[];
  validUntil: Date | null;
}

/**
 * Every reason that applies, in the order of RECOGNITION_REASONS. EQA and the HR mark are judged at the
 * result's local day: a laboratory whose EQA lapsed since still counts as qualified for a result it
 * produced while qualified. So is the institution's grade, and an institution of no recorded grade is
 * not recognised (deny by default). Day N after the result is within an N-day window; day N+1 is not.
 */
export function judgeCandidate(facts: CandidateFacts): Verdict {
  const reasons: RecognitionReason[] = [];
  const day = localIsoDay(facts.performedAt);
  const covering = facts.eqa.filter((period) => period.validFrom <= day && day <= period.validUntil);
  const validUntil = facts.item ? validUntilOf(facts.performedAt, facts.item.validityDays) : null;
  if (!facts.item) reasons.push('NOT_IN_CATALOGUE');
  else {
    const grade = gradeOn(facts.grades, day);
    if (grade === undefined || !facts.item.recognisedGrades.includes(grade)) reasons.push('GRADE_NOT_RECOGNISED');
  }
  if (!covering.some((period) => period.passed)) reasons.push('LAB_NOT_EQA_QUALIFIED');
  if (!covering.some((period) => period.passed && period.hrMark)) reasons.push('NO_HR_MARK');
  if (validUntil && facts.now.getTime() >= validUntil.getTime()) reasons.push('EXPIRED');
  if (facts.resultInstitutionId === facts.askingInstitutionId) reasons.push('SAME_INSTITUTION');
  return { recognizable: reasons.length === 0, reasons, validUntil };
}

/** A decline's reason as sent: a code, optionally `CODE: text`; OTHER needs the text. */
export interface ParsedDeclineReason {
  code: DeclineReason;
  text: string | null;
}

/** Parses `reason` of recordRecognitionDecision; undefined when it is not one of the fixed codes (or OTHER has no text). */
export function parseDeclineReason(reason: string): ParsedDeclineReason | undefined {
  const match = /^([A-Z_]+)\s*(?::\s*([\s\S]*))?$/.exec(reason.trim());
  if (!match) return undefined;
  const code = match[1] as DeclineReason;
  if (!(DECLINE_REASONS as readonly string[]).includes(code)) return undefined;
  const text = match[2]?.trim() || null;
  if (code === 'OTHER' && !text) return undefined;
  return { code, text };
}
