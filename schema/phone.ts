/** Mainland mobile numbers: the canonical form used for storage and blind indexes. */

/** Digits only, without a +86 / 0086 country prefix (`+86 138-0013-8000` → 13800138000). */
export function normalisePhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length === 13 && digits.startsWith('86')) return digits.slice(2);
  if (digits.length === 15 && digits.startsWith('0086')) return digits.slice(4);
  return digits;
}

/** An 11-digit mainland mobile number, 1[3-9]x xxxx xxxx. */
export function isMobilePhone(value: string): boolean {
  return /^1[3-9]\d{9}$/.test(normalisePhone(value));
}
