import { scopedClaims, type TestScope } from '../../testkit/claims.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CommonJS build: the one @apollo/subgraph and type-graphql built the schema with (vite would pick index.mjs,
// and graphql-js refuses a schema from the other module instance).
import { graphql, Kind, parse, print, type ExecutionResult, type ObjectTypeDefinitionNode } from 'graphql/index.js';
import { classificationGaps, readClassifications } from '../../schema/classification.js';
import type { Actor, GatewayContextClaims } from '../../schema/context.js';
import { buildSubgraph, type BuiltSubgraph, subgraphContext } from '../runtime/index.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../runtime/database.js';
import { immunizationSubgraph } from './index.js';
import { immunizationRecords } from './tables.js';

const A = 'res-a';
const B = 'res-b';
const CLINIC_1 = 'inst-1';
const CLINIC_2 = 'inst-2';
const clinician: Actor = { sub: 'dr-zhao', role: 'clinician', institutionId: CLINIC_1, practitionerId: 'pr-zhao' };
const his: Actor = { sub: 'his-2', role: 'hospital_system', institutionId: CLINIC_2 };

function claims(scope: TestScope | null = {}, actor: Actor | null = clinician): GatewayContextClaims {
  return scopedClaims(scope, actor, { residentIds: [A], categories: ['PUBLIC_HEALTH'] });
}

const RESIDENT_IMMUNIZATIONS = /* GraphQL */ `
  query ($id: ID!, $first: Int, $before: LocalDate) {
    _entities(representations: [{ __typename: "Resident", id: $id }]) {
      ... on Resident {
        id
        immunizations(first: $first, before: $before) {
          id vaccineCode vaccineName doseNumber lotNumber manufacturer administeredOn site route level sensitivity
          institution { id }
        }
      }
    }
  }
`;

interface Dose {
  id: string;
  doseNumber: number;
  administeredOn: string;
  level: number;
  institution: { id: string };
}

