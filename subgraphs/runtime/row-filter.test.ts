import { PgDialect, pgTable, smallint, text } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { SensitivityLevel } from '../../schema/classification.js';
import type { GatewayContextClaims } from '../../schema/context.js';
import { NO_ROWS, residentRowFilter, residentsRowFilter, type ResidentRowColumns } from './row-filter.js';

const records = pgTable('record', {
  residentId: text('resident_id').notNull(),
  institutionId: text('institution_id').notNull(),
  level: smallint('level').notNull(),
});
const dialect = new PgDialect();
const render = (filter: SQL) => {
  const { sql, params } = dialect.sqlToQuery(filter);
  return { sql, params };
};

function context(maxLevel: unknown, institutionId?: string): GatewayContextClaims {
  const scope = { maxLevel: maxLevel as SensitivityLevel, ...(institutionId ? { institutionId } : {}) };
  return { requestId: 'req-test', actor: null, purpose: 'TREAT', scope: { residents: { 'res-a': { CLINICAL: scope } } } };
}

describe('residentRowFilter', () => {
  it('limits the rows to the resident, the scope’s highest level and its institution', () => {
    expect(render(residentRowFilter(context(4), 'CLINICAL', records, 'res-a'))).toEqual({
      sql: '("record"."resident_id" = $1 and "record"."level" <= $2)',
      params: ['res-a', 4],
    });
    expect(render(residentRowFilter(context(5, 'inst-1'), 'CLINICAL', records, 'res-a'))).toEqual({
      sql: '("record"."resident_id" = $1 and "record"."level" <= $2 and "record"."institution_id" = $3)',
      params: ['res-a', 5, 'inst-1'],
    });
    expect(render(residentsRowFilter(context(4), 'CLINICAL', records, ['res-a', 'res-b']))).toEqual({
      sql: '("record"."resident_id" = $1 and "record"."level" <= $2)',
      params: ['res-a', 4],
    });
  });

  it('returns no rows for another resident, another category, or a scope whose level is not 1 to 5', () => {
    const closed: SQL[] = [
      residentRowFilter(context(4), 'CLINICAL', records, 'res-b'),
      residentRowFilter(context(4), 'RESULTS', records, 'res-a'),
      ...[undefined, null, 0, 6, 4.5, '5', Number.NaN].map((maxLevel) => residentRowFilter(context(maxLevel), 'CLINICAL', records, 'res-a')),
      residentsRowFilter(context(undefined), 'CLINICAL', records, ['res-a']),
    ];
    expect(closed.length).toBe(10);
    for (const filter of closed) expect(render(filter)).toEqual(render(NO_ROWS));
  });

  it('cannot be given a table without a level column', () => {
    const withoutLevel = { residentId: records.residentId, institutionId: records.institutionId };
    // @ts-expect-error: a level-less table cannot prove its rows are within the scope's level.
    const columns: ResidentRowColumns = withoutLevel;
    expect(columns).toBe(withoutLevel);
  });
});
