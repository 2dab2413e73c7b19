import { scopedClaims, type TestScope } from '../../testkit/claims.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CommonJS build: the one @apollo/subgraph and type-graphql built the schema with (vite would pick index.mjs,
// and graphql-js refuses a schema from the other module instance).
import { graphql, Kind, parse, print, type ExecutionResult, type ObjectTypeDefinitionNode } from 'graphql/index.js';
import { InMemoryKeyProvider, newBlindIndexKey, openKeyring, type Keyring } from '../../gateway/keyring/index.js';
import { classificationGaps, readClassifications } from '../../schema/classification.js';
import type { Actor, CategoryScope, GatewayContextClaims, RowScope } from '../../schema/context.js';
import { testBackends } from '../../testkit/databases.js';
import { buildSubgraph, type BuiltSubgraph, subgraphContext } from '../runtime/index.js';
import { migrateAll, type DatabaseHandle } from '../runtime/database.js';
import { clinicalSubgraph } from './index.js';
import { diagnoses, encounters, prescriptions } from './tables.js';

const A = 'res-a';
const B = 'res-b';
const C = 'res-c';
/** The resident the HIS feed tests push for, so the reading tests' fixtures stay as they are. */
const D = 'res-d';
const HOSPITAL_1 = 'inst-1';
const HOSPITAL_2 = 'inst-2';
const clinician: Actor = { sub: 'dr-li', role: 'clinician', institutionId: HOSPITAL_1, practitionerId: 'pr-li' };
const his: Actor = { sub: 'his-1', role: 'hospital_system', institutionId: HOSPITAL_1 };

function claims(scope: TestScope | null = {}, actor: Actor | null = clinician): GatewayContextClaims {
  return scopedClaims(scope, actor, { residentIds: [A], categories: ['CLINICAL'] });
}

/** A context whose CLINICAL scope differs per resident, as the gateway signs it for a multi-resident operation. */
function clinicalScopes(perResident: Record<string, CategoryScope>): GatewayContextClaims {
  const residents: RowScope['residents'] = {};
  for (const [id, scope] of Object.entries(perResident)) residents[id] = { CLINICAL: scope };
  return { requestId: 'req-test', actor: clinician, purpose: 'TREAT', scope: { residents } };
}

const RESIDENT_CLINICAL = /* GraphQL */ `
  query ($representations: [_Any!]!, $first: Int, $before: DateTimeISO) {
    _entities(representations: $representations) {
      ... on Resident {
        id
        encounters(first: $first, before: $before) {
          id encounterClass department level sensitivity
          institution { id }
          diagnoses { id code codeSystem codeSystemVersion level sensitivity rank }
          prescriptions { id drugCode level }
        }
        diagnoses { id code level }
        prescriptions { id drugCode level }
      }
    }
  }
`;

interface EncounterResult {
  id: string;
  encounterClass: string;
  department: string;
  level: number;
  sensitivity: string;
  institution: { id: string };
  diagnoses: Array<{ id: string; code: string; codeSystem: string; codeSystemVersion: string; level: number; sensitivity: string; rank: string }>;
  prescriptions: Array<{ id: string; drugCode: string; level: number }>;
}

interface ResidentClinical {
  id: string;
  encounters: EncounterResult[];
  diagnoses: Array<{ id: string; code: string; level: number }>;
  prescriptions: Array<{ id: string; drugCode: string; level: number }>;
}

const RECORD = /* GraphQL */ `
  mutation ($input: [EncounterInput!]!) { recordEncounters(input: $input) }
`;

/** A field's argument list (sorted: type-graphql's order follows decorator evaluation) and its type, from the SDL. */
function signature(sdl: string, typeName: string, fieldName: string): { args: string[]; type: string } | undefined {
  const type = parse(sdl).definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === typeName);
  const field = type?.fields?.find((f) => f.name.value === fieldName);
  if (!field) return undefined;
  return { args: (field.arguments ?? []).map((a) => `${a.name.value}: ${print(a.type)}`).sort(), type: print(field.type) };
}

const ids = (rows: ReadonlyArray<{ id: string }>) => rows.map((r) => r.id);
const sortedIds = (rows: ReadonlyArray<{ id: string }>) => ids(rows).sort();

