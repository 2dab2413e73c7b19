import { scopedClaims, type TestScope } from '../../testkit/claims.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CommonJS build: the one @apollo/subgraph and type-graphql built the schema with (vite would pick index.mjs,
// and graphql-js refuses a schema from the other module instance).
import { graphql, Kind, parse, print, type ExecutionResult, type ObjectTypeDefinitionNode } from 'graphql/index.js';
import { classificationGaps, readClassifications } from '../../schema/classification.js';
import type { Actor, GatewayContextClaims } from '../../schema/context.js';
import { buildSubgraph, type BuiltSubgraph, subgraphContext } from '../runtime/index.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../runtime/database.js';
import { archiveSubgraph } from './index.js';
import { followUps, healthArchives, physicalExams } from './tables.js';

const A = 'res-a';
const B = 'res-b';
const C = 'res-c';
const CLINIC_1 = 'inst-1';
const CLINIC_2 = 'inst-2';
const clinician: Actor = { sub: 'dr-wang', role: 'clinician', institutionId: CLINIC_1, practitionerId: 'pr-wang' };
const his: Actor = { sub: 'his-1', role: 'hospital_system', institutionId: CLINIC_1 };

function claims(scope: TestScope | null = {}, actor: Actor | null = clinician): GatewayContextClaims {
  return scopedClaims(scope, actor, { residentIds: [A], categories: ['HEALTH_STATUS', 'PUBLIC_HEALTH'] });
}

const RESIDENT_ARCHIVE = /* GraphQL */ `
  query ($id: ID!, $programme: String, $first: Int) {
    _entities(representations: [{ __typename: "Resident", id: $id }]) {
      ... on Resident {
        id
        healthArchive {
          id archiveNumber openedOn bloodType level
          managingInstitution { id }
          chronicConditions { code codeSystem codeSystemVersion display since }
          allergies { substance reaction }
          physicalExams(first: $first) { id examDate heightCm weightKg systolic diastolic fastingGlucose summary level institution { id } }
          followUps(first: $first, programme: $programme) { id programme visitDate mode systolic assessment nextVisitDate institution { id } }
        }
      }
    }
  }
`;

interface Archive {
  id: string;
  archiveNumber: string;
  openedOn: string;
  level: number;
  managingInstitution: { id: string };
  chronicConditions: Array<{ code: string; since: string }>;
  allergies: Array<{ substance: string }>;
  physicalExams: Array<{ id: string; examDate: string; level: number }>;
  followUps: Array<{ id: string; programme: string; institution: { id: string } }>;
}

const RECORD = /* GraphQL */ `
  mutation ($input: [FollowUpInput!]!) { recordFollowUps(input: $input) }
`;

/** A field's argument list (sorted: type-graphql's order follows decorator evaluation) and its type, from the SDL. */
function signature(sdl: string, typeName: string, fieldName: string): { args: string[]; type: string } | undefined {
  const type = parse(sdl).definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === typeName);
  const field = type?.fields?.find((f) => f.name.value === fieldName);
  if (!field) return undefined;
  return { args: (field.arguments ?? []).map((a) => `${a.name.value}: ${print(a.type)}`).sort(), type: print(field.type) };
}

let built: BuiltSubgraph;
let handle: DatabaseHandle;

async function run<Data>(source: string, request: GatewayContextClaims, variableValues?: Record<string, unknown>): Promise<ExecutionResult<Data>> {
  return (await graphql({ schema: built.schema, source, variableValues, contextValue: subgraphContext(handle.db, request) })) as ExecutionResult<Data>;
}

async function archiveOf(id: string, request: GatewayContextClaims, variables: Record<string, unknown> = {}): Promise<Archive | null> {
  const result = await run<{ _entities: Array<{ healthArchive: Archive | null }> }>(RESIDENT_ARCHIVE, request, { id, ...variables });
  expect(result.errors).toBeUndefined();
  return result.data!._entities[0]!.healthArchive;
}

async function followUpCount(): Promise<number> {
  const [row] = await handle.query<{ n: number }>('select count(*)::int as n from archive.follow_up');
  return row!.n;
}

function visit(input: Record<string, unknown> = {}): Record<string, unknown> {
  return { residentId: B, programme: 'DIABETES', visitDate: '2024-05-01', mode: 'CLINIC', fastingGlucose: 6.8, assessment: 'CONTROLLED', nextVisitDate: '2024-08-01', ...input };
}

