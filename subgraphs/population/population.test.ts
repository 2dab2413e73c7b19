import { scopedClaims, type TestScope } from '../../testkit/claims.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CommonJS build: the one @apollo/subgraph and type-graphql built the schema with (vite would pick index.mjs,
// and graphql-js refuses a schema from the other module instance).
import { graphql, type ExecutionResult } from 'graphql/index.js';
import { classificationGaps, readClassifications } from '../../schema/classification.js';
import type { Actor, GatewayContextClaims, RowScope } from '../../schema/context.js';
import { InMemoryKeyProvider, newBlindIndexKey, openKeyring, type Keyring } from '../../gateway/keyring/index.js';
import { makeIdCardNumber, parseIdCardNumber } from '../../schema/id-card.js';
import { testBackends } from '../../testkit/databases.js';
import { buildSubgraph, type BuiltSubgraph, subgraphContext } from '../runtime/index.js';
import { migrateAll, type DatabaseHandle } from '../runtime/database.js';
import { populationSubgraph } from './index.js';
import { residents } from './tables.js';

const A = 'res-a';
const B = 'res-b';
const C = 'res-c';
const HOSPITAL_1 = 'inst-1';
const clinician: Actor = { sub: 'dr-li', role: 'clinician', institutionId: HOSPITAL_1, practitionerId: 'pr-li' };
const residentA: Actor = { sub: 'sub-res-a', role: 'resident', residentId: A };
const his: Actor = { sub: 'his-1', role: 'hospital_system', institutionId: HOSPITAL_1 };

/** The GB 11643 vector from DESIGN §9: born 1949-12-31 in 北京朝阳区, 17th digit 2 (female). */
const VALID_ID = '11010519491231002X';

function claims(scope: TestScope | null = {}, actor: Actor | null = clinician): GatewayContextClaims {
  return scopedClaims(scope, actor, { residentIds: [A], categories: ['DEMOGRAPHICS'] });
}

const RESIDENT_FIELDS = 'id name sex birthDate idCardNumber phone address district { code name } guardianId';

const RESIDENT = /* GraphQL */ `
  query ($id: ID!) { resident(id: $id) { ${RESIDENT_FIELDS} } }
`;
const MY_ARCHIVE = /* GraphQL */ `
  query { myArchive { ${RESIDENT_FIELDS} } }
`;
const ENTITIES = /* GraphQL */ `
  query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Resident { id name idCardNumber } } }
`;
const REGISTER = /* GraphQL */ `
  mutation ($input: ResidentInput!) { registerResident(input: $input) { ${RESIDENT_FIELDS} } }
`;

interface ResidentResult {
  id: string;
  name: string | null;
  sex: string | null;
  birthDate: string | null;
  idCardNumber: string | null;
  phone: string | null;
  address: string | null;
  district: { code: string; name: string } | null;
  guardianId: string | null;
}

/** Resident A as stored (identifying columns would be ciphertext once field encryption is on; they pass through as stored). */
const RESIDENT_A: ResidentResult = {
  id: A,
  name: '王芳',
  sex: '2',
  birthDate: '1985-07-14',
  idCardNumber: '330106198507140026',
  phone: '13812345678',
  address: '杭州市西湖区文三路 1 号',
  district: { code: '330106', name: '西湖区' },
  guardianId: null,
};

/** What a context without DEMOGRAPHICS but with other categories of A gets: the key, for the gateway to join on. */
const KEY_ONLY_A: ResidentResult = { id: A, name: null, sex: null, birthDate: null, idCardNumber: null, phone: null, address: null, district: null, guardianId: null };

/** A resident as a hospital system sends it to the gateway, in plaintext. */
interface Registration {
  name: string;
  sex: string;
  idCardNumber: string;
  phone?: string | undefined;
  address?: string | undefined;
  districtCode: string;
}

const LI_XIUYING: Registration = { name: '李秀英', sex: '2', idCardNumber: VALID_ID, phone: '13900001111', address: '北京市朝阳区', districtCode: '110105' };

/**
 * The registration as the gateway forwards it (gateway/stages/protect-writes.ts): a fresh resident id,
 * identifying fields encrypted under that resident's data key, blind indexes and the birth date added.
 */
