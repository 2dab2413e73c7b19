/**
 * Electronic health card numbers (电子健康卡): the card's 64-character hexadecimal identifier, issued
 * once per resident by the regional card management system. It identifies a person directly, so it is
 * level 4, stored encrypted and found through a blind index, exactly like the ID-card number.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors.js';

const FIELD = 'healthCardNumber';
const HEALTH_CARD = /^[0-9A-F]{64}$/;

/** The canonical form used for storage and blind indexes: no whitespace, upper-case hex. */
export function normaliseHealthCardNumber(value: string): string {
  return value.replace(/\s+/g, '').toUpperCase();
}

/** Validates a health card number and returns its canonical form; else `InvalidInputError` (BAD_USER_INPUT). */
export function parseHealthCardNumber(value: string, field = FIELD): string {
  const number = normaliseHealthCardNumber(value);
  if (!HEALTH_CARD.test(number)) throw new InvalidInputError('An electronic health card number is 64 hexadecimal characters.', { field });
  return number;
}

/**
 * The synthetic region's card number for a resident: derived from the seed and the resident id only
 * (not from the generator's random stream), so adding it changed no other seeded value.
 */
export function syntheticHealthCardNumber(seed: string, residentId: string): string {
  return createHash('sha256').update(`healthmesh health card\n${seed}\n${residentId}`).digest('hex').toUpperCase();
}
