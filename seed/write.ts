/**
 * Writes the synthetic region: institutions and practitioners, then residents in batches (one
 * transaction per batch, multi-row inserts), holding at most two batches in memory at a time.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { insertRows } from '../subgraphs/runtime/bulk-insert.js';
import type { PgDatabase, PgQueryResultHKT, PgTable } from 'drizzle-orm/pg-core';
import { normaliseIdCardNumber } from '../schema/id-card.js';
import { normaliseHealthCardNumber } from '../schema/health-card.js';
import { normalisePhone } from '../schema/phone.js';
import { followUps, healthArchives, physicalExams } from '../subgraphs/archive/tables.js';
import { diagnoses, encounters, prescriptions } from '../subgraphs/clinical/tables.js';
import { immunizationRecords } from '../subgraphs/immunization/tables.js';
import { residents } from '../subgraphs/population/tables.js';
import { institutions, practitioners } from '../subgraphs/resources/tables.js';
import { imagingReports, labItems, labReports, recognitionEqaStatuses, recognitionInstitutionGrades, recognitionItems } from '../subgraphs/results/tables.js';
import { recognitionCatalogueRows, recognitionEqaRows, recognitionGradeRows } from './recognition-catalogue.js';
import { careRelationships, consentVersions, guardianships } from '../consent/tables.js';
import { DEMO_SCENARIO_ID } from './demo.js';
import { seedDemoScenario } from './demo-scenario.js';
import { bundleRowCount, DEMO_RESIDENT_INDEX, generateResident, residentId, type ResidentBundle } from './generator.js';
import { buildRegion } from './region.js';

export type SeedDatabase = PgDatabase<PgQueryResultHKT, Record<string, never>>;

/**
 * Turns identifying plaintext into what is stored: ciphertext under the resident's data key, and keyed
 * blind indexes for exact lookups. The keyring provides the real one; `plaintextProtector` stands in.
 */
export interface FieldProtector {
  /** What to store for `plaintext` of field `coordinate` (e.g. 'Resident.name') of a resident. */
  protect(residentId: string, coordinate: string, plaintext: string): string;
  /** The blind index of an identifier, computed over its normalised form. */
  blindIndex(kind: 'idCard' | 'healthCard' | 'phone', value: string): string;
}

/** Stores plaintext and uses the normalised value as its own index (until the keyring exists). */
export const plaintextProtector: FieldProtector = {
  protect: (_residentId, _coordinate, plaintext) => plaintext,
  blindIndex: (kind, value) => (kind === 'idCard' ? normaliseIdCardNumber(value) : kind === 'healthCard' ? normaliseHealthCardNumber(value) : normalisePhone(value)),
};

export interface SeedProgress {
  residents: number;
  rows: number;
  elapsedMs: number;
}

export interface SeedOptions {
  seed: string;
  /** How many residents to write. */
  residents: number;
  /** Index of the first resident; above 0 appends to a region seeded earlier with the same seed. */
  startIndex?: number;
  /** Residents per transaction (default 250). */
  batchSize?: number;
  protector?: FieldProtector;
  /** Awaited before each batch is built with the batch's resident ids (the keyring loads their data keys). */
  prepare?: (residentIds: readonly string[]) => Promise<void>;
  /** End of the synthetic history (YYYY-MM-DD); see generateResident. */
  asOf?: string;
  onProgress?: (progress: SeedProgress) => void;
}

/** Refusal to seed a region that already has residents (seeding twice would duplicate nobody but clash on ids). */
export class RegionAlreadySeededError extends Error {
  constructor(message = 'the region is already seeded: population.resident has rows') {
    super(message);
    this.name = 'RegionAlreadySeededError';
  }
}

/** Whether the population.resident table has any rows. */
export async function isRegionSeeded(db: SeedDatabase): Promise<boolean> {
  const rows = await db.select({ id: residents.id }).from(residents).limit(1);
  return rows.length > 0;
}