async function protectRegistration(keyring: Keyring, registration: Partial<Registration> = {}): Promise<Record<string, unknown>> {
  const { name, sex, idCardNumber, phone, address, districtCode } = { ...LI_XIUYING, ...registration };
  const id = `res-${randomUUID()}`;
  await keyring.prepare([id]);
  const encrypt = (field: string, value: string) => keyring.encrypt(id, `Resident.${field}`, value);
  return {
    id,
    name: encrypt('name', name),
    sex,
    birthDate: parseIdCardNumber(idCardNumber).birthDate,
    idCardNumber: encrypt('idCardNumber', idCardNumber),
    idCardIndex: keyring.blindIndex('idCard', idCardNumber),
    ...(phone === undefined ? {} : { phone: encrypt('phone', phone), phoneIndex: keyring.blindIndex('phone', phone) }),
    ...(address === undefined ? {} : { address: encrypt('address', address) }),
    districtCode,
  };
}

/** `input` without the named fields. */
function without(input: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([field]) => !fields.includes(field)));
}

let built: BuiltSubgraph;

beforeAll(async () => {
  built = await buildSubgraph(populationSubgraph);
});

describe('population subgraph schema', () => {
  it('owns Resident by key, with resident(id), myArchive and registerResident', () => {
    expect(built.sdl).toMatch(/type Resident @key\(fields: "id"\)/);
    expect(built.sdl).toMatch(/resident\(id: ID!\): Resident @subject\(argument: "id"\)\n/);
    expect(built.sdl).toMatch(/myArchive: Resident @ownRecord\n/);
    expect(built.sdl).toMatch(/registerResident\(input: ResidentInput!\): Resident!/);
    const classifications = readClassifications(built.sdl);
    expect(classifications.get('Resident.name')).toEqual({ category: 'DEMOGRAPHICS', level: 4, encrypted: true, mask: 'NAME' });
    expect(classifications.get('Resident.idCardNumber')).toEqual({ category: 'DEMOGRAPHICS', level: 4, encrypted: true, mask: 'ID_CARD' });
    expect(classifications.get('Resident.phone')).toEqual({ category: 'DEMOGRAPHICS', level: 4, encrypted: true, mask: 'PHONE' });
    expect(classifications.get('Resident.address')).toEqual({ category: 'DEMOGRAPHICS', level: 4, encrypted: true, mask: 'ADDRESS' });
    expect(classifications.get('Resident.id')).toEqual({ category: 'DEMOGRAPHICS', level: 3, encrypted: false });
  });

  it('classifies every field of every object type and makes every field above level 2 nullable except ids', () => {
    expect(classificationGaps(built.sdl)).toEqual({ unclassified: [], nonNullAboveLevel2: [] });
  });
});

