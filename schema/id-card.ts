/**
 * Resident identity card numbers (GB 11643-1999, 公民身份号码): 6-digit GB/T 2260 area code, birth date
 * YYYYMMDD, 3-digit sequence (odd for men, even for women), ISO 7064 MOD 11-2 check character.
 */
import { InvalidInputError } from './errors.js';
import { isKnownAreaCode } from './districts.js';

export interface ParsedIdCard {
  areaCode: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** The 3-digit sequence code; its last digit is odd for a man, even for a woman. */
  sequence: string;
  /** GB/T 2261.1 sex implied by the sequence: '1' male, '2' female. */
  sex: '1' | '2';
}

/** GB/T 2261.1 sex codes: 0 unknown, 1 male, 2 female, 9 unstated. */
export const SEX_CODES = ['0', '1', '2', '9'] as const;
export type SexCode = (typeof SEX_CODES)[number];

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';
const FIELD = 'idCardNumber';

/** The ISO 7064 MOD 11-2 check character for the first 17 digits. */
export function checkCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new InvalidInputError('an ID-card number check character needs exactly 17 digits', { field: FIELD });
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11]!;
}

/** The canonical form used for storage and blind indexes: trimmed, check character upper-case. */
export function normaliseIdCardNumber(value: string): string {
  return value.trim().toUpperCase();
}

/**
 * Parses and validates an 18-character ID-card number; throws `InvalidInputError` (BAD_USER_INPUT)
 * naming the rule it breaks. `today` bounds the birth date (defaults to now).
 */
export function parseIdCardNumber(value: string, today: Date = new Date()): ParsedIdCard {
  const number = normaliseIdCardNumber(value);
  if (!/^\d{17}[\dX]$/.test(number)) {
    throw new InvalidInputError('an ID-card number has 18 characters: 17 digits and a digit or X', { field: FIELD });
  }
  const areaCode = number.slice(0, 6);
  if (!isKnownAreaCode(areaCode)) {
    throw new InvalidInputError(`the ID-card number's area code ${areaCode} is not a GB/T 2260 code`, { field: FIELD });
  }
  const year = Number(number.slice(6, 10));
  const month = Number(number.slice(10, 12));
  const day = Number(number.slice(12, 14));
  const birth = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || birth.getUTCFullYear() !== year || birth.getUTCMonth() !== month - 1 || birth.getUTCDate() !== day) {
    throw new InvalidInputError("the ID-card number's birth date is not a valid date", { field: FIELD });
  }
  const birthDate = `${number.slice(6, 10)}-${number.slice(10, 12)}-${number.slice(12, 14)}`;
  if (birthDate > isoDate(today)) {
    throw new InvalidInputError("the ID-card number's birth date is in the future", { field: FIELD });
  }
  const expected = checkCharacter(number.slice(0, 17));
  if (number[17] !== expected) {
    throw new InvalidInputError("the ID-card number's check character is wrong", { field: FIELD });
  }
  const sequence = number.slice(14, 17);
  return { areaCode, birthDate, sequence, sex: Number(sequence[2]) % 2 === 1 ? '1' : '2' };
}

/** Whether `value` is a valid ID-card number (see `parseIdCardNumber`). */
export function isValidIdCardNumber(value: string, today?: Date): boolean {
  try {
    parseIdCardNumber(value, today);
    return true;
  } catch (error) {
    if (error instanceof InvalidInputError) return false;
    throw error;
  }
}

/** Builds a valid number from its parts (`birthDate` YYYY-MM-DD, `sequence` 3 digits). */
export function makeIdCardNumber(areaCode: string, birthDate: string, sequence: string): string {
  if (!/^\d{6}$/.test(areaCode)) throw new InvalidInputError('an area code has 6 digits', { field: FIELD });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) throw new InvalidInputError('a birth date is written YYYY-MM-DD', { field: FIELD });
  if (!/^\d{3}$/.test(sequence)) throw new InvalidInputError('a sequence code has 3 digits', { field: FIELD });
  const first17 = `${areaCode}${birthDate.replaceAll('-', '')}${sequence}`;
  return first17 + checkCharacter(first17);
}

/**
 * Refuses a sex code that is not GB/T 2261.1 or that contradicts the ID-card number (17th digit odd =
 * male); 0 (unknown) and 9 (unstated) are accepted with any number.
 */
export function assertSexMatchesIdCard(sex: string, idCard: string | ParsedIdCard): void {
  if (!(SEX_CODES as readonly string[]).includes(sex)) {
    throw new InvalidInputError(`sex must be a GB/T 2261.1 code (0, 1, 2 or 9), not "${sex}"`, { field: 'sex' });
  }
  if (sex === '0' || sex === '9') return;
  const parsed = typeof idCard === 'string' ? parseIdCardNumber(idCard) : idCard;
  if (parsed.sex !== sex) {
    throw new InvalidInputError(`sex ${sex} contradicts the ID-card number, whose 17th digit says ${parsed.sex === '1' ? 'male' : 'female'}`, {
      field: 'sex',
    });
  }
}

/** Age in whole years on `on` for a YYYY-MM-DD birth date. */
export function ageOn(birthDate: string, on: Date | string): number {
  const at = typeof on === 'string' ? on : isoDate(on);
  const years = Number(at.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return at.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

function isoDate(date: Date): string {
  // Birth dates are civil dates in China (UTC+8); compare against today's date there.
  return new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
