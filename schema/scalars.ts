/**
 * The platform's date scalars, one implementation for the gateway and every subgraph: parse or refuse
 * with BAD_USER_INPUT. A date-time is RFC 3339 with a four-digit year from 0001 to 9999 (PostgreSQL
 * and JavaScript disagree beyond that); a date is a real calendar date. Names and descriptions are
 * those of the graphql-scalars types they replace, so the composed supergraph is unchanged.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { GraphQLScalarType, Kind, type GraphQLSchema } from 'graphql';
import { InvalidInputError } from './errors.js';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/i;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const DATE_TIME_RULE = 'a DateTimeISO is an RFC 3339 date-time with a year from 0001 to 9999 and a real calendar date, e.g. 2024-03-01T08:00:00Z';
const LOCAL_DATE_RULE = 'a LocalDate is YYYY-MM-DD, a real calendar date with a year from 0001 to 9999, e.g. 2024-02-29';

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/** Parses a client's date-time, or throws BAD_USER_INPUT (never echoing the value). */
export function parseDateTime(value: unknown): Date {
  const match = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  if (!match) throw new InvalidInputError(`Not a date-time: ${DATE_TIME_RULE}.`);
  const [, year, month, day, hour, minute, second, fraction, zone, offsetHours, offsetMinutes] = match;
  const valid =
    isCalendarDate(Number(year), Number(month), Number(day)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    // A leap second (:60) has no JavaScript Date.
    Number(second) <= 59 &&
    (offsetHours === undefined || (Number(offsetHours) <= 23 && Number(offsetMinutes) <= 59));
  if (!valid) throw new InvalidInputError(`Not a date-time: ${DATE_TIME_RULE}.`);
  const milliseconds = (fraction ?? '').padEnd(3, '0').slice(0, 3);
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}.${milliseconds}${zone!.toUpperCase()}`);
  // The offset can move the instant across a year boundary: the stored (UTC) year must be in range too.
  const utcYear = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || utcYear < 1 || utcYear > 9999) throw new InvalidInputError(`Not a date-time: ${DATE_TIME_RULE}.`);
  return date;
}

/** Checks a client's calendar date and returns it as sent (resolvers work with YYYY-MM-DD strings). */
export function parseLocalDate(value: unknown): string {
  const match = typeof value === 'string' ? LOCAL_DATE.exec(value) : null;
  if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) throw new InvalidInputError(`Not a date: ${LOCAL_DATE_RULE}.`);
  return value as string;
}

/** Output: what the database returns (a Date, or a timestamp string) as an ISO 8601 string. */
function serializeDateTime(value: unknown): string {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new TypeError('DateTimeISO cannot serialize this value');
  return date.toISOString();
}

function serializeLocalDate(value: unknown): string {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
  if (typeof value === 'string' && LOCAL_DATE.test(value)) return value;
  throw new TypeError('LocalDate cannot serialize this value');
}

export const DateTimeISO = new GraphQLScalarType<Date, string>({
  name: 'DateTimeISO',
  description:
    'A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of dates and times using the Gregorian calendar.This scalar is serialized to a string in ISO 8601 format and parsed from a string in ISO 8601 format.',
  serialize: serializeDateTime,
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});

export const LocalDate = new GraphQLScalarType<string, string>({
  name: 'LocalDate',
  description: 'A local date string (i.e., with no associated timezone) in `YYYY-MM-DD` format, e.g. `2020-01-01`.',
  serialize: serializeLocalDate,
  parseValue: parseLocalDate,
  parseLiteral: (node) => parseLocalDate(node.kind === Kind.STRING ? node.value : undefined),
});

const PLATFORM_SCALARS: ReadonlyMap<string, GraphQLScalarType> = new Map([DateTimeISO, LocalDate].map((scalar) => [scalar.name, scalar]));

/**
 * The schema with the platform's scalars in place of same-named ones: the gateway's API schema is
 * built from the supergraph SDL, where a custom scalar accepts anything, so without this the gateway
 * would pass "garbage" on to a subgraph instead of refusing it.
 */
export function withPlatformScalars(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.SCALAR_TYPE]: (type) => PLATFORM_SCALARS.get(type.name) ?? type,
  });
}