/** The bundle as stored: identifying fields through the protector, blind indexes over the plaintext. */
export function protectBundle(bundle: ResidentBundle, protector: FieldProtector): ResidentBundle {
  if (protector === plaintextProtector) return bundle;
  const { resident } = bundle;
  const id = resident.id;
  return {
    ...bundle,
    resident: {
      ...resident,
      name: protector.protect(id, 'Resident.name', resident.name),
      idCardNumber: protector.protect(id, 'Resident.idCardNumber', resident.idCardNumber),
      idCardIndex: protector.blindIndex('idCard', resident.idCardNumber),
      healthCardNumber: protector.protect(id, 'Resident.healthCardNumber', resident.healthCardNumber),
      healthCardIndex: protector.blindIndex('healthCard', resident.healthCardNumber),
      phone: resident.phone == null ? null : protector.protect(id, 'Resident.phone', resident.phone),
      phoneIndex: resident.phone == null ? null : protector.blindIndex('phone', resident.phone),
      address: resident.address == null ? null : protector.protect(id, 'Resident.address', resident.address),
    },
    encounters: bundle.encounters.map((e) =>
      e.chiefComplaint == null ? e : { ...e, chiefComplaint: protector.protect(id, 'Encounter.chiefComplaint', e.chiefComplaint) },
    ),
  };
}

interface Batch {
  residents: number;
  rows: number;
  tables: ReadonlyArray<readonly [PgTable, Record<string, unknown>[]]>;
}

function buildBatch(options: SeedOptions, from: number, to: number, protector: FieldProtector): Batch {
  const columns = {
    residents: [] as Record<string, unknown>[],
    archives: [] as Record<string, unknown>[],
    encounters: [] as Record<string, unknown>[],
    diagnoses: [] as Record<string, unknown>[],
    prescriptions: [] as Record<string, unknown>[],
    labReports: [] as Record<string, unknown>[],
    labItems: [] as Record<string, unknown>[],
    imaging: [] as Record<string, unknown>[],
    exams: [] as Record<string, unknown>[],
    followUps: [] as Record<string, unknown>[],
    immunizations: [] as Record<string, unknown>[],
    careRelationships: [] as Record<string, unknown>[],
    guardianships: [] as Record<string, unknown>[],
    consents: [] as Record<string, unknown>[],
  };
  let rows = 0;
  const generateOptions = options.asOf === undefined ? {} : { asOf: options.asOf };
  for (let index = from; index < to; index++) {
    const generated = generateResident(options.seed, index, generateOptions);
    const bundle = protectBundle(generated, protector);
    rows += bundleRowCount(bundle);
    columns.residents.push(bundle.resident);
    columns.archives.push(bundle.healthArchive);
    columns.encounters.push(...bundle.encounters);
    columns.diagnoses.push(...bundle.diagnoses);
    columns.prescriptions.push(...bundle.prescriptions);
    columns.labReports.push(...bundle.labReports);
    columns.labItems.push(...bundle.labItems);
    columns.imaging.push(...bundle.imagingReports);
    columns.exams.push(...bundle.physicalExams);
    columns.followUps.push(...bundle.followUps);
    columns.immunizations.push(...bundle.immunizations);
    columns.careRelationships.push(...careRelationshipsOf(bundle));
    if (index === DEMO_RESIDENT_INDEX.research) columns.consents.push(researchConsent(bundle.resident.id));
    if (consentsToResearchByAnyone(options.seed, generated)) columns.consents.push(researchByAnyoneConsent(bundle.resident.id));
    if (bundle.resident.guardianId) columns.guardianships.push({ residentId: bundle.resident.id, guardianId: bundle.resident.guardianId, since: new Date(`${bundle.resident.birthDate}T00:00:00+08:00`) });
  }
  return {
    residents: to - from,
    rows,
    // Parents before children (diagnoses and prescriptions reference encounters, items their report).
    tables: [
      [residents, columns.residents],
      [healthArchives, columns.archives],
      [encounters, columns.encounters],
      [diagnoses, columns.diagnoses],
      [prescriptions, columns.prescriptions],
      [labReports, columns.labReports],
      [labItems, columns.labItems],
      [imagingReports, columns.imaging],
      [physicalExams, columns.exams],
      [followUps, columns.followUps],
      [immunizationRecords, columns.immunizations],
      [careRelationships, columns.careRelationships],
      [guardianships, columns.guardianships],
      [consentVersions, columns.consents],
    ],
  };
}

