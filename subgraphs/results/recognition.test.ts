import { describe, expect, it } from 'vitest';
import { gradeOn, judgeCandidate, localIsoDay, parseDeclineReason, validUntilOf, type CandidateFacts } from './recognition.js';

/** A moment in the region's civil time (UTC+8). */
const local = (iso: string) => new Date(`${iso}+08:00`);
const QUALIFIED = [{ validFrom: '2025-01-01', validUntil: '2027-06-30', passed: true, hrMark: true }];
const TERTIARY = [{ validFrom: '2025-01-01', grade: '三级甲等' }];

function facts(change: Partial<CandidateFacts>): CandidateFacts {
  return {
    item: { validityDays: 30, recognisedGrades: ['三级甲等', '三级乙等'] },
    performedAt: local('2026-05-01T23:50:00'),
    resultInstitutionId: 'inst-02',
    askingInstitutionId: 'inst-01',
    eqa: QUALIFIED,
    grades: TERTIARY,
    now: local('2026-05-10T09:00:00'),
    ...change,
  };
}

describe('judgeCandidate', () => {
  it('recognises a 30-day item through the last second of local day 30 and not from the first of day 31, whatever the hour of the result', () => {
    expect(judgeCandidate(facts({ now: local('2026-05-31T23:59:59') }))).toEqual({ recognizable: true, reasons: [], validUntil: local('2026-06-01T00:00:00') });
    expect(judgeCandidate(facts({ now: local('2026-06-01T00:00:00') })).reasons).toEqual(['EXPIRED']);
    // Just after local midnight is already the next day: its window ends one day later.
    expect(validUntilOf(local('2026-05-02T00:10:00'), 30)).toEqual(local('2026-06-02T00:00:00'));
    expect(localIsoDay(local('2026-05-01T23:50:00'))).toBe('2026-05-01');
  });

  it('judges EQA and the HR mark on the day of the result: a status that lapsed since still qualifies it, one that began after does not', () => {
    const lapsed = [{ validFrom: '2025-01-01', validUntil: '2026-05-01', passed: true, hrMark: true }];
    expect(judgeCandidate(facts({ eqa: lapsed, now: local('2026-05-20T08:00:00') })).reasons).toEqual([]);
    expect(judgeCandidate(facts({ eqa: lapsed, performedAt: local('2026-05-02T00:00:00'), now: local('2026-05-20T08:00:00') })).reasons).toEqual(['LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK']);
    const later = [{ validFrom: '2026-05-02', validUntil: '2027-06-30', passed: true, hrMark: true }];
    expect(judgeCandidate(facts({ eqa: later })).reasons).toEqual(['LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK']);
  });

  it('recognises only the grades the item lists, judged on the day of the result; an institution of no recorded grade is not recognised', () => {
    expect(judgeCandidate(facts({ grades: [{ validFrom: '2025-01-01', grade: '二级甲等' }] })).reasons).toEqual(['GRADE_NOT_RECOGNISED']);
    expect(judgeCandidate(facts({ grades: [] })).reasons).toEqual(['GRADE_NOT_RECOGNISED']);
    // Upgraded the day after the result: the result was produced at the old grade.
    const upgraded = [{ validFrom: '2025-01-01', grade: '二级甲等' }, { validFrom: '2026-05-02', grade: '三级乙等' }];
    expect(judgeCandidate(facts({ grades: upgraded })).reasons).toEqual(['GRADE_NOT_RECOGNISED']);
    expect(judgeCandidate(facts({ grades: upgraded, performedAt: local('2026-05-02T00:00:00') })).reasons).toEqual([]);
    expect(gradeOn(upgraded, '2024-12-31')).toBeUndefined();
    expect(gradeOn([...upgraded].reverse(), '2026-06-01')).toBe('三级乙等');
  });

  it('gives every reason that applies, in the fixed order', () => {
    expect(judgeCandidate(facts({ eqa: [{ ...QUALIFIED[0]!, hrMark: false }] })).reasons).toEqual(['NO_HR_MARK']);
    expect(judgeCandidate(facts({ eqa: [{ ...QUALIFIED[0]!, passed: false }] })).reasons).toEqual(['LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK']);
    expect(judgeCandidate(facts({ resultInstitutionId: 'inst-01' })).reasons).toEqual(['SAME_INSTITUTION']);
    expect(judgeCandidate(facts({ grades: [], eqa: [], resultInstitutionId: 'inst-01' })).reasons).toEqual(['GRADE_NOT_RECOGNISED', 'LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK', 'SAME_INSTITUTION']);
    const { item: _none, ...unlisted } = facts({ eqa: [], grades: [], resultInstitutionId: 'inst-01', now: local('2027-01-01T00:00:00') });
    void _none;
    expect(judgeCandidate(unlisted)).toEqual({ recognizable: false, reasons: ['NOT_IN_CATALOGUE', 'LAB_NOT_EQA_QUALIFIED', 'NO_HR_MARK', 'SAME_INSTITUTION'], validUntil: null });
  });
});

describe('parseDeclineReason', () => {
  it('takes the fixed codes, with an optional text, and OTHER only with one', () => {
    expect(parseDeclineReason('FAST_CHANGING_VALUE')).toEqual({ code: 'FAST_CHANGING_VALUE', text: null });
    expect(parseDeclineReason(' EMERGENCY: 胸痛 ')).toEqual({ code: 'EMERGENCY', text: '胸痛' });
    expect(parseDeclineReason('OTHER: 报告不清晰')).toEqual({ code: 'OTHER', text: '报告不清晰' });
    for (const bad of ['OTHER', 'OTHER:', 'OTHER:  ', 'other: x', 'BECAUSE', 'CONDITION_CHANGED and more', '']) expect(parseDeclineReason(bad), bad).toBeUndefined();
  });
});