const RECORD = /* GraphQL */ `
  mutation ($input: [ImmunizationInput!]!) { recordImmunizations(input: $input) }
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

async function immunizationsOf(id: string, request: GatewayContextClaims, variables: Record<string, unknown> = {}): Promise<Dose[]> {
  const result = await run<{ _entities: Array<{ immunizations: Dose[] }> }>(RESIDENT_IMMUNIZATIONS, request, { id, ...variables });
  expect(result.errors).toBeUndefined();
  return result.data!._entities[0]!.immunizations;
}

async function recordCount(): Promise<number> {
  const [row] = await handle.query<{ n: number }>('select count(*)::int as n from immunization.immunization_record');
  return row!.n;
}

function dose(input: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    residentId: B,
    vaccineCode: '0101',
    vaccineName: '乙肝疫苗',
    doseNumber: 2,
    lotNumber: '202403A01',
    manufacturer: '深圳康泰',
    administeredOn: '2024-05-01',
    site: '左上臂三角肌',
    route: '肌内注射',
    ...input,
  };
}

beforeAll(async () => {
  built = await buildSubgraph(immunizationSubgraph);
  handle = await openDatabase();
  await migrateAll(handle, ['immunization']);
  const row = (id: string, residentId: string, doseNumber: number, administeredOn: string, extra: Partial<typeof immunizationRecords.$inferInsert> = {}) => ({
    id,
    residentId,
    institutionId: CLINIC_1,
    vaccineCode: '0101',
    vaccineName: '乙肝疫苗',
    doseNumber,
    lotNumber: 'L1',
    manufacturer: '深圳康泰',
    administeredOn,
    site: '右上臂三角肌',
    route: '肌内注射',
    ...extra,
  });
  await handle.db.insert(immunizationRecords).values([
    row('imm-a1', A, 1, '2020-01-01'),
    row('imm-a2', A, 2, '2020-02-01', { institutionId: CLINIC_2 }),
    row('imm-a3', A, 3, '2020-07-01'),
    row('imm-a5', A, 1, '2021-03-01', { vaccineCode: '1601', vaccineName: 'HPV 疫苗', sensitivity: 'REPRODUCTIVE', level: 5 }),
    row('imm-b1', B, 1, '2020-01-05'),
  ]);
});

afterAll(async () => {
  await handle?.close();
});

describe('immunization subgraph schema', () => {
  it('extends Resident by key with bounded, classified immunizations paged by LocalDate', () => {
    expect(built.sdl).toMatch(/type Resident @key\(fields: "id"\)/);
    expect(signature(built.sdl, 'Resident', 'immunizations')).toEqual({ args: ['after: String', 'before: LocalDate', 'first: Int', 'from: LocalDate', 'institutionId: ID', 'until: LocalDate'], type: '[ImmunizationRecord!]' });
    expect(readClassifications(built.sdl).get('Resident.immunizations')).toEqual({ category: 'PUBLIC_HEALTH', level: 3, encrypted: false });
    expect(built.sdl).toMatch(/administeredOn: LocalDate @classified\(category: "PUBLIC_HEALTH", level: 3/);
    expect(built.sdl).toMatch(/type Institution @key\(fields: "id", resolvable: false\)/);
    expect(signature(built.sdl, 'Mutation', 'recordImmunizations')).toEqual({ args: ['checkOnly: Boolean!', 'input: [ImmunizationInput!]!'], type: '[ID!]!' });
  });

  it('classifies every field of every object type and makes those above level 2 nullable except ids', () => {
    const classifications = readClassifications(built.sdl);
    expect(classificationGaps(built.sdl).unclassified).toEqual([]);
    expect(classificationGaps(built.sdl).nonNullAboveLevel2).toEqual([]);
    expect(classifications.get('ImmunizationRecord.lotNumber')).toEqual({ category: 'PUBLIC_HEALTH', level: 3, encrypted: false });
  });
});

describe('reading immunizations through Resident', () => {
  it('returns only the scoped resident’s doses, newest first', async () => {
    expect((await immunizationsOf(A, claims())).map((d) => d.id)).toEqual(['imm-a3', 'imm-a2', 'imm-a1']);
    expect(await immunizationsOf(B, claims())).toEqual([]);
  });

  it('leaves out level-5 doses when the scope stops at level 4 and includes them at level 5', async () => {
    expect((await immunizationsOf(A, claims({ maxLevel: 4 }))).map((d) => d.id)).not.toContain('imm-a5');
    const atFive = await immunizationsOf(A, claims({ maxLevel: 5 }));
    expect(atFive[0]).toMatchObject({ id: 'imm-a5', level: 5 });
  });

  it('returns nothing without a scope or without the PUBLIC_HEALTH category', async () => {
    expect(await immunizationsOf(A, claims(null))).toEqual([]);
    expect(await immunizationsOf(A, claims(null, null))).toEqual([]);
    expect(await immunizationsOf(A, claims({ categories: ['CLINICAL', 'RESULTS'] }))).toEqual([]);
  });

  it('honours an institution restriction', async () => {
    const atClinic2 = await immunizationsOf(A, claims({ institutionId: CLINIC_2, maxLevel: 5 }));
    expect(atClinic2.map((d) => [d.id, d.institution.id])).toEqual([['imm-a2', CLINIC_2]]);
  });

  it('pages with first and a LocalDate before', async () => {
    expect((await immunizationsOf(A, claims(), { first: 1 })).map((d) => d.id)).toEqual(['imm-a3']);
    expect((await immunizationsOf(A, claims(), { first: 1, before: '2020-07-01' })).map((d) => d.id)).toEqual(['imm-a2']);
  });
});

describe('recordImmunizations (HIS feed)', () => {
  it('records doses at the pushing institution', async () => {
    const result = await run<{ recordImmunizations: string[] }>(RECORD, claims(null, his), { input: [dose(), dose({ doseNumber: 3, administeredOn: '2024-10-01' })] });
    expect(result.errors).toBeUndefined();
    const rows = await handle.query<{ institution_id: string; dose_number: number; administered_on: string; level: number }>(
      "select institution_id, dose_number, to_char(administered_on, 'YYYY-MM-DD') as administered_on, level from immunization.immunization_record where id = any($1) order by dose_number",
      [result.data!.recordImmunizations],
    );
    expect(rows).toEqual([
      { institution_id: CLINIC_2, dose_number: 2, administered_on: '2024-05-01', level: 3 },
      { institution_id: CLINIC_2, dose_number: 3, administered_on: '2024-10-01', level: 3 },
    ]);
  });

  it('refuses a bad vaccine code, dose number or future date with BAD_USER_INPUT and writes nothing', async () => {
    const before = await recordCount();
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    for (const bad of [{ vaccineCode: 'HBV' }, { vaccineCode: '01' }, { doseNumber: 0 }, { doseNumber: 11 }, { administeredOn: future }, { lotNumber: ' ' }]) {
      const result = await run(RECORD, claims(null, his), { input: [dose(), dose(bad)] });
      expect(result.errors?.[0]?.extensions?.['code'], JSON.stringify(bad)).toBe('BAD_USER_INPUT');
    }
    const empty = await run(RECORD, claims(null, his), { input: [] });
    expect(empty.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await recordCount()).toBe(before);
  });

  it('refuses a push from anyone but a hospital system with FORBIDDEN', async () => {
    const before = await recordCount();
    for (const actor of [clinician, { sub: 'res-b', role: 'resident', residentId: B } satisfies Actor, null]) {
      const result = await run(RECORD, claims({ residentIds: [B] }, actor), { input: [dose()] });
      expect(result.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    }
    expect(await recordCount()).toBe(before);
  });
});