const HYPERTENSION = { code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' };

/** One encounter as a hospital system pushes it. */
function encounterInput(input: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    residentId: D,
    encounterClass: 'OUTPATIENT',
    department: '心内科',
    startedAt: '2024-06-01T01:30:00.000Z',
    endedAt: '2024-06-01T02:00:00.000Z',
    attendingPractitionerId: 'pr-li',
    diagnoses: [HYPERTENSION],
    prescriptions: [{ drugCode: 'C08CA01', drugName: '氨氯地平片', dosage: '5mg', route: 'PO', frequency: 'QD', days: 30 }],
    ...input,
  };
}

let built: BuiltSubgraph;

beforeAll(async () => {
  built = await buildSubgraph(clinicalSubgraph);
});

describe('clinical subgraph schema', () => {
  it('extends Resident by key with bounded, classified encounters, diagnoses and prescriptions', () => {
    expect(built.sdl).toMatch(/type Resident @key\(fields: "id"\)/);
    for (const field of ['encounters', 'diagnoses', 'prescriptions']) {
      expect(signature(built.sdl, 'Resident', field)?.args, field).toEqual(['after: String', 'before: DateTimeISO', 'first: Int', 'from: DateTimeISO', 'institutionId: ID', 'until: DateTimeISO']);
    }
    expect(signature(built.sdl, 'Resident', 'encounters')?.type).toBe('[Encounter!]');
    expect(signature(built.sdl, 'Encounter', 'diagnoses')).toEqual({ args: [], type: '[Diagnosis!]' });
    expect(signature(built.sdl, 'Encounter', 'prescriptions')).toEqual({ args: [], type: '[Prescription!]' });
    const classifications = readClassifications(built.sdl);
    expect(classifications.get('Resident.encounters')).toEqual({ category: 'CLINICAL', level: 3, encrypted: false });
    expect(classifications.get('Encounter.department')).toEqual({ category: 'CLINICAL', level: 3, encrypted: false });
    expect(classifications.get('Encounter.chiefComplaint')).toEqual({ category: 'CLINICAL', level: 4, encrypted: true, mask: 'TEXT' });
    expect(built.sdl).toMatch(/type Institution @key\(fields: "id", resolvable: false\)/);
    expect(signature(built.sdl, 'Mutation', 'recordEncounters')).toEqual({ args: ['checkOnly: Boolean!', 'input: [EncounterInput!]!'], type: '[ID!]!' });
  });

  it('classifies every field of every object type and makes every field above level 2 nullable except ids', () => {
    expect(classificationGaps(built.sdl)).toEqual({ unclassified: [], nonNullAboveLevel2: [] });
  });
});