/**
 * The demo resident who consented to research: a separate consent (PIPL art. 29 单独同意) for the
 * demo diabetes scenario, research purpose only, results and health status only.
 */
function researchConsent(residentId: string): Record<string, unknown> {
  return {
    id: 'consent-demo-research-v1',
    consentId: 'consent-demo-research',
    version: 1,
    residentId,
    categories: ['CLINICAL', 'RESULTS'],
    recipientKind: 'SCENARIO',
    recipientId: DEMO_SCENARIO_ID,
    purposes: ['HRESCH'],
    provision: 'PERMIT',
    status: 'ACTIVE',
    validFrom: new Date('2026-01-01T00:00:00+08:00'),
    validUntil: new Date('2028-12-31T23:59:59+08:00'),
    noticeVersion: '2026-01',
    autoApprove: false,
    guardianId: null,
    recordedBy: 'resident-research',
    recordedAt: new Date('2026-01-05T10:00:00+08:00'),
  };
}

/**
 * About a third of residents consent to research by anyone (deterministic per seed and resident).
 * Residents followed in the diabetes programme (慢病随访) are asked by their primary-care team, who
 * enrol them in the regional registry, and nineteen in twenty agree; three in ten of everyone else do. That
 * keeps the demo diabetes scenario's cells above k at the default 2,000 residents.
 */
export function consentsToResearchByAnyone(seed: string, bundle: Pick<ResidentBundle, 'index' | 'healthArchive'>): boolean {
  if (bundle.index === DEMO_RESIDENT_INDEX.research) return false;
  const inDiabetesProgramme = (bundle.healthArchive.chronicConditions ?? []).some((condition) => condition.code.startsWith('E11'));
  const draw = createHash('sha256').update(`${seed}\u0000research-consent\u0000${bundle.index}`, 'utf8').digest()[0]!;
  return draw < (inDiabetesProgramme ? 243 : 77);
}

/** A separate consent (单独同意) to research by anyone, for clinical data and results, research purpose only. */
function researchByAnyoneConsent(residentId: string): Record<string, unknown> {
  return {
    id: `consent-research-${residentId}-v1`,
    consentId: `consent-research-${residentId}`,
    version: 1,
    residentId,
    categories: ['CLINICAL', 'RESULTS'],
    recipientKind: 'ANYONE',
    recipientId: null,
    purposes: ['HRESCH'],
    provision: 'PERMIT',
    status: 'ACTIVE',
    validFrom: new Date('2026-01-01T00:00:00+08:00'),
    validUntil: null,
    noticeVersion: '2026-01',
    autoApprove: false,
    guardianId: null,
    recordedBy: residentId,
    recordedAt: new Date('2026-01-05T10:00:00+08:00'),
  };
}

/**
 * The platform's record of which institutions have treated a resident (the clinician's care
 * relationship), from the first encounter at each; the HIS feed keeps it current afterwards.
 */
function careRelationshipsOf(bundle: ResidentBundle): Record<string, unknown>[] {
  const first = new Map<string, Date>();
  for (const encounter of bundle.encounters) {
    const at = new Date(encounter.startedAt as Date | string);
    const known = first.get(encounter.institutionId);
    if (!known || at < known) first.set(encounter.institutionId, at);
  }
  return [...first].map(([institutionId, since]) => ({ residentId: bundle.resident.id, institutionId, since }));
}