describe.each(testBackends())('the population subgraph on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;

  async function run<Data>(source: string, request: GatewayContextClaims, variableValues?: Record<string, unknown>): Promise<ExecutionResult<Data>> {
    return (await graphql({ schema: built.schema, source, variableValues, contextValue: subgraphContext(handle.db, request) })) as ExecutionResult<Data>;
  }

  async function resident(id: string, request: GatewayContextClaims): Promise<ResidentResult | null> {
    const result = await run<{ resident: ResidentResult | null }>(RESIDENT, request, { id });
    expect(result.errors).toBeUndefined();
    return result.data!.resident;
  }

  async function myArchive(request: GatewayContextClaims): Promise<ResidentResult | null> {
    const result = await run<{ myArchive: ResidentResult | null }>(MY_ARCHIVE, request);
    expect(result.errors).toBeUndefined();
    return result.data!.myArchive;
  }

  async function entities(residentIds: string[], request: GatewayContextClaims): Promise<Array<{ id: string; name: string | null; idCardNumber: string | null } | null>> {
    const result = await run<{ _entities: Array<{ id: string; name: string | null; idCardNumber: string | null } | null> }>(ENTITIES, request, {
      representations: residentIds.map((id) => ({ __typename: 'Resident', id })),
    });
    expect(result.errors).toBeUndefined();
    return result.data!._entities;
  }

  async function residentCount(): Promise<number> {
    const [row] = await handle.query<{ n: number }>('select count(*)::int as n from population.resident');
    return row!.n;
  }

  async function register(input: Record<string, unknown>, actor: Actor | null = his) {
    return run<{ registerResident: ResidentResult }>(REGISTER, claims(null, actor), { input });
  }

  async function refusal(input: Record<string, unknown>, actor: Actor | null = his): Promise<{ code: unknown; field: unknown; message: string }> {
    const result = await register(input, actor);
    expect(result.data ?? null).toBeNull();
    const error = result.errors?.[0];
    if (!error) throw new Error('expected a refusal');
    return { code: error.extensions?.['code'], field: error.extensions?.['field'], message: error.message };
  }

  beforeAll(async () => {
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['population', 'keyring']);
    await handle.db.insert(residents).values([
      {
        id: A,
        name: RESIDENT_A.name!,
        sex: RESIDENT_A.sex!,
        birthDate: RESIDENT_A.birthDate!,
        idCardNumber: RESIDENT_A.idCardNumber!,
        idCardIndex: RESIDENT_A.idCardNumber!,
        phone: RESIDENT_A.phone,
        phoneIndex: RESIDENT_A.phone,
        address: RESIDENT_A.address,
        districtCode: '330106',
      },
      {
        id: B,
        name: '陈明',
        sex: '1',
        birthDate: '2015-03-02',
        idCardNumber: '330106201503020013',
        idCardIndex: '330106201503020013',
        districtCode: '330106',
        guardianId: A,
      },
    ]);
  });

  afterAll(async () => {
    await dispose?.();
  });

  describe('resident(id)', () => {
    it('returns the scoped resident’s record with DEMOGRAPHICS open', async () => {
      expect(await resident(A, claims())).toEqual(RESIDENT_A);
      expect(await resident(B, claims({ residentIds: [B] }))).toMatchObject({ id: B, guardianId: A, phone: null, address: null });
    });

    it('returns null without a scope, for another resident’s scope, or anonymously', async () => {
      const requests = [claims(null), claims({ residentIds: [B], maxLevel: 5 }), claims(null, null), claims({ residentIds: [B] }, null)];
      for (const request of requests) expect(await resident(A, request), JSON.stringify(request.scope ?? null)).toBeNull();
    });

    it('returns the key alone, no demographic column, when only other personal-data categories are open (a clinical grant)', async () => {
      expect(await resident(A, claims({ categories: ['CLINICAL', 'RESULTS', 'HEALTH_STATUS'], maxLevel: 5 }))).toEqual(KEY_ONLY_A);
    });

    // FAILS against subgraphs/runtime/row-filter.ts: mayReachResident counts any category, RESOURCES included,
    // and consent/policy.ts categoryScopes() puts RESOURCES (public) into every actor's scope for every
    // resident a root names, so `resident(id) { __typename }` answers an object for an existing resident and
    // null for an unknown one: an existence oracle for actors who may read nothing of the resident.
    it('answers the same for an existing and an unknown resident when only the public RESOURCES category is open', async () => {
      const onlyPublic = (id: string) => ({ requestId: 'req-test', actor: clinician, purpose: 'TREAT' as const, scope: { residents: { [id]: { RESOURCES: { maxLevel: 5 as const } } } } });
      expect(await resident('res-nobody', onlyPublic('res-nobody'))).toBeNull();
      expect(await resident(A, onlyPublic(A))).toBeNull();
    });

    it('answers for an unknown resident exactly as for one out of scope: null', async () => {
      expect(await resident('res-nobody', claims({ residentIds: ['res-nobody'] }))).toBeNull();
    });

    it('returns the identity row at any DEMOGRAPHICS level: a resident row has no record level, fields are decided at the gateway', async () => {
      for (const maxLevel of [3, 4, 5] as const) expect(await resident(A, claims({ maxLevel }))).toEqual(RESIDENT_A);
    });

    it('returns the identity row under an institution restriction: a resident belongs to no institution (the policy never restricts DEMOGRAPHICS by one)', async () => {
      expect(await resident(A, claims({ institutionId: 'inst-elsewhere' }))).toEqual(RESIDENT_A);
    });
  });

  describe('myArchive', () => {
    it('returns the calling resident’s own record when the context opens it', async () => {
      const self = claims({ residentIds: [A], maxLevel: 5 }, residentA);
      expect(await myArchive(self)).toEqual(RESIDENT_A);
    });

    it('returns the key alone to a resident whose context opens their record but not DEMOGRAPHICS', async () => {
      expect(await myArchive(claims({ categories: ['CLINICAL'], maxLevel: 5 }, residentA))).toEqual(KEY_ONLY_A);
    });

    it('returns null for a resident whose context does not reach their own record, and for every other role', async () => {
      const requests = [
        claims(null, residentA),
        claims({ residentIds: [B], maxLevel: 5 }, residentA),
        claims({ maxLevel: 5 }, clinician),
        claims({ maxLevel: 5 }, { sub: 'steward-1', role: 'steward' }),
        claims({ maxLevel: 5 }, null),
      ];
      for (const request of requests) expect(await myArchive(request), JSON.stringify([request.actor, request.scope ?? null])).toBeNull();
    });

    it('never returns a ward’s record as the guardian’s own archive', async () => {
      expect(await myArchive(claims({ residentIds: [B], maxLevel: 5 }, residentA))).toBeNull();
    });
  });

  describe('knownResidentIds (the gateway\'s feed reference check)', () => {
    const KNOWN = 'query ($ids: [ID!]!) { knownResidentIds(ids: $ids) }';
    const known = async (ids: string[], actor: Actor | null) => {
      const result = await run<{ knownResidentIds: string[] }>(KNOWN, claims(null, actor), { ids });
      expect(result.errors).toBeUndefined();
      return result.data!.knownResidentIds;
    };

    it('answers a hospital system with the ids, of those asked, that are residents', async () => {
      expect((await known([B, 'res-unknown', A, A], his)).sort()).toEqual([A, B]);
      expect(await known([], his)).toEqual([]);
    });

    it.each<[string, Actor | null]>([
      ['a clinician', clinician],
      ['a resident', residentA],
      ['an anonymous caller', null],
    ])('tells %s nothing', async (_who, actor) => {
      expect(await known([A, B], actor)).toEqual([]);
    });

    it('refuses more ids than one lookup takes with BAD_USER_INPUT', async () => {
      const result = await run(KNOWN, claims(null, his), { ids: Array.from({ length: 1001 }, (_, i) => `res-${i}`) });
      expect(result.errors?.map((e) => e.extensions['code'])).toEqual(['BAD_USER_INPUT']);
    });

    it('is not in the API schema', () => {
      expect(built.sdl).toMatch(/knownResidentIds\(ids: \[ID!\]!\): \[ID!\]! @inaccessible/);
    });
  });

  describe('_entities reference resolution', () => {
    it('resolves each resident of one call within its own scope, in order', async () => {
      const both: RowScope['residents'] = { [A]: { DEMOGRAPHICS: { maxLevel: 4 } }, [B]: { DEMOGRAPHICS: { maxLevel: 3 } } };
      expect(await entities([A, B, C], { requestId: 'req-test', actor: clinician, purpose: 'TREAT', scope: { residents: both } })).toEqual([
        { id: A, name: RESIDENT_A.name, idCardNumber: RESIDENT_A.idCardNumber },
        { id: B, name: '陈明', idCardNumber: '330106201503020013' },
        null,
      ]);

      // A reached through CLINICAL only: its key, no demographic column; C reached through nothing: null.
      const onlyB: RowScope['residents'] = { [A]: { CLINICAL: { maxLevel: 5 } }, [B]: { DEMOGRAPHICS: { maxLevel: 4 } } };
      expect(await entities([A, B, C], { requestId: 'req-test', actor: clinician, purpose: 'TREAT', scope: { residents: onlyB } })).toEqual([
        { id: A, name: null, idCardNumber: null },
        { id: B, name: '陈明', idCardNumber: '330106201503020013' },
        null,
      ]);
    });

    it('resolves nothing without a scope or anonymously', async () => {
      expect(await entities([A, B], claims(null))).toEqual([null, null]);
      expect(await entities([A, B], claims(null, null))).toEqual([null, null]);
    });
  });

  // The gateway validates the identity and protects it (gateway/stages/protect-writes.test.ts); this
  // subgraph only checks that what reaches it is in the protected shape, and stores it as given.
  describe('registerResident (HIS feed, as protected by the gateway)', () => {
    let keyring: Keyring;

    interface StoredRow {
      id: string;
      name: string;
      sex: string;
      birth_date: string;
      id_card_number: string;
      id_card_index: string;
      phone: string | null;
      phone_index: string | null;
      address: string | null;
      district_code: string;
    }

    async function storedRow(id: string): Promise<StoredRow | undefined> {
      const [row] = await handle.query<StoredRow & Record<string, unknown>>(
        `select id, name, sex, birth_date::text as birth_date, id_card_number, id_card_index, phone, phone_index, address, district_code
           from population.resident where id = $1`,
        [id],
      );
      return row;
    }

    beforeAll(() => {
      keyring = openKeyring(handle.db, { provider: new InMemoryKeyProvider(), blindIndexKey: newBlindIndexKey() });
    });

    it('stores a protected registration exactly as given: ciphertext and blind indexes in the row, never the plaintext', async () => {
      const before = await residentCount();
      const input = await protectRegistration(keyring);
      const result = await register(input);
      expect(result.errors).toBeUndefined();
      const id = input['id'] as string;
      expect(result.data!.registerResident).toEqual({
        id,
        name: input['name'],
        sex: '2',
        birthDate: '1949-12-31',
        idCardNumber: input['idCardNumber'],
        phone: input['phone'],
        address: input['address'],
        district: { code: '110105', name: '朝阳区' },
        guardianId: null,
      });
      expect(await residentCount()).toBe(before + 1);

      const row = await storedRow(id);
      expect(row).toEqual({
        id,
        name: input['name'],
        sex: '2',
        birth_date: '1949-12-31',
        id_card_number: input['idCardNumber'],
        id_card_index: input['idCardIndex'],
        phone: input['phone'],
        phone_index: input['phoneIndex'],
        address: input['address'],
        district_code: '110105',
      });
      const stored = JSON.stringify(row);
      for (const plaintext of [LI_XIUYING.name, VALID_ID, LI_XIUYING.phone!, LI_XIUYING.address!]) expect(stored).not.toContain(plaintext);

      // What is stored is what the gateway encrypted: its keyring reads it back.
      await keyring.prepare([id]);
      expect(keyring.decrypt(id, 'Resident.name', row!.name)).toEqual({ ok: true, plaintext: LI_XIUYING.name });
      expect(keyring.decrypt(id, 'Resident.idCardNumber', row!.id_card_number)).toEqual({ ok: true, plaintext: VALID_ID });
      expect(keyring.decrypt(id, 'Resident.phone', row!.phone!)).toEqual({ ok: true, plaintext: LI_XIUYING.phone });
      expect(keyring.decrypt(id, 'Resident.address', row!.address!)).toEqual({ ok: true, plaintext: LI_XIUYING.address });
    });

    it('stores a registration without phone or address with both null, and no phone index without a phone', async () => {
      const input = await protectRegistration(keyring, { idCardNumber: makeIdCardNumber('330106', '1990-05-01', '002'), phone: undefined, address: undefined });
      const result = await register({ ...input, phoneIndex: keyring.blindIndex('phone', '13900002222') });
      expect(result.errors).toBeUndefined();
      expect(result.data!.registerResident).toMatchObject({ phone: null, address: null });
      expect(await storedRow(input['id'] as string)).toMatchObject({ phone: null, phone_index: null, address: null });
    });

    it('refuses plaintext in any identifying field, and input without the gateway’s id, index or birth date, with BAD_USER_INPUT and writes nothing', async () => {
      const before = await residentCount();
      const idCardNumber = makeIdCardNumber('330106', '1991-01-01', '002');
      const input = await protectRegistration(keyring, { idCardNumber });
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['plaintext name', { ...input, name: LI_XIUYING.name }, 'input'],
        ['empty name', { ...input, name: '' }, 'input'],
        ['plaintext ID-card number', { ...input, idCardNumber }, 'input'],
        ['plaintext phone', { ...input, phone: LI_XIUYING.phone }, 'input'],
        ['plaintext address', { ...input, address: LI_XIUYING.address }, 'input'],
        ['plaintext ID-card index', { ...input, idCardIndex: idCardNumber }, 'input'],
        ['a ciphertext as ID-card index', { ...input, idCardIndex: input['idCardNumber'] }, 'input'],
        ['no id', without(input, 'id'), 'input'],
        ['no ID-card index', without(input, 'idCardIndex'), 'input'],
        ['no birth date', without(input, 'birthDate'), 'input'],
        ['a phone without its index', without(input, 'phoneIndex'), 'phone'],
        ['a plaintext phone index', { ...input, phoneIndex: LI_XIUYING.phone }, 'phone'],
      ];
      for (const [problem, refused, field] of cases) {
        expect(await refusal(refused), problem).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
      expect(await residentCount()).toBe(before);
      // Nothing of the refusals was kept: the protected registration of that number still goes through.
      expect((await register(input)).errors).toBeUndefined();
    });

    it('refuses a blind index already registered with BAD_USER_INPUT, however the number was written, and writes nothing', async () => {
      const idCardNumber = makeIdCardNumber('330106', '1994-04-01', '008'); // check character X
      expect((await register(await protectRegistration(keyring, { idCardNumber }))).errors).toBeUndefined();
      const before = await residentCount();
      // The gateway's blind index normalises the number, so each of these carries the registered index.
      for (const written of [idCardNumber, idCardNumber.toLowerCase(), ` ${idCardNumber} `]) {
        const again = await protectRegistration(keyring, { idCardNumber: written, name: '另一人' });
        expect(again['idCardIndex'], written).toBe(keyring.blindIndex('idCard', idCardNumber));
        expect(await refusal(again), written).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idCardNumber' });
      }
      expect(await residentCount()).toBe(before);
    });

    it('refuses the loser of two concurrent registrations of one blind index with BAD_USER_INPUT', async () => {
      const before = await residentCount();
      const idCardNumber = makeIdCardNumber('330106', '1993-01-01', '002');
      const inputs = [await protectRegistration(keyring, { idCardNumber }), await protectRegistration(keyring, { idCardNumber, name: '另一人' })];
      const results = await Promise.all(inputs.map((input) => register(input)));
      expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
      expect(results.flatMap((r) => r.errors ?? []).map((e) => [e.extensions?.['code'], e.extensions?.['field']])).toEqual([['BAD_USER_INPUT', 'idCardNumber']]);
      expect(await residentCount()).toBe(before + 1);
    });

    it('refuses a sex that is not a GB/T 2261.1 code and an unknown district with BAD_USER_INPUT naming the field, and writes nothing', async () => {
      const before = await residentCount();
      const input = await protectRegistration(keyring, { idCardNumber: makeIdCardNumber('330106', '1995-01-01', '002') });
      for (const sex of ['3', 'M', 'F', '']) expect(await refusal({ ...input, sex }), sex).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sex' });
      for (const districtCode of ['999999', '1101', '']) {
        expect(await refusal({ ...input, districtCode }), districtCode).toMatchObject({ code: 'BAD_USER_INPUT', field: 'districtCode' });
      }
      expect(await residentCount()).toBe(before);
    });

    it('stores each GB/T 2261.1 sex code as given (whether it agrees with the number is the gateway’s check)', async () => {
      for (const [sex, sequence] of [['0', '035'], ['1', '057'], ['2', '046'], ['9', '068']] as const) {
        const input = await protectRegistration(keyring, { idCardNumber: makeIdCardNumber('330106', '1996-01-01', sequence), sex });
        const result = await register(input);
        expect(result.errors, sex).toBeUndefined();
        expect(result.data!.registerResident.sex).toBe(sex);
      }
    });

    it('refuses a registration from anyone but a hospital system with FORBIDDEN and writes nothing', async () => {
      const before = await residentCount();
      const input = await protectRegistration(keyring, { idCardNumber: makeIdCardNumber('330106', '1992-01-01', '002') });
      const actors: Array<Actor | null> = [clinician, residentA, { sub: 'steward-1', role: 'steward' }, { sub: 'auditor-1', role: 'auditor' }, null];
      for (const actor of actors) expect((await refusal(input, actor)).code, JSON.stringify(actor)).toBe('FORBIDDEN');
      expect(await residentCount()).toBe(before);
    });
  });
});