beforeAll(async () => {
  built = await buildSubgraph(archiveSubgraph);
  handle = await openDatabase();
  await migrateAll(handle, ['archive']);
  const db = handle.db;
  await db.insert(healthArchives).values([
    {
      id: 'arc-a',
      residentId: A,
      archiveNumber: '11010500100100001',
      managingInstitutionId: CLINIC_1,
      openedOn: '2015-06-01',
      bloodType: 'A+',
      chronicConditions: [{ code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '原发性高血压', since: '2018-03-01' }],
      allergies: [{ substance: '青霉素', reaction: '皮疹' }],
    },
    { id: 'arc-b', residentId: B, archiveNumber: '11010500100100002', managingInstitutionId: CLINIC_1, openedOn: '2016-01-01' },
    {
      id: 'arc-c',
      residentId: C,
      archiveNumber: '11010500100100003',
      managingInstitutionId: CLINIC_1,
      openedOn: '2016-01-01',
      sensitivity: 'MENTAL_HEALTH',
      level: 5,
    },
  ]);
  const exam = (id: string, residentId: string, examDate: string, extra: Partial<typeof physicalExams.$inferInsert> = {}) => ({
    id,
    residentId,
    institutionId: CLINIC_1,
    examDate,
    heightCm: 168,
    weightKg: 70.5,
    systolic: 138,
    diastolic: 88,
    fastingGlucose: 5.6,
    summary: '血压偏高，建议低盐饮食',
    ...extra,
  });
  await db.insert(physicalExams).values([
    exam('pe-a-2023', A, '2023-04-01'),
    exam('pe-a-2024', A, '2024-04-01'),
    exam('pe-a-5', A, '2022-04-01', { sensitivity: 'MENTAL_HEALTH', level: 5, institutionId: CLINIC_2 }),
    exam('pe-b-2024', B, '2024-04-02'),
  ]);
  const followUp = (id: string, residentId: string, programme: string, visitDate: string, institutionId = CLINIC_1) => ({
    id,
    residentId,
    institutionId,
    programme,
    visitDate,
    mode: 'CLINIC',
    systolic: 135,
    diastolic: 85,
    assessment: 'CONTROLLED',
  });
  await db.insert(followUps).values([
    followUp('fu-a-htn-1', A, 'HYPERTENSION', '2024-01-10'),
    followUp('fu-a-htn-2', A, 'HYPERTENSION', '2024-04-10', CLINIC_2),
    followUp('fu-a-dm-1', A, 'DIABETES', '2024-02-10'),
    followUp('fu-b-htn-1', B, 'HYPERTENSION', '2024-02-11'),
  ]);
});

afterAll(async () => {
  await handle?.close();
});

describe('archive subgraph schema', () => {
  it('extends Resident by key with a nullable, classified healthArchive', () => {
    expect(built.sdl).toMatch(/type Resident @key\(fields: "id"\)/);
    expect(signature(built.sdl, 'Resident', 'healthArchive')).toEqual({ args: [], type: 'HealthArchive' });
    expect(signature(built.sdl, 'HealthArchive', 'physicalExams')).toEqual({ args: ['first: Int'], type: '[PhysicalExam!]' });
    expect(signature(built.sdl, 'HealthArchive', 'followUps')).toEqual({ args: ['first: Int', 'programme: String'], type: '[FollowUp!]' });
    const classifications = readClassifications(built.sdl);
    expect(classifications.get('Resident.healthArchive')).toEqual({ category: 'HEALTH_STATUS', level: 3, encrypted: false });
    expect(classifications.get('HealthArchive.physicalExams')).toEqual({ category: 'HEALTH_STATUS', level: 3, encrypted: false });
    expect(classifications.get('HealthArchive.followUps')).toEqual({ category: 'PUBLIC_HEALTH', level: 3, encrypted: false });
    expect(built.sdl).toMatch(/openedOn: LocalDate @classified/);
    expect(built.sdl).toMatch(/type Institution @key\(fields: "id", resolvable: false\)/);
  });

  it('classifies every field of every object type, with the archive number as demographics', () => {
    const classifications = readClassifications(built.sdl);
    expect(classificationGaps(built.sdl).unclassified).toEqual([]);
    expect(classifications.get('HealthArchive.archiveNumber')).toEqual({ category: 'DEMOGRAPHICS', level: 3, encrypted: false });
    expect(classifications.get('HealthArchive.bloodType')).toEqual({ category: 'HEALTH_STATUS', level: 3, encrypted: false });
    expect(classifications.get('FollowUp.assessment')).toEqual({ category: 'PUBLIC_HEALTH', level: 3, encrypted: false });
    expect(classifications.get('ChronicCondition.code')).toEqual({ category: 'HEALTH_STATUS', level: 3, encrypted: false });
    expect(classifications.get('AllergyRecord.substance')).toEqual({ category: 'HEALTH_STATUS', level: 3, encrypted: false });
  });

  it('makes every field above level 2 nullable except ids', () => {
    expect(classificationGaps(built.sdl).nonNullAboveLevel2).toEqual([]);
  });
});

