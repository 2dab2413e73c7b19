import { bigserial, boolean, integer, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestBackend } from '../../testkit/databases.js';
import { insertRows, isAnyOf } from './bulk-insert.js';
import type { DatabaseHandle } from './database.js';

const scratch = pgSchema('bulk_insert_test');
const sample = scratch.table('sample', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  id: text('id').notNull().unique(),
  note: text('note'),
  count: integer('count'),
  flag: boolean('flag').notNull().default(true),
  at: timestamp('at', { withTimezone: true }),
  tags: text('tags').array(),
  doc: jsonb('doc').$type<Record<string, unknown>>(),
});

describe.each(testBackends())('insertRows on $name', (backend: TestBackend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ handle, dispose } = await backend.open());
    await handle.query('create schema bulk_insert_test');
    await handle.query(`create table bulk_insert_test.sample (seq bigserial primary key, id text not null unique, note text, count integer,
      flag boolean not null default true, at timestamptz, tags text[], doc jsonb)`);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('stores every value as given, text with quotes and backslashes, arrays, json and nulls included, and leaves unset columns to their defaults', async () => {
    const at = new Date('2026-01-10T01:30:00.123Z');
    await insertRows(handle.db, sample, [
      { id: 'a', note: 'say "hi" \\ {x,y} NULL', count: 7, at, tags: ['one', 'two "2"', 'back\\slash', 'c,d'], doc: { k: ['v', 1], q: 'a"b' } },
      { id: 'b', note: null, count: null, flag: false, at: null, tags: [], doc: null },
    ]);
    const rows = await handle.query<Record<string, unknown>>('select seq, id, note, count, flag, at, tags, doc from bulk_insert_test.sample order by id');
    expect(rows.map(({ seq, at: stored, ...rest }) => ({ ...rest, seq: Number(seq), at: stored === null ? null : new Date(stored as string).toISOString() }))).toEqual([
      { seq: 1, id: 'a', note: 'say "hi" \\ {x,y} NULL', count: 7, flag: true, at: at.toISOString(), tags: ['one', 'two "2"', 'back\\slash', 'c,d'], doc: { k: ['v', 1], q: 'a"b' } },
      { seq: 2, id: 'b', note: null, count: null, flag: false, at: null, tags: [], doc: null },
    ]);
  });

  it('stores a column that holds one value for every row (written as one repeated element) exactly, quotes, backslashes, json and nulls included', async () => {
    const note = 'same "note" \\ {x,y}';
    const doc = { k: 'v"w' };
    await insertRows(handle.db, sample, [
      { id: 'same-1', note, count: 3, flag: false, tags: ['t'], doc, at: null },
      { id: 'same-2', note, count: 3, flag: false, tags: ['t'], doc, at: null },
      { id: 'same-3', note, count: 3, flag: false, tags: ['t'], doc, at: null },
    ]);
    const rows = await handle.query<Record<string, unknown>>("select id, note, count, flag, tags, doc, at from bulk_insert_test.sample where id like 'same-%' order by id");
    expect(rows).toEqual(['same-1', 'same-2', 'same-3'].map((id) => ({ id, note, count: 3, flag: false, tags: ['t'], doc, at: null })));
    await handle.query("delete from bulk_insert_test.sample where id like 'same-%'");
  });

  it('with onConflictDoNothing skips the rows that clash and stores the others; without it, one clash stores nothing', async () => {
    await insertRows(handle.db, sample, [{ id: 'a', note: 'again' }, { id: 'c' }], { onConflictDoNothing: true });
    await expect(insertRows(handle.db, sample, [{ id: 'd' }, { id: 'a' }])).rejects.toThrow();
    const rows = await handle.query<{ id: string; note: string | null }>('select id, note from bulk_insert_test.sample order by id');
    expect(rows.map((r) => [r.id, r.note])).toEqual([['a', 'say "hi" \\ {x,y} NULL'], ['b', null], ['c', null]]);
  });

  it('isAnyOf matches the rows whose column is one of the values (bound as one array, quotes included) and none for an empty list', async () => {
    await insertRows(handle.db, sample, [{ id: 'any "1"' }, { id: 'any-2' }, { id: 'any-3' }]);
    const ids = async (values: string[]) => (await handle.db.select({ id: sample.id }).from(sample).where(isAnyOf(sample.id, values))).map((r) => r.id).sort();
    expect(await ids(['any "1"', 'any-3', 'absent'])).toEqual(['any "1"', 'any-3']);
    expect(await ids([])).toEqual([]);
  });
});