async function writeBatch(db: SeedDatabase, batch: Batch): Promise<void> {
  await db.transaction(async (tx) => {
    for (const [table, rows] of batch.tables) await insertRows(tx, table, rows);
  });
}

/**
 * Seeds the synthetic region. Refuses (RegionAlreadySeededError) when residents exist, unless
 * `startIndex` continues a region seeded with the same seed and protector.
 */
export async function seedRegion(db: SeedDatabase, options: SeedOptions): Promise<SeedProgress> {
  const started = performance.now();
  const protector = options.protector ?? plaintextProtector;
  const startIndex = options.startIndex ?? 0;
  const batchSize = options.batchSize ?? 250;
  if (!Number.isInteger(options.residents) || options.residents < 0) throw new Error(`residents must be a non-negative integer, not ${options.residents}`);
  if (!Number.isInteger(startIndex) || startIndex < 0) throw new Error(`startIndex must be a non-negative integer, not ${startIndex}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, not ${batchSize}`);

  if (startIndex === 0) {
    if (await isRegionSeeded(db)) throw new RegionAlreadySeededError();
  } else {
    await assertContinues(db, options, protector, startIndex);
  }

  const region = buildRegion(options.seed);
  const catalogue = recognitionCatalogueRows();
  const eqa = recognitionEqaRows(region, catalogue);
  const grades = recognitionGradeRows(region);
  let rows = 0;
  await db.transaction(async (tx) => {
    // Idempotent, so an append (or a retry after a failed first batch) finds them in place.
    await tx.insert(institutions).values(region.institutions.map((i) => i.row)).onConflictDoNothing();
    await tx.insert(practitioners).values([...region.practitioners]).onConflictDoNothing();
    await tx.insert(recognitionItems).values(catalogue).onConflictDoNothing();
    await tx.insert(recognitionEqaStatuses).values(eqa).onConflictDoNothing();
    await tx.insert(recognitionInstitutionGrades).values(grades).onConflictDoNothing();
  });
  if (startIndex === 0) rows += region.institutions.length + region.practitioners.length + catalogue.length + eqa.length + grades.length;

  let done = 0;
  const elapsed = () => Math.round(performance.now() - started);
  const end = startIndex + options.residents;
  // Generate the next batch while the previous one is being written (helps on a networked Postgres).
  let pending: Promise<void> | undefined;
  for (let from = startIndex; from < end; from += batchSize) {
    const to = Math.min(end, from + batchSize);
    if (options.prepare) await options.prepare(Array.from({ length: to - from }, (_, i) => residentId(from + i)));
    const batch = buildBatch(options, from, to, protector);
    if (pending) await pending;
    pending = writeBatch(db, batch).then(() => {
      done += batch.residents;
      rows += batch.rows;
      options.onProgress?.({ residents: done, rows, elapsedMs: elapsed() });
    });
  }
  if (pending) await pending;
  if (startIndex === 0) await seedDemoScenario(db);
  return { residents: done, rows, elapsedMs: elapsed() };
}

/** Appending is safe only onto the same seed and protector: resident 0 must be the one this seed makes. */
async function assertContinues(db: SeedDatabase, options: SeedOptions, protector: FieldProtector, startIndex: number): Promise<void> {
  const [first] = await db.select({ idCardIndex: residents.idCardIndex }).from(residents).where(eq(residents.id, residentId(0)));
  const expected = protector.blindIndex('idCard', generateResident(options.seed, 0).resident.idCardNumber);
  if (!first || first.idCardIndex !== expected) {
    throw new Error(`cannot append: the region was not seeded with seed "${options.seed}" and this protector`);
  }
  const [clash] = await db.select({ id: residents.id }).from(residents).where(eq(residents.id, residentId(startIndex)));
  if (clash) throw new Error(`cannot append from index ${startIndex}: resident ${clash.id} already exists`);
}
