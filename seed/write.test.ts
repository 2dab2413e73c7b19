import { PGlite } from '@electric-sql/pglite';
import { drizzle, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SEED, bundleRowCount, generateResident, type ResidentBundle } from './generator.js';
import { recognitionCatalogueRows } from './recognition-catalogue.js';
import { buildRegion } from './region.js';
import { RegionAlreadySeededError, isRegionSeeded, plaintextProtector, protectBundle, seedRegion, type FieldProtector, type SeedProgress } from './write.js';

const MODULES = ['population', 'resources', 'clinical', 'results', 'archive', 'immunization', 'consent'];
const RESIDENTS = 30;

let client: PGlite;
let db: PgliteDatabase;

beforeAll(async () => {
  client = new PGlite();
  db = drizzle(client);
  for (const module of MODULES) await migrate(db, { migrationsFolder: `migrations/${module}`, migrationsTable: `${module}_migrations` });
});

afterAll(async () => {
  await client?.close();
});

async function count(table: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]!.n;
}

function expectedCounts(bundles: readonly ResidentBundle[]) {
  const sum = (pick: (b: ResidentBundle) => number) => bundles.reduce((n, b) => n + pick(b), 0);
  return {
    'population.resident': bundles.length,
    'archive.health_archive': bundles.length,
    'clinical.encounter': sum((b) => b.encounters.length),
    'clinical.diagnosis': sum((b) => b.diagnoses.length),
    'clinical.prescription': sum((b) => b.prescriptions.length),
    'results.lab_report': sum((b) => b.labReports.length),
    'results.lab_item': sum((b) => b.labItems.length),
    'results.imaging_report': sum((b) => b.imagingReports.length),
    'archive.physical_exam': sum((b) => b.physicalExams.length),
    'archive.follow_up': sum((b) => b.followUps.length),
    'immunization.immunization_record': sum((b) => b.immunizations.length),
  };
}

async function actualCounts(tables: readonly string[]) {
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await count(t)] as const)));
}

describe('seedRegion', () => {
  const bundles = Array.from({ length: RESIDENTS }, (_, i) => generateResident(DEFAULT_SEED, i));

  it('reports an empty region as not seeded', async () => {
    expect(await isRegionSeeded(db)).toBe(false);
  });

  it('writes institutions, practitioners and every row of 30 residents, in batches with progress', async () => {
    const progress: SeedProgress[] = [];
    const result = await seedRegion(db, { seed: DEFAULT_SEED, residents: RESIDENTS, batchSize: 8, onProgress: (p) => progress.push(p) });
    const region = buildRegion(DEFAULT_SEED);
    const expected = expectedCounts(bundles);
    expect(await actualCounts(Object.keys(expected))).toEqual(expected);
    expect(await count('resources.institution')).toBe(22);
    expect(await count('resources.practitioner')).toBe(region.practitioners.length);
    const catalogue = recognitionCatalogueRows().length;
    expect(await count('results.recognition_item')).toBe(catalogue);
    // Every institution has an EQA status for every item (passed, lapsed, failed, or without the HR mark).
    expect(await count('results.recognition_eqa_status')).toBe(catalogue * 22);
    // And its grade, which the items' recognised grades are matched against.
    expect(await count('results.recognition_institution_grade')).toBe(22);
    const rows = region.institutions.length * 2 + region.practitioners.length + catalogue * 23 + bundles.reduce((n, b) => n + bundleRowCount(b), 0);
    expect(result).toEqual({ residents: RESIDENTS, rows, elapsedMs: result.elapsedMs });
    expect(progress.map((p) => p.residents)).toEqual([8, 16, 24, 30]);
  });

  it('stores what the generator made: dates, JSON and flags round-trip', async () => {
    const { rows } = await client.query<{ guardian_id: string; name: string; id_card_index: string }>(
      "select guardian_id, name, id_card_index from population.resident where id = 'res-000003'",
    );
    expect(rows).toEqual([{ guardian_id: 'res-000000', name: bundles[3]!.resident.name, id_card_index: bundles[3]!.resident.idCardNumber }]);
    const archive = await client.query<{ chronic_conditions: unknown; archive_number: string }>(
      "select chronic_conditions, archive_number from archive.health_archive where resident_id = 'res-000000'",
    );
    expect(archive.rows).toEqual([{ chronic_conditions: bundles[0]!.healthArchive.chronicConditions, archive_number: bundles[0]!.healthArchive.archiveNumber }]);
    const first = bundles[0]!.encounters[0]!;
    const encounter = await client.query<{ started_at: Date }>('select started_at from clinical.encounter where id = $1', [first.id]);
    expect(encounter.rows[0]!.started_at.toISOString()).toBe(first.startedAt.toISOString());
    expect(await count("results.lab_report where level = 5 and resident_id = 'res-000001'")).toBeGreaterThan(0);
  });

  it('reports the region as seeded and refuses a second run', async () => {
    expect(await isRegionSeeded(db)).toBe(true);
    await expect(seedRegion(db, { seed: DEFAULT_SEED, residents: RESIDENTS })).rejects.toBeInstanceOf(RegionAlreadySeededError);
    expect(await count('population.resident')).toBe(RESIDENTS);
  });

  it('appends residents after the last index of a region seeded with the same seed', async () => {
    const result = await seedRegion(db, { seed: DEFAULT_SEED, residents: 5, startIndex: RESIDENTS });
    expect(result.residents).toBe(5);
    expect(await count('population.resident')).toBe(RESIDENTS + 5);
    expect(await count('resources.institution')).toBe(22);
  });

  it('refuses to append under a different seed', async () => {
    await expect(seedRegion(db, { seed: 'other', residents: 5, startIndex: 40 })).rejects.toThrow(
      'cannot append: the region was not seeded with seed "other" and this protector',
    );
  });
});

describe('protectBundle', () => {
  const marking: FieldProtector = {
    protect: (residentId, coordinate, plaintext) => `enc(${residentId},${coordinate},${plaintext.length})`,
    blindIndex: (kind, value) => `idx(${kind},${value})`,
  };

  it('passes the identifying fields through the protector and indexes the plaintext', () => {
    const bundle = generateResident(DEFAULT_SEED, 0);
    const { resident, encounters } = protectBundle(bundle, marking);
    expect(resident.name).toBe(`enc(res-000000,Resident.name,${bundle.resident.name.length})`);
    expect(resident.idCardNumber).toBe('enc(res-000000,Resident.idCardNumber,18)');
    expect(resident.idCardIndex).toBe(`idx(idCard,${bundle.resident.idCardNumber})`);
    expect(resident.phone).toBe('enc(res-000000,Resident.phone,11)');
    expect(resident.phoneIndex).toBe(`idx(phone,${bundle.resident.phone})`);
    expect(resident.address).toMatch(/^enc\(res-000000,Resident\.address,\d+\)$/);
    expect(encounters.every((e) => e.chiefComplaint?.startsWith('enc(res-000000,Encounter.chiefComplaint,'))).toBe(true);
    expect(resident.birthDate).toBe(bundle.resident.birthDate);
  });

  it('leaves a bundle untouched under the plaintext protector, whose index is the normalised value', () => {
    const bundle = generateResident(DEFAULT_SEED, 0);
    expect(protectBundle(bundle, plaintextProtector)).toBe(bundle);
    expect(plaintextProtector.blindIndex('idCard', '11010519491231002x')).toBe('11010519491231002X');
    expect(plaintextProtector.blindIndex('phone', '+86 138-0013-8000')).toBe('13800138000');
  });
});