describe.each(testBackends())('the clinical subgraph on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  /** The gateway's keyring: a chief complaint reaches this subgraph only as its ciphertext. */
  let keyring: Keyring;

  async function encryptComplaint(residentId: string, complaint: string): Promise<string> {
    await keyring.prepare([residentId]);
    return keyring.encrypt(residentId, 'Encounter.chiefComplaint', complaint);
  }

  async function run<Data>(source: string, request: GatewayContextClaims, variableValues?: Record<string, unknown>): Promise<ExecutionResult<Data>> {
    return (await graphql({ schema: built.schema, source, variableValues, contextValue: subgraphContext(handle.db, request) })) as ExecutionResult<Data>;
  }

  async function residentsClinical(residentIds: string[], request: GatewayContextClaims, variables: Record<string, unknown> = {}): Promise<ResidentClinical[]> {
    const representations = residentIds.map((id) => ({ __typename: 'Resident', id }));
    const result = await run<{ _entities: ResidentClinical[] }>(RESIDENT_CLINICAL, request, { representations, ...variables });
    expect(result.errors).toBeUndefined();
    return result.data!._entities;
  }

  async function residentClinical(id: string, request: GatewayContextClaims, variables: Record<string, unknown> = {}): Promise<ResidentClinical> {
    return (await residentsClinical([id], request, variables))[0]!;
  }

  async function counts(): Promise<{ encounters: number; diagnoses: number; prescriptions: number }> {
    const [row] = await handle.query<{ encounters: number; diagnoses: number; prescriptions: number }>(
      `select (select count(*)::int from clinical.encounter) as encounters,
              (select count(*)::int from clinical.diagnosis) as diagnoses,
              (select count(*)::int from clinical.prescription) as prescriptions`,
    );
    return row!;
  }

  async function refusal(input: unknown, actor: Actor | null = his): Promise<{ code: unknown; field: unknown; message: string }> {
    const result = await run(RECORD, claims(null, actor), { input });
    expect(result.data ?? null).toBeNull();
    const error = result.errors?.[0];
    if (!error) throw new Error('expected a refusal');
    return { code: error.extensions?.['code'], field: error.extensions?.['field'], message: error.message };
  }

  beforeAll(async () => {
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['clinical', 'keyring']);
    keyring = openKeyring(handle.db, { provider: new InMemoryKeyProvider(), blindIndexKey: newBlindIndexKey() });
    const encounter = (id: string, residentId: string, institutionId: string, started: string, extra: Partial<typeof encounters.$inferInsert> = {}) => ({
      id,
      residentId,
      institutionId,
      encounterClass: 'OUTPATIENT',
      department: '内科',
      startedAt: new Date(started),
      ...extra,
    });
    const mental = { sensitivity: 'MENTAL_HEALTH', level: 5 } as const;
    await handle.db.insert(encounters).values([
      encounter('enc-a1', A, HOSPITAL_1, '2024-03-01T08:00:00Z'),
      encounter('enc-a2', A, HOSPITAL_2, '2024-04-01T08:00:00Z', { department: '呼吸内科' }),
      encounter('enc-a5', A, HOSPITAL_1, '2024-02-01T08:00:00Z', { department: '精神科', ...mental }),
      encounter('enc-b1', B, HOSPITAL_1, '2024-03-05T08:00:00Z'),
      encounter('enc-b5', B, HOSPITAL_1, '2024-01-10T08:00:00Z', { department: '精神科', ...mental }),
    ]);
    const diagnosis = (id: string, encounterId: string, residentId: string, institutionId: string, code: string, recorded: string, extra: Partial<typeof diagnoses.$inferInsert> = {}) => ({
      id,
      encounterId,
      residentId,
      institutionId,
      code,
      codeSystem: 'ICD-10-CN',
      codeSystemVersion: '2.0',
      display: code,
      rank: 'PRIMARY',
      recordedAt: new Date(recorded),
      ...extra,
    });
    await handle.db.insert(diagnoses).values([
      diagnosis('dx-a1', 'enc-a1', A, HOSPITAL_1, 'I10.X00', '2024-03-01T08:00:00Z'),
      // A sensitive secondary diagnosis on a level-3 visit (as an amendment or an older feed can leave it):
      // the nested list must still hide it from a context without level 5.
      diagnosis('dx-a1-f41', 'enc-a1', A, HOSPITAL_1, 'F41.100', '2024-03-01T08:00:00Z', { rank: 'SECONDARY', ...mental }),
      diagnosis('dx-a2', 'enc-a2', A, HOSPITAL_2, 'J06.900', '2024-04-01T08:00:00Z'),
      diagnosis('dx-a5', 'enc-a5', A, HOSPITAL_1, 'F32.900', '2024-02-01T08:00:00Z', mental),
      diagnosis('dx-b1', 'enc-b1', B, HOSPITAL_1, 'E11.900', '2024-03-05T08:00:00Z'),
      diagnosis('dx-b5', 'enc-b5', B, HOSPITAL_1, 'F32.100', '2024-01-10T08:00:00Z', mental),
    ]);
    const prescription = (id: string, encounterId: string, residentId: string, institutionId: string, drugCode: string, prescribed: string, extra: Partial<typeof prescriptions.$inferInsert> = {}) => ({
      id,
      encounterId,
      residentId,
      institutionId,
      drugCode,
      drugName: drugCode,
      dosage: '1 片',
      route: 'PO',
      frequency: 'QD',
      days: 7,
      prescribedAt: new Date(prescribed),
      ...extra,
    });
    await handle.db.insert(prescriptions).values([
      prescription('rx-a1', 'enc-a1', A, HOSPITAL_1, 'C08CA01', '2024-03-01T08:00:00Z'),
      prescription('rx-a1-n06', 'enc-a1', A, HOSPITAL_1, 'N06AB06', '2024-03-01T08:00:00Z', mental),
      prescription('rx-a2', 'enc-a2', A, HOSPITAL_2, 'R05CB01', '2024-04-01T08:00:00Z'),
      prescription('rx-a5', 'enc-a5', A, HOSPITAL_1, 'N06AB04', '2024-02-01T08:00:00Z', mental),
      prescription('rx-b1', 'enc-b1', B, HOSPITAL_1, 'A10BA02', '2024-03-05T08:00:00Z'),
      prescription('rx-b5', 'enc-b5', B, HOSPITAL_1, 'N06AB04', '2024-01-10T08:00:00Z', mental),
    ]);
  });

  afterAll(async () => {
    await dispose?.();
  });

  describe('reading clinical records through Resident (_entities)', () => {
    it('returns only the scoped resident’s encounters, newest first, with their diagnoses and prescriptions', async () => {
      const a = await residentClinical(A, claims());
      expect(ids(a.encounters)).toEqual(['enc-a2', 'enc-a1']);
      expect(a.encounters[0]).toMatchObject({ encounterClass: 'OUTPATIENT', department: '呼吸内科', level: 3, sensitivity: 'NONE', institution: { id: HOSPITAL_2 } });
      expect(a.encounters[0]!.diagnoses).toEqual([
        { id: 'dx-a2', code: 'J06.900', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', level: 3, sensitivity: 'NONE', rank: 'PRIMARY' },
      ]);
      expect(ids(a.encounters[0]!.prescriptions)).toEqual(['rx-a2']);
      expect(ids(a.diagnoses)).toEqual(['dx-a2', 'dx-a1']);
      expect(ids(a.prescriptions)).toEqual(['rx-a2', 'rx-a1']);

      const b = await residentClinical(B, claims());
      expect(b).toEqual({ id: B, encounters: [], diagnoses: [], prescriptions: [] });
    });

    it('leaves out the level-5 F32 diagnosis, its encounter and its prescription at level 4 and includes them at level 5', async () => {
      const atFour = await residentClinical(A, claims({ maxLevel: 4 }));
      expect(ids(atFour.encounters)).not.toContain('enc-a5');
      expect(ids(atFour.diagnoses)).not.toContain('dx-a5');
      expect(ids(atFour.prescriptions)).not.toContain('rx-a5');
      expect([...atFour.encounters.flatMap((e) => e.diagnoses), ...atFour.diagnoses].map((d) => d.level)).not.toContain(5);

      const atFive = await residentClinical(A, claims({ maxLevel: 5 }));
      expect(ids(atFive.encounters)).toEqual(['enc-a2', 'enc-a1', 'enc-a5']);
      const psychiatry = atFive.encounters.find((e) => e.id === 'enc-a5')!;
      expect(psychiatry).toMatchObject({ department: '精神科', level: 5, sensitivity: 'MENTAL_HEALTH' });
      expect(psychiatry.diagnoses).toEqual([
        { id: 'dx-a5', code: 'F32.900', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', level: 5, sensitivity: 'MENTAL_HEALTH', rank: 'PRIMARY' },
      ]);
      expect(ids(psychiatry.prescriptions)).toEqual(['rx-a5']);
      expect(ids(atFive.diagnoses)).toEqual(['dx-a2', 'dx-a1-f41', 'dx-a1', 'dx-a5']);
      expect(ids(atFive.prescriptions)).toEqual(['rx-a2', 'rx-a1-n06', 'rx-a1', 'rx-a5']);
    });

    it('applies the same level filter to Encounter.diagnoses and Encounter.prescriptions of a visible encounter', async () => {
      const atFour = await residentClinical(A, claims({ maxLevel: 4 }));
      const visit = atFour.encounters.find((e) => e.id === 'enc-a1')!;
      expect(ids(visit.diagnoses)).toEqual(['dx-a1']);
      expect(ids(visit.prescriptions)).toEqual(['rx-a1']);
      expect(ids(atFour.diagnoses)).not.toContain('dx-a1-f41');
      expect(ids(atFour.prescriptions)).not.toContain('rx-a1-n06');

      const atFive = await residentClinical(A, claims({ maxLevel: 5 }));
      const same = atFive.encounters.find((e) => e.id === 'enc-a1')!;
      expect(sortedIds(same.diagnoses)).toEqual(['dx-a1', 'dx-a1-f41']);
      expect(sortedIds(same.prescriptions)).toEqual(['rx-a1', 'rx-a1-n06']);
    });

    it('returns nothing without a scope, for another resident’s scope, without the CLINICAL category, or anonymously', async () => {
      const requests = [
        claims(null),
        claims({ residentIds: [B], maxLevel: 5 }),
        claims({ categories: ['RESULTS', 'DEMOGRAPHICS', 'HEALTH_STATUS'], maxLevel: 5 }),
        claims(null, null),
      ];
      for (const request of requests) {
        expect(await residentClinical(A, request), JSON.stringify(request.scope ?? null)).toEqual({ id: A, encounters: [], diagnoses: [], prescriptions: [] });
      }
    });

    it('answers for an unknown resident exactly as for one out of scope: empty lists, never "not found"', async () => {
      expect(await residentClinical('res-nobody', claims({ residentIds: ['res-nobody'], maxLevel: 5 }))).toEqual({
        id: 'res-nobody',
        encounters: [],
        diagnoses: [],
        prescriptions: [],
      });
    });

    it('honours an institution restriction on encounters, nested lists, diagnoses and prescriptions', async () => {
      const atTwo = await residentClinical(A, claims({ institutionId: HOSPITAL_2, maxLevel: 5 }));
      expect(ids(atTwo.encounters)).toEqual(['enc-a2']);
      expect(atTwo.encounters[0]!.institution.id).toBe(HOSPITAL_2);
      expect(ids(atTwo.encounters[0]!.diagnoses)).toEqual(['dx-a2']);
      expect(ids(atTwo.encounters[0]!.prescriptions)).toEqual(['rx-a2']);
      expect(ids(atTwo.diagnoses)).toEqual(['dx-a2']);
      expect(ids(atTwo.prescriptions)).toEqual(['rx-a2']);

      const atOne = await residentClinical(A, claims({ institutionId: HOSPITAL_1, maxLevel: 4 }));
      expect(ids(atOne.encounters)).toEqual(['enc-a1']);
      expect(ids(atOne.encounters[0]!.diagnoses)).toEqual(['dx-a1']);
      expect(ids(atOne.diagnoses)).toEqual(['dx-a1']);
      expect(ids(atOne.prescriptions)).toEqual(['rx-a1']);
    });

    it('gives each resident of one _entities call only its own scope', async () => {
      const [a, b, c] = await residentsClinical(
        [A, B, C],
        clinicalScopes({ [A]: { maxLevel: 4 }, [B]: { maxLevel: 5, institutionId: HOSPITAL_1 } }),
      );
      expect(ids(a!.encounters)).toEqual(['enc-a2', 'enc-a1']);
      expect(ids(a!.diagnoses)).toEqual(['dx-a2', 'dx-a1']);
      expect(ids(a!.encounters[1]!.diagnoses)).toEqual(['dx-a1']);
      expect(ids(b!.encounters)).toEqual(['enc-b1', 'enc-b5']);
      expect(ids(b!.diagnoses)).toEqual(['dx-b1', 'dx-b5']);
      expect(ids(b!.prescriptions)).toEqual(['rx-b1', 'rx-b5']);
      expect(ids(b!.encounters[1]!.diagnoses)).toEqual(['dx-b5']);
      expect(c).toEqual({ id: C, encounters: [], diagnoses: [], prescriptions: [] });

      // The other way round: A's level 5 opens, B's stays closed, and A's second hospital is cut off.
      const [a2, b2] = await residentsClinical([A, B], clinicalScopes({ [A]: { maxLevel: 5, institutionId: HOSPITAL_1 }, [B]: { maxLevel: 4 } }));
      expect(ids(a2!.encounters)).toEqual(['enc-a1', 'enc-a5']);
      expect(ids(b2!.encounters)).toEqual(['enc-b1']);
      expect(ids(b2!.diagnoses)).toEqual(['dx-b1']);
    });

    it('pages encounters with first and before and caps first at 100', async () => {
      const first = await residentClinical(A, claims({ maxLevel: 5 }), { first: 1 });
      expect(ids(first.encounters)).toEqual(['enc-a2']);
      const next = await residentClinical(A, claims({ maxLevel: 5 }), { first: 1, before: '2024-04-01T08:00:00.000Z' });
      expect(ids(next.encounters)).toEqual(['enc-a1']);
      const huge = await residentClinical(A, claims({ maxLevel: 5 }), { first: 100_000 });
      expect(ids(huge.encounters)).toEqual(['enc-a2', 'enc-a1', 'enc-a5']);
    });

    // FAILS against subgraphs/clinical/resolvers.ts: EncounterResolver.diagnoses orders by
    // `desc(diagnoses.rank)`, and 'SECONDARY' > 'PRIMARY' as text, so the secondary diagnosis comes first.
    it('lists an encounter’s primary diagnosis (主要诊断) before its secondary ones', async () => {
      const atFive = await residentClinical(A, claims({ maxLevel: 5 }));
      const visit = atFive.encounters.find((e) => e.id === 'enc-a1')!;
      expect(visit.diagnoses.map((d) => d.rank)).toEqual(['PRIMARY', 'SECONDARY']);
    });
  });

  describe('ownEncounterResidentIds (the gateway\'s feed reference check)', () => {
    const OWN = 'query ($ids: [ID!]!) { ownEncounterResidentIds(ids: $ids) }';
    const own = async (ids: string[], actor: Actor | null) => {
      const result = await run<{ ownEncounterResidentIds: Array<string | null> }>(OWN, claims(null, actor), { ids });
      expect(result.errors).toBeUndefined();
      return result.data!.ownEncounterResidentIds;
    };

    it("confirms, in order, the sending system's own encounters with their resident, and nothing of another institution's", async () => {
      expect(await own(['enc-b1', 'enc-a2', 'enc-unknown', 'enc-a1'], his)).toEqual([B, null, null, A]);
      expect(await own(['enc-a2'], { sub: 'his-2', role: 'hospital_system', institutionId: HOSPITAL_2 })).toEqual([A]);
    });

    it.each<[string, Actor | null]>([
      ['a clinician of the same institution', clinician],
      ['a hospital system without an institution', { sub: 'his-nowhere', role: 'hospital_system' }],
      ['an anonymous caller', null],
    ])('tells %s nothing', async (_who, actor) => {
      expect(await own(['enc-a1', 'enc-b1'], actor)).toEqual([null, null]);
    });

    it('is not in the API schema', () => {
      expect(built.sdl).toMatch(/ownEncounterResidentIds\(ids: \[ID!\]!\): \[ID\]! @inaccessible/);
    });
  });

  describe('recordEncounters (HIS feed)', () => {
    it('records encounters with their diagnoses and prescriptions at the pushing institution, labelling an F32 visit level 5', async () => {
      const before = await counts();
      const dizziness = await encryptComplaint(D, '头晕 3 天');
      const lowMood = await encryptComplaint(D, '情绪低落 2 月');
      const result = await run<{ recordEncounters: string[] }>(RECORD, claims(null, his), {
        input: [
          encounterInput({ chiefComplaint: dizziness }),
          encounterInput({
            department: '精神科',
            startedAt: '2024-06-02T01:30:00.000Z',
            endedAt: null,
            chiefComplaint: lowMood,
            diagnoses: [
              { code: 'f32.900', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '抑郁发作', rank: 'PRIMARY' },
              { code: 'G47.000', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '失眠', rank: 'SECONDARY' },
            ],
            prescriptions: [{ drugCode: 'N06AB06', drugName: '舍曲林片', dosage: '50mg', route: 'PO', frequency: 'QD', days: 28 }],
          }),
        ],
      });
      expect(result.errors).toBeUndefined();
      const [routine, psychiatry] = result.data!.recordEncounters;
      expect(result.data!.recordEncounters).toHaveLength(2);
      expect(await counts()).toEqual({ encounters: before.encounters + 2, diagnoses: before.diagnoses + 3, prescriptions: before.prescriptions + 2 });

      const rows = await handle.query<{ id: string; resident_id: string; institution_id: string; department: string; chief_complaint: string; sensitivity: string; level: number; ended_at: unknown }>(
        'select id, resident_id, institution_id, department, chief_complaint, sensitivity, level, ended_at from clinical.encounter where id = any($1) order by started_at',
        [[routine, psychiatry]],
      );
      expect(rows.map((r) => [r.id, r.resident_id, r.institution_id, r.sensitivity, r.level])).toEqual([
        [routine, D, HOSPITAL_1, 'NONE', 3],
        [psychiatry, D, HOSPITAL_1, 'MENTAL_HEALTH', 5],
      ]);
      expect(rows[1]!.ended_at).toBeNull();
      // The chief complaint is stored exactly as the gateway encrypted it.
      expect(rows.map((r) => r.chief_complaint)).toEqual([dizziness, lowMood]);
      await keyring.prepare([D]);
      expect(keyring.decrypt(D, 'Encounter.chiefComplaint', rows[1]!.chief_complaint)).toEqual({ ok: true, plaintext: '情绪低落 2 月' });
      const dx = await handle.query<{ encounter_id: string; code: string; code_system: string; code_system_version: string; institution_id: string; sensitivity: string; level: number }>(
        'select encounter_id, code, code_system, code_system_version, institution_id, sensitivity, level from clinical.diagnosis where encounter_id = any($1) order by code',
        [[routine, psychiatry]],
      );
      // Every diagnosis of a level-5 visit is level 5: the insomnia of a psychiatric visit reveals the visit.
      expect(dx.map((d) => [d.encounter_id, d.code, d.code_system, d.code_system_version, d.institution_id, d.sensitivity, d.level])).toEqual([
        [psychiatry, 'F32.900', 'ICD-10-CN', '2.0', HOSPITAL_1, 'MENTAL_HEALTH', 5],
        [psychiatry, 'G47.000', 'ICD-10-CN', '2.0', HOSPITAL_1, 'MENTAL_HEALTH', 5],
        [routine, 'I10.X00', 'ICD-10-CN', '2.0', HOSPITAL_1, 'NONE', 3],
      ]);
      const rx = await handle.query<{ encounter_id: string; drug_code: string; sensitivity: string; level: number }>(
        'select encounter_id, drug_code, sensitivity, level from clinical.prescription where encounter_id = any($1) order by drug_code',
        [[routine, psychiatry]],
      );
      // A prescription takes its visit's label: the antidepressant of a depression visit is level 5 too.
      expect(rx.map((p) => [p.encounter_id, p.drug_code, p.sensitivity, p.level])).toEqual([
        [routine, 'C08CA01', 'NONE', 3],
        [psychiatry, 'N06AB06', 'MENTAL_HEALTH', 5],
      ]);

      // Read back through the row filter: the level-5 visit only with level 5.
      const atFour = await residentClinical(D, claims({ residentIds: [D], maxLevel: 4 }));
      expect(ids(atFour.encounters)).toContain(routine);
      expect(ids(atFour.encounters)).not.toContain(psychiatry);
      const atFive = await residentClinical(D, claims({ residentIds: [D], maxLevel: 5 }));
      expect(sortedIds(atFive.encounters.find((e) => e.id === psychiatry)!.diagnoses)).toHaveLength(2);
    });

    it('stores an encounter in a sensitive department at level 5 with its diagnoses and prescriptions, whatever their codes', async () => {
      const result = await run<{ recordEncounters: string[] }>(RECORD, claims(null, his), {
        input: [
          encounterInput({ department: '精神科', startedAt: '2024-06-03T01:30:00.000Z', endedAt: null, diagnoses: [{ ...HYPERTENSION, code: 'G47.000', display: '失眠' }] }),
          encounterInput({ department: '性病艾滋病防制所', startedAt: '2024-06-04T01:30:00.000Z', endedAt: null, diagnoses: [{ ...HYPERTENSION, code: 'Z00.000', display: '一般医学检查' }] }),
          encounterInput({ department: '生殖医学中心', startedAt: '2024-06-05T01:30:00.000Z', endedAt: null }),
        ],
      });
      expect(result.errors).toBeUndefined();
      const pushed = result.data!.recordEncounters;
      expect(pushed).toHaveLength(3);
      const [psychiatry, clinic, fertility] = pushed;

      const labelled = async (table: string, column: string) =>
        (await handle.query<{ owner: string; sensitivity: string; level: number }>(`select ${column} as owner, sensitivity, level from clinical.${table} where ${column} = any($1) order by ${column}`, [pushed])).map(
          (r) => [r.owner, r.sensitivity, r.level],
        );
      const expected = [
        [psychiatry, 'MENTAL_HEALTH', 5],
        [clinic, 'HIV_STI', 5],
        [fertility, 'REPRODUCTIVE', 5],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect(await labelled('encounter', 'id')).toEqual(expected);
      expect(await labelled('diagnosis', 'encounter_id')).toEqual(expected);
      expect(await labelled('prescription', 'encounter_id')).toEqual(expected);

      // Through the row filter: nothing of these visits below level 5, in any list, and no department name.
      const atFour = await residentClinical(D, claims({ residentIds: [D], maxLevel: 4 }));
      expect(ids(atFour.encounters).filter((id) => pushed.includes(id))).toEqual([]);
      const seenAtFour = JSON.stringify(atFour);
      for (const department of ['精神科', '性病艾滋病防制所', '生殖医学中心']) expect(seenAtFour).not.toContain(department);
      const atFive = await residentClinical(D, claims({ residentIds: [D], maxLevel: 5 }));
      const visits = atFive.encounters.filter((e) => pushed.includes(e.id));
      // Newest first, as the list is ordered.
      expect(visits.map((e) => [e.department, e.level, e.diagnoses.map((d) => d.level), e.prescriptions.map((p) => p.level)])).toEqual([
        ['生殖医学中心', 5, [5], [5]],
        ['性病艾滋病防制所', 5, [5], [5]],
        ['精神科', 5, [5], [5]],
      ]);
    });

    it('refuses an unknown code system, an unknown version or a malformed code with BAD_USER_INPUT and writes nothing of the batch', async () => {
      const before = await counts();
      const bad = [
        { code: 'I10.x00', codeSystem: 'ICD-11', codeSystemVersion: '2022', display: '高血压', rank: 'PRIMARY' },
        { code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '1.0', display: '高血压', rank: 'PRIMARY' },
        { code: 'HYPERTENSION', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' },
        { code: '10', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' },
      ];
      for (const diagnosis of bad) {
        const alone = await refusal([encounterInput({ diagnoses: [diagnosis] })]);
        expect(alone.code, JSON.stringify(diagnosis)).toBe('BAD_USER_INPUT');
        // The bad record second, after a good one, and as a secondary diagnosis after a good primary.
        const second = await refusal([encounterInput(), encounterInput({ diagnoses: [HYPERTENSION, diagnosis] })]);
        expect(second.code, JSON.stringify(diagnosis)).toBe('BAD_USER_INPUT');
      }
      expect(await counts()).toEqual(before);
    });

    // FAILS against subgraphs/clinical/resolvers.ts: validateEncounter calls assertKnownCode without a
    // field path, so the error says `field: "code"` and never which of up to 500 records is at fault.
    it('names the record and diagnosis at fault when it refuses a code', async () => {
      const refused = await refusal([
        encounterInput(),
        encounterInput({ diagnoses: [{ code: 'I10.x00', codeSystem: 'ICD-11', codeSystemVersion: '2022', display: '高血压', rank: 'PRIMARY' }] }),
      ]);
      expect(refused).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[1].diagnoses[0].code' });
    });

    it('refuses bad records with BAD_USER_INPUT naming the field, and writes nothing', async () => {
      const before = await counts();
      const future = new Date(Date.now() + 86_400_000).toISOString();
      const cases: Array<[unknown[], string]> = [
        [[encounterInput({ encounterClass: 'HOME' })], 'input[0].encounterClass'],
        [[encounterInput(), encounterInput({ endedAt: '2024-05-31T00:00:00.000Z' })], 'input[1].endedAt'],
        [[encounterInput({ startedAt: future, endedAt: null })], 'input[0].startedAt'],
        [[encounterInput(), encounterInput({ diagnoses: [] })], 'input[1].diagnoses'],
        [[encounterInput({ diagnoses: [{ code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'MAIN' }] })], 'input[0].diagnoses[0].rank'],
        [[encounterInput(), encounterInput({ prescriptions: [{ drugCode: 'C08CA01', drugName: '氨氯地平片', dosage: '5mg', route: 'PO', frequency: 'QD', days: 0 }] })], 'input[1].prescriptions[0].days'],
        [[], 'input'],
        [Array.from({ length: 1001 }, () => encounterInput()), 'input'],
      ];
      for (const [input, field] of cases) {
        expect(await refusal(input), field).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
      expect(await counts()).toEqual(before);
    });

    it('refuses a plaintext chief complaint with BAD_USER_INPUT naming the record, and writes nothing of the batch', async () => {
      const before = await counts();
      const encrypted = encounterInput({ chiefComplaint: await encryptComplaint(D, '胸闷 1 周') });
      expect(await refusal([encounterInput({ chiefComplaint: '胸闷 1 周' })])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[0].chiefComplaint' });
      expect(await refusal([encrypted, encounterInput({ chiefComplaint: '头晕 3 天' })])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[1].chiefComplaint' });
      expect(await refusal([encrypted, encounterInput({ chiefComplaint: '' })])).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[1].chiefComplaint' });
      expect(await counts()).toEqual(before);
    });

    it('rolls the whole batch back when the database refuses its second encounter', async () => {
      const before = await counts();
      // Valid by every domain rule, but PostgreSQL refuses a NUL character in text: the failure comes mid-transaction.
      const result = await run(RECORD, claims(null, his), { input: [encounterInput(), encounterInput({ department: '内\u0000科' })] });
      expect(result.errors?.length).toBe(1);
      expect(await counts()).toEqual(before);
    });

    it('refuses a push from anyone but a hospital system at an institution with FORBIDDEN and writes nothing', async () => {
      const before = await counts();
      const actors: Array<Actor | null> = [
        clinician,
        { sub: 'sub-res-d', role: 'resident', residentId: D },
        { sub: 'steward-1', role: 'steward' },
        { sub: 'researcher-1', role: 'researcher', institutionId: HOSPITAL_1 },
        { sub: 'his-nowhere', role: 'hospital_system' },
        null,
      ];
      for (const actor of actors) {
        expect((await refusal([encounterInput()], actor)).code, JSON.stringify(actor)).toBe('FORBIDDEN');
      }
      expect(await counts()).toEqual(before);
    });
  });
});
