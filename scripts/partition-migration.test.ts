/**
 * The partitioning migrations (issue 12) keep every row of a database that was in use before them:
 * a region seeded on the previous migrations is migrated, and each resident-keyed table is then
 * partitioned by hash of resident_id with its rows unchanged, its keys (id, resident_id) and its
 * children referencing their parents by (parent_id, resident_id).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegion } from '../seed/index.js';
import { MODULES, migrateAll, migrateModule, type DatabaseHandle } from '../subgraphs/runtime/index.js';
import { testBackends } from '../testkit/index.js';

const PARTITIONING = '_partition_by_resident';
const PARTITIONED = [
  'clinical.encounter',
  'clinical.diagnosis',
  'clinical.prescription',
  'results.lab_report',
  'results.lab_item',
  'results.imaging_report',
  'results.recognition_candidate',
  'results.recognition_decision',
  'archive.physical_exam',
  'archive.follow_up',
  'immunization.immunization_record',
  'consent.consent_version',
  'consent.access_request',
  'consent.access_grant',
  'consent.care_relationship',
  'consent.guardianship',
  'consent.scenario_member',
];

/** A copy of migrations/ as it was before partitioning: each journal cut before its partitioning entry (later ones came after it). */
function migrationsBeforePartitioning(): string {
  const root = mkdtempSync(join(tmpdir(), 'healthmesh-migrations-'));
  cpSync('migrations', root, { recursive: true });
  for (const module of MODULES) {
    const journalPath = join(root, module, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
    const partitioning = journal.entries.findIndex((entry) => entry.tag.endsWith(PARTITIONING));
    if (partitioning >= 0) journal.entries = journal.entries.slice(0, partitioning);
    writeFileSync(journalPath, JSON.stringify(journal));
  }
  return root;
}

/**
 * What migrations after partitioning added that today's seed writes (results 0004: the lab items' unit
 * and the institutions' grades): given to the old schema for the seed, then taken back, so that every
 * migration then runs on the database as it was.
 */
const LATER_ADDITIONS = {
  apply: [
    'alter table results.recognition_item add column unit text',
    'create table results.recognition_institution_grade (institution_id text not null, valid_from date not null, grade text not null, updated_at timestamptz not null, primary key (institution_id, valid_from))',
  ],
  revert: ['drop table results.recognition_institution_grade', 'alter table results.recognition_item drop column unit'],
};

/** Each table's rows as one digest (row text in order) and count; a decision without its new column. */
async function contents(handle: DatabaseHandle, table: string): Promise<{ rows: number; digest: string }> {
  const columns = table === 'results.recognition_decision' ? 'id, candidate_id, accepted, reason, reason_text, decided_by_sub, institution_id, saved_yuan, decided_at, decided_on' : '*';
  const [row] = await handle.query<{ rows: number; digest: string }>(
    `select count(*)::int as rows, coalesce(md5(string_agg(r::text, '|' order by r::text)), '') as digest from (select ${columns} from ${table}) r`,
  );
  return row!;
}

describe.each(testBackends())('the partitioning migration on $name', (backend) => {
  let database: Awaited<ReturnType<typeof backend.open>>;
  let before: string;
  const was = new Map<string, { rows: number; digest: string }>();

  beforeAll(async () => {
    before = migrationsBeforePartitioning();
    database = await backend.open();
    const { handle } = database;
    for (const module of MODULES) await migrateModule(handle, module, before);
    for (const statement of LATER_ADDITIONS.apply) await handle.query(statement);
    await seedRegion(handle.db, { seed: 'partition-migration', residents: 120 });
    for (const statement of LATER_ADDITIONS.revert) await handle.query(statement);
    // What the seed writes no rows to: a grant, a request, a shown candidate and its decision (which had no resident_id).
    await handle.query(`insert into consent.access_request (id, resident_id, requester_sub, requester_institution_id, categories, purpose, reason, uses, valid_for_minutes, includes_level5, status, expires_at)
      values ('areq-1', 'res-000001', 'clinician-a', 'inst-01', '["CLINICAL"]', 'TREAT', '会诊', 1, 60, false, 'APPROVED', now() + interval '1 hour')`);
    await handle.query(`insert into consent.access_grant (id, token_hash, request_id, resident_id, grantee_sub, grantee_institution_id, categories, purpose, max_level, uses_allowed, uses_remaining, valid_from, valid_until)
      values ('grant-1', repeat('a', 64), 'areq-1', 'res-000001', 'clinician-a', 'inst-01', '["CLINICAL"]', 'TREAT', 4, 1, 1, now(), now() + interval '1 hour')`);
    await handle.query(`insert into results.recognition_candidate (id, resident_id, item_code, lab_report_id, result_institution_id, performed_at, recognizable, reasons, shown_to_sub, shown_to_institution_id, shown_at, shown_on)
      select 'rc-1', resident_id, 'LFT-ALT', id, institution_id, collected_at, true, '{}', 'clinician-a', 'inst-01', now(), current_date from results.lab_report order by id limit 1`);
    await handle.query(`insert into results.recognition_decision (id, candidate_id, accepted, decided_by_sub, institution_id, saved_yuan, decided_at, decided_on)
      values ('rd-1', 'rc-1', true, 'clinician-a', 'inst-01', '12.00', now(), current_date)`);
    for (const table of PARTITIONED) was.set(table, await contents(handle, table));
    await migrateAll(handle);
  });
  afterAll(async () => {
    await database?.dispose();
    rmSync(before, { recursive: true, force: true });
  });

  it('had rows in every table it partitions, and keeps each of them unchanged', async () => {
    for (const table of PARTITIONED) {
      if (!['consent.guardianship', 'consent.scenario_member'].includes(table)) expect(was.get(table)!.rows, table).toBeGreaterThan(0);
      expect(await contents(database.handle, table), table).toEqual(was.get(table));
    }
  });

  it('gives the catalogue seeded before them the units its lab items are reported in (results 0005), for the feed rule UNIT', async () => {
    const units = await database.handle.query<{ code: string; unit: string | null }>("select code, unit from results.recognition_item where code in ('HBA1C', 'ELEC-K', 'CT-HEAD') order by code");
    expect(units).toEqual([{ code: 'CT-HEAD', unit: null }, { code: 'ELEC-K', unit: 'mmol/L' }, { code: 'HBA1C', unit: '%' }]);
  });

  it('makes each of them a table partitioned by hash of resident_id, in 8 partitions', async () => {
    const rows = await database.handle.query<{ name: string; strategy: string; key: string; partitions: number }>(
      `select n.nspname || '.' || c.relname as name, p.partstrat::text as strategy, pg_get_partkeydef(c.oid) as key,
              (select count(*)::int from pg_inherits i where i.inhparent = c.oid) as partitions
         from pg_partitioned_table p join pg_class c on c.oid = p.partrelid join pg_namespace n on n.oid = c.relnamespace order by 1`,
    );
    expect(rows.map((row) => row.name)).toEqual([...PARTITIONED].sort());
    for (const row of rows) expect(row, row.name).toMatchObject({ strategy: 'h', key: 'HASH (resident_id)', partitions: 8 });
  });

  it('gives a decision its candidate’s resident', async () => {
    expect(await database.handle.query('select candidate_id, resident_id from results.recognition_decision')).toEqual([
      { candidate_id: 'rc-1', resident_id: (await database.handle.query<{ resident_id: string }>(`select resident_id from results.recognition_candidate where id = 'rc-1'`))[0]!.resident_id },
    ]);
  });

  it('keys records by (id, resident_id) and refuses a child whose parent is another resident’s', async () => {
    const [encounter] = await database.handle.query<{ id: string; resident_id: string }>('select id, resident_id from clinical.encounter order by id limit 1');
    const other = encounter!.resident_id === 'res-000002' ? 'res-000003' : 'res-000002';
    const diagnosis = (residentId: string) =>
      database.handle.query(
        `insert into clinical.diagnosis (id, resident_id, encounter_id, institution_id, code, code_system, code_system_version, display, rank, recorded_at)
         values ('dx-partition-test', $1, $2, 'inst-01', 'I10', 'ICD-10', '国家临床版2.0', '高血压', 'PRIMARY', now())`,
        [residentId, encounter!.id],
      );
    await expect(diagnosis(other)).rejects.toThrow(/diagnosis_encounter_fk/);
    await diagnosis(encounter!.resident_id);
    await expect(diagnosis(encounter!.resident_id)).rejects.toThrow(/duplicate key value violates unique constraint "diagnosis_p\d_pkey"/);
  });
});