describe('reading the health archive through Resident', () => {
  it('returns the scoped resident’s archive with its conditions, allergies, exams and follow-ups, newest first', async () => {
    const archive = await archiveOf(A, claims());
    expect(archive).toMatchObject({
      id: 'arc-a',
      archiveNumber: '11010500100100001',
      openedOn: '2015-06-01',
      managingInstitution: { id: CLINIC_1 },
      chronicConditions: [{ code: 'I10.x00', since: '2018-03-01' }],
      allergies: [{ substance: '青霉素' }],
    });
    expect(archive!.physicalExams.map((e) => e.id)).toEqual(['pe-a-2024', 'pe-a-2023']);
    expect(archive!.followUps.map((f) => f.id)).toEqual(['fu-a-htn-2', 'fu-a-dm-1', 'fu-a-htn-1']);
  });

  it('returns no archive for a resident outside the scope', async () => {
    expect(await archiveOf(B, claims())).toBeNull();
  });

  it('leaves out level-5 archives and exams when the scope stops at level 4 and includes them at level 5', async () => {
    const scopeC = { residentIds: [A, C] };
    expect(await archiveOf(C, claims({ ...scopeC, maxLevel: 4 }))).toBeNull();
    expect(await archiveOf(C, claims({ ...scopeC, maxLevel: 5 }))).toMatchObject({ id: 'arc-c', level: 5 });

    const atFive = await archiveOf(A, claims({ maxLevel: 5 }));
    expect(atFive!.physicalExams.map((e) => e.id)).toEqual(['pe-a-2024', 'pe-a-2023', 'pe-a-5']);
  });

  it('returns nothing without a scope or without the HEALTH_STATUS category', async () => {
    expect(await archiveOf(A, claims(null))).toBeNull();
    expect(await archiveOf(A, claims(null, null))).toBeNull();
    expect(await archiveOf(A, claims({ categories: ['PUBLIC_HEALTH', 'RESULTS'] }))).toBeNull();
  });

  it('filters exams and follow-ups by their own category', async () => {
    const withoutPublicHealth = await archiveOf(A, claims({ categories: ['HEALTH_STATUS'] }));
    expect(withoutPublicHealth!.physicalExams).toHaveLength(2);
    expect(withoutPublicHealth!.followUps).toEqual([]);
  });

  it('honours an institution restriction on the archive and its lists', async () => {
    const atClinic1 = await archiveOf(A, claims({ institutionId: CLINIC_1, maxLevel: 5 }));
    expect(atClinic1!.physicalExams.map((e) => e.id)).toEqual(['pe-a-2024', 'pe-a-2023']);
    expect(atClinic1!.followUps.map((f) => f.id)).toEqual(['fu-a-dm-1', 'fu-a-htn-1']);
    // The archive is kept by clinic 1: a context limited to clinic 2 does not see it.
    expect(await archiveOf(A, claims({ institutionId: CLINIC_2 }))).toBeNull();
  });

  it('filters follow-ups by programme, bounds pages and refuses an unknown programme', async () => {
    const hypertension = await archiveOf(A, claims(), { programme: 'HYPERTENSION', first: 1 });
    expect(hypertension!.followUps.map((f) => f.id)).toEqual(['fu-a-htn-2']);
    expect(hypertension!.physicalExams.map((e) => e.id)).toEqual(['pe-a-2024']);
    const result = await run(RESIDENT_ARCHIVE, claims(), { id: A, programme: 'ASTHMA' });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});

describe('recordFollowUps (HIS feed)', () => {
  it('records follow-up visits at the pushing institution', async () => {
    const result = await run<{ recordFollowUps: string[] }>(RECORD, claims(null, his), { input: [visit(), visit({ programme: 'HYPERTENSION', systolic: 142, diastolic: 91 })] });
    expect(result.errors).toBeUndefined();
    const rows = await handle.query<{ institution_id: string; programme: string }>(
      'select institution_id, programme from archive.follow_up where id = any($1) order by programme',
      [result.data!.recordFollowUps],
    );
    expect(rows).toEqual([
      { institution_id: CLINIC_1, programme: 'DIABETES' },
      { institution_id: CLINIC_1, programme: 'HYPERTENSION' },
    ]);
  });

  it('refuses a bad programme, mode, assessment, future visit or implausible pressure with BAD_USER_INPUT and writes nothing', async () => {
    const before = await followUpCount();
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    for (const bad of [
      { programme: 'ASTHMA' },
      { mode: 'EMAIL' },
      { assessment: 'FINE' },
      { visitDate: future, nextVisitDate: null },
      { nextVisitDate: '2024-04-01' },
      { systolic: 20 },
    ]) {
      const result = await run(RECORD, claims(null, his), { input: [visit(), visit(bad)] });
      expect(result.errors?.[0]?.extensions?.['code'], JSON.stringify(bad)).toBe('BAD_USER_INPUT');
    }
    expect(await followUpCount()).toBe(before);
  });

  it('refuses a push from anyone but a hospital system with FORBIDDEN', async () => {
    const before = await followUpCount();
    const result = await run(RECORD, claims({ residentIds: [B] }, clinician), { input: [visit()] });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(await followUpCount()).toBe(before);
  });
});
