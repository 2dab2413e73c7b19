import { GraphQLObjectType, GraphQLScalarType, GraphQLSchema, GraphQLString, Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DateTimeISO, LocalDate, parseDateTime, parseLocalDate, withPlatformScalars } from './scalars.js';

function refusal(parse: () => unknown): { code: unknown; message: string } {
  try {
    parse();
  } catch (error) {
    const { extensions, message } = error as { extensions?: Record<string, unknown>; message: string };
    return { code: extensions?.['code'], message };
  }
  throw new Error('expected a refusal');
}

describe('DateTimeISO', () => {
  it('parses RFC 3339 date-times with any offset and fraction to the same instant', () => {
    expect(parseDateTime('2024-02-29T08:00:00Z').toISOString()).toBe('2024-02-29T08:00:00.000Z');
    expect(parseDateTime('2024-03-01t08:00:00.123456+08:00').toISOString()).toBe('2024-03-01T00:00:00.123Z');
    expect(parseDateTime('0001-01-01T00:00:00Z').toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(parseDateTime('9999-12-31T23:59:59.999Z').toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });

  it('refuses with BAD_USER_INPUT, never echoing the value, anything else', () => {
    const refused = [
      'garbage', '+099999-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '0000-12-31T00:00:00Z', '10000-01-01T00:00:00Z',
      '2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-06-30T23:59:60Z',
      '2024-01-01T00:00:00', '2024-01-01', '2024-01-01T00:00:00+24:00', '9999-12-31T23:00:00-05:00', '0001-01-01T00:00:00+08:00',
      '', 1_700_000_000, null, {},
    ];
    expect(refused.length).toBeGreaterThan(0);
    for (const value of refused) {
      const { code, message } = refusal(() => parseDateTime(value));
      expect(code, String(value)).toBe('BAD_USER_INPUT');
      if (typeof value === 'string' && value) expect(message).not.toContain(value);
    }
  });

  it('refuses a literal that is not a string, and serializes what the database returns', () => {
    expect(refusal(() => DateTimeISO.parseLiteral({ kind: Kind.INT, value: '1' })).code).toBe('BAD_USER_INPUT');
    expect(DateTimeISO.serialize(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(DateTimeISO.serialize('2024-01-02 03:04:05+00')).toBe('2024-01-02T03:04:05.000Z');
    expect(() => DateTimeISO.serialize(new Date(Number.NaN))).toThrow(TypeError);
  });
});

describe('LocalDate', () => {
  it('accepts real calendar dates, leap days included, and returns them as sent', () => {
    expect(parseLocalDate('2024-02-29')).toBe('2024-02-29');
    expect(parseLocalDate('2000-02-29')).toBe('2000-02-29');
    expect(LocalDate.parseLiteral({ kind: Kind.STRING, value: '0001-01-01' })).toBe('0001-01-01');
  });

  it('refuses impossible dates and other shapes with BAD_USER_INPUT', () => {
    const refused = ['2024-02-30', '2023-02-29', '1900-02-29', '2024-04-31', '2024-00-10', '0000-01-01', '2024-1-01', '2024-01-01T00:00:00Z', 'garbage', 20240101];
    expect(refused.length).toBeGreaterThan(0);
    for (const value of refused) {
      const { code, message } = refusal(() => parseLocalDate(value));
      expect(code, String(value)).toBe('BAD_USER_INPUT');
      if (typeof value === 'string') expect(message).not.toContain(value);
    }
  });

  it('serializes a database date string or a Date as YYYY-MM-DD', () => {
    expect(LocalDate.serialize('2024-05-06')).toBe('2024-05-06');
    expect(LocalDate.serialize(new Date('2024-05-06T00:00:00Z'))).toBe('2024-05-06');
  });
});

describe('withPlatformScalars', () => {
  it('replaces same-named permissive scalars (as built from an SDL) and leaves the rest', () => {
    const permissive = (name: string) => new GraphQLScalarType({ name });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          at: { type: GraphQLString, args: { before: { type: permissive('DateTimeISO') }, on: { type: permissive('LocalDate') }, raw: { type: permissive('JSON') } } },
        },
      }),
    });
    const mapped = withPlatformScalars(schema);
    const [before, on, raw] = mapped.getQueryType()!.getFields()['at']!.args.map((a) => a.type as GraphQLScalarType);
    expect([before, on, raw].map(String)).toEqual(['DateTimeISO', 'LocalDate', 'JSON']);
    expect(refusal(() => before!.parseValue('garbage')).code).toBe('BAD_USER_INPUT');
    expect((before!.parseValue('2024-01-01T00:00:00Z') as Date).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(refusal(() => on!.parseValue('2024-02-30')).code).toBe('BAD_USER_INPUT');
    expect(raw!.parseValue('anything')).toBe('anything');
    expect(mapped.getType('DateTimeISO')).toBe(before);
  });
});
