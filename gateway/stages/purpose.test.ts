import { describe, expect, it } from 'vitest';
import { decodeBreakGlassReason, MAX_BREAK_GLASS_REASON, resolvePurpose } from './purpose.js';

function refusal(decode: () => unknown): { code: unknown; message: string } {
  try {
    decode();
  } catch (error) {
    const { extensions, message } = error as { extensions: Record<string, unknown>; message: string };
    return { code: extensions['code'], message };
  }
  throw new Error('expected a refusal');
}

describe('decodeBreakGlassReason', () => {
  it('decodes percent-encoded UTF-8 and takes a bare percent sign as sent', () => {
    expect(decodeBreakGlassReason(encodeURIComponent('急诊昏迷，需了解既往史'))).toBe('急诊昏迷，需了解既往史');
    expect(decodeBreakGlassReason('50% burns, %E6%80%A5')).toBe('50% burns, 急');
    expect(decodeBreakGlassReason('unconscious on arrival')).toBe('unconscious on arrival');
    expect([undefined, '', '   ', '%20%20'].map((raw) => decodeBreakGlassReason(raw))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('refuses with BAD_USER_INPUT a reason that decodes to NUL, to ill-formed UTF-8, or is too long', () => {
    const refused = ['%00', `${encodeURIComponent('急诊')}%00`, '%ED%A0%80', '%C3', '%FF%FE', 'x'.repeat(MAX_BREAK_GLASS_REASON + 1)];
    expect(refused.length).toBeGreaterThan(0);
    for (const raw of refused) {
      const { code, message } = refusal(() => decodeBreakGlassReason(raw));
      expect(code, raw).toBe('BAD_USER_INPUT');
      expect(message).toContain('X-Break-Glass-Reason');
    }
  });
});

describe('resolvePurpose', () => {
  it('refuses a clinician reading personal data without a purpose with PURPOSE_REQUIRED, and ETREAT without a reason with BAD_USER_INPUT', () => {
    const clinician = { sub: 'dr', role: 'clinician' as const, institutionId: 'inst-01' };
    expect(refusal(() => resolvePurpose(clinician, undefined, undefined, true)).code).toBe('PURPOSE_REQUIRED');
    expect(refusal(() => resolvePurpose(clinician, 'ETREAT', undefined, true)).code).toBe('BAD_USER_INPUT');
    expect(resolvePurpose(clinician, 'ETREAT', '急诊', true)).toBe('ETREAT');
  });
});
