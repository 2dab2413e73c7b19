import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { ageOn, assertSexMatchesIdCard, checkCharacter, isValidIdCardNumber, makeIdCardNumber, normaliseIdCardNumber, parseIdCardNumber } from './id-card.js';

const VECTOR = '11010519491231002X';

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('parseIdCardNumber', () => {
  it('reads the GB 11643 test vector as a woman born 1949-12-31 in 朝阳区', () => {
    expect(parseIdCardNumber(VECTOR)).toEqual({ areaCode: '110105', birthDate: '1949-12-31', sequence: '002', sex: '2' });
  });

  it('accepts a lower-case x check character and normalises it to X', () => {
    expect(parseIdCardNumber('11010519491231002x').birthDate).toBe('1949-12-31');
    expect(normaliseIdCardNumber(' 11010519491231002x ')).toBe(VECTOR);
  });

  it('refuses a wrong check character as BAD_USER_INPUT on idCardNumber', () => {
    const error = refusal(() => parseIdCardNumber('110105194912310021'));
    expect(error.message).toBe("the ID-card number's check character is wrong");
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'idCardNumber' });
  });

  it('refuses a birth date after today', () => {
    const number = makeIdCardNumber('330106', '2026-12-01', '011');
    expect(refusal(() => parseIdCardNumber(number, new Date('2026-11-22T00:00:00Z'))).message).toBe("the ID-card number's birth date is in the future");
    expect(parseIdCardNumber(number, new Date('2026-12-01T00:00:00Z')).birthDate).toBe('2026-12-01');
  });

  it('refuses a birth date that does not exist', () => {
    const first17 = '33010619490231002';
    expect(refusal(() => parseIdCardNumber(first17 + checkCharacter(first17))).message).toBe("the ID-card number's birth date is not a valid date");
  });

  it('refuses an area code that is not GB/T 2260', () => {
    const first17 = '99010519491231002';
    expect(refusal(() => parseIdCardNumber(first17 + checkCharacter(first17))).message).toBe("the ID-card number's area code 990105 is not a GB/T 2260 code");
  });

  it('refuses a number of the wrong length or with letters in it', () => {
    const expected = 'an ID-card number has 18 characters: 17 digits and a digit or X';
    expect(refusal(() => parseIdCardNumber('11010519491231002')).message).toBe(expected);
    expect(refusal(() => parseIdCardNumber('1101051949123100XX')).message).toBe(expected);
    expect(refusal(() => parseIdCardNumber('110105-19491231-002X')).message).toBe(expected);
  });

  it('accepts an abolished area code, since a card keeps the code it was issued under', () => {
    expect(parseIdCardNumber(makeIdCardNumber('330104', '1958-10-22', '185')).areaCode).toBe('330104');
  });

  it('reads an odd 17th digit as male', () => {
    expect(parseIdCardNumber(makeIdCardNumber('330106', '1986-09-30', '121')).sex).toBe('1');
  });
});

describe('checkCharacter and makeIdCardNumber', () => {
  it('computes X for the test vector', () => {
    expect(checkCharacter('11010519491231002')).toBe('X');
  });

  it('builds the test vector from its parts', () => {
    expect(makeIdCardNumber('110105', '1949-12-31', '002')).toBe(VECTOR);
  });

  it('reports validity without throwing', () => {
    expect(isValidIdCardNumber(VECTOR)).toBe(true);
    expect(isValidIdCardNumber('110105194912310021')).toBe(false);
  });
});

describe('assertSexMatchesIdCard', () => {
  it('accepts female (2) for a number with an even 17th digit', () => {
    expect(() => assertSexMatchesIdCard('2', VECTOR)).not.toThrow();
  });

  it('refuses male (1) for a number with an even 17th digit, on the sex field', () => {
    const error = refusal(() => assertSexMatchesIdCard('1', VECTOR));
    expect(error.message).toBe("sex 1 contradicts the ID-card number, whose 17th digit says female");
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'sex' });
  });

  it('accepts unknown (0) and unstated (9) with any number', () => {
    expect(() => assertSexMatchesIdCard('0', VECTOR)).not.toThrow();
    expect(() => assertSexMatchesIdCard('9', VECTOR)).not.toThrow();
  });

  it('refuses a code outside GB/T 2261.1', () => {
    expect(refusal(() => assertSexMatchesIdCard('3', VECTOR)).message).toBe('sex must be a GB/T 2261.1 code (0, 1, 2 or 9), not "3"');
  });
});

describe('ageOn', () => {
  it('counts whole years, not yet a year older the day before the birthday', () => {
    expect(ageOn('1949-12-31', '2026-12-30')).toBe(76);
    expect(ageOn('1949-12-31', '2026-12-31')).toBe(77);
  });
});
