import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError, Kind, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { CLASSIFIED_DIRECTIVE_SDL, classified } from '../../schema/classification.js';
import { ENFORCEMENT_DIRECTIVES_SDL, inputIs, readEnforcementDeclarations, rootIs } from '../../schema/enforcement.js';
import { InvalidInputError } from '../../schema/errors.js';
import { makeIdCardNumber } from '../../schema/id-card.js';
import { looksLikeBlindIndex, looksLikeFieldCiphertext } from '../../schema/protected-value.js';
import { loadSupergraphSdl } from '../../schema/supergraph.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../../subgraphs/runtime/database.js';
import { InMemoryKeyProvider, newBlindIndexKey, openKeyring, type Keyring } from '../keyring/index.js';
import { protectWrites } from './protect-writes.js';
import { fragmentsOf, rootFieldNodes } from './selections.js';

/** The GB 11643 vector from DESIGN §9: born 1949-12-31 in 北京朝阳区, 17th digit 2 (female). */
const VALID_ID = '11010519491231002X';
const CIPHERTEXT = /^hm1\.a256gcm\.dk1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/;
/** What the gateway reads from the supergraph: which inputs are identifying. */
const declarations = readEnforcementDeclarations(loadSupergraphSdl());
const RESIDENT_ID = /^res-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const REGISTER = /* GraphQL */ `
  mutation ($input: ResidentInput!) { registerResident(input: $input) { id } }
`;
const RECORD = /* GraphQL */ `
  mutation ($input: [EncounterInput!]!) { recordEncounters(input: $input) }
`;

/** A registration as a hospital system sends it. */
function registration(input: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: '李秀英', sex: '2', idCardNumber: VALID_ID, phone: '13900001111', address: '北京市朝阳区', districtCode: '110105', ...input };
}

/** The operation and the root fields that execute with `variables`, as protectWrites takes them. */
function operation(source: string, variables: Record<string, unknown> = {}): [OperationDefinitionNode, FieldNode[]] {
  const document = parse(source);
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!definition) throw new Error('no operation in the document');
  return [definition, rootFieldNodes(definition, fragmentsOf(document), variables)];
}

/** The error `protectWrites` refuses with (fails the test when it does not refuse). */
async function refusal(source: string, variables: Record<string, unknown>, keyring: Keyring): Promise<GraphQLError> {
  try {
    await protectWrites(...operation(source, variables), variables, keyring, declarations);
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

let handle: DatabaseHandle;
let keyring: Keyring;

beforeAll(async () => {
  handle = await openDatabase();
  await migrateAll(handle, ['keyring']);
  keyring = openKeyring(handle.db, { provider: new InMemoryKeyProvider(), blindIndexKey: newBlindIndexKey() });
});

afterAll(async () => {
  await handle?.close();
});

async function dataKeyCount(): Promise<number> {
  const [row] = await handle.query<{ n: number }>('select count(*)::int as n from keyring.data_key');
  return row!.n;
}

describe('protectWrites: registerResident', () => {
  it('accepts the DESIGN §9 vector and returns it encrypted under a fresh resident id, with blind indexes and the birth date', async () => {
    const variables = { input: registration() };
    const overrides = await protectWrites(...operation(REGISTER), variables, keyring, declarations);
    expect(Object.keys(overrides)).toEqual(['input']);
    const input = overrides['input'] as Record<string, string>;
    expect(input).toEqual({
      id: expect.stringMatching(RESIDENT_ID),
      name: expect.stringMatching(CIPHERTEXT),
      sex: '2',
      idCardNumber: expect.stringMatching(CIPHERTEXT),
      idCardIndex: keyring.blindIndex('idCard', '11010519491231002x'),
      phone: expect.stringMatching(CIPHERTEXT),
      phoneIndex: keyring.blindIndex('phone', '+86 139-0000-1111'),
      address: expect.stringMatching(CIPHERTEXT),
      districtCode: '110105',
      birthDate: '1949-12-31',
    });
    // In the shape the population subgraph insists on.
    for (const field of ['name', 'idCardNumber', 'phone', 'address']) expect(looksLikeFieldCiphertext(input[field]), field).toBe(true);
    for (const field of ['idCardIndex', 'phoneIndex']) expect(looksLikeBlindIndex(input[field]), field).toBe(true);

    const id = input['id']!;
    await keyring.prepare([id]);
    expect(keyring.decrypt(id, 'Resident.name', input['name']!)).toEqual({ ok: true, plaintext: '李秀英' });
    expect(keyring.decrypt(id, 'Resident.idCardNumber', input['idCardNumber']!)).toEqual({ ok: true, plaintext: VALID_ID });
    expect(keyring.decrypt(id, 'Resident.phone', input['phone']!)).toEqual({ ok: true, plaintext: '13900001111' });
    expect(keyring.decrypt(id, 'Resident.address', input['address']!)).toEqual({ ok: true, plaintext: '北京市朝阳区' });
    // Bound to its field: a ciphertext moved to another column does not decrypt.
    expect(keyring.decrypt(id, 'Resident.address', input['name']!)).toEqual({ ok: false, reason: 'UNREADABLE' });

    // The client's variables are left as sent; the result replaces them.
    expect(variables.input).toEqual(registration());
  });

  it('allocates a fresh resident id for every registration', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 3; i++) ids.add(((await protectWrites(...operation(REGISTER), { input: registration() }, keyring, declarations))['input'] as Record<string, unknown>)['id']);
    expect(ids.size).toBe(3);
  });

  it('protects the input under whatever variable name and alias the client uses, and touches no other variable', async () => {
    const source = /* GraphQL */ `
      mutation ($person: ResidentInput!, $note: String) { newcomer: registerResident(input: $person) { id } }
    `;
    const overrides = await protectWrites(...operation(source), { person: registration(), note: 'x' }, keyring, declarations);
    expect(Object.keys(overrides)).toEqual(['person']);
    expect((overrides['person'] as Record<string, unknown>)['idCardNumber']).toMatch(CIPHERTEXT);
  });

  it('trims the name before encrypting it, and leaves out phone, its index and address when they are not sent', async () => {
    const { phone: _phone, address: _address, ...bare } = registration({ name: ' 李秀英 ' });
    const input = (await protectWrites(...operation(REGISTER), { input: bare }, keyring, declarations))['input'] as Record<string, string>;
    expect(Object.keys(input).sort()).toEqual(['birthDate', 'districtCode', 'id', 'idCardIndex', 'idCardNumber', 'name', 'sex']);
    await keyring.prepare([input['id']!]);
    expect(keyring.decrypt(input['id']!, 'Resident.name', input['name']!)).toEqual({ ok: true, plaintext: '李秀英' });
  });

  it('accepts sex 0 (unknown) and 9 (unstated) with any number', async () => {
    for (const sex of ['0', '9']) {
      const input = (await protectWrites(...operation(REGISTER), { input: registration({ sex }) }, keyring, declarations))['input'] as Record<string, unknown>;
      expect(input['sex'], sex).toBe(sex);
    }
  });

  it('refuses each broken rule with BAD_USER_INPUT naming the field, before any data key is made', async () => {
    const keysBefore = await dataKeyCount();
    const nextYear = new Date().getUTCFullYear() + 1;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['wrong check character', { idCardNumber: '110105194912310021' }, 'idCardNumber'],
      ['future birth date', { idCardNumber: makeIdCardNumber('110105', `${nextYear}-01-01`, '002') }, 'idCardNumber'],
      ['unknown area code', { idCardNumber: makeIdCardNumber('990101', '1990-01-01', '002') }, 'idCardNumber'],
      ['impossible date', { idCardNumber: makeIdCardNumber('110105', '1990-02-30', '002') }, 'idCardNumber'],
      ['too short', { idCardNumber: '11010519491231002' }, 'idCardNumber'],
      ['letters', { idCardNumber: '11010519491231A02X' }, 'idCardNumber'],
      ['no number', { idCardNumber: undefined }, 'idCardNumber'],
      ['sex contradicting the 17th digit (female)', { sex: '1' }, 'sex'],
      ['sex contradicting the 17th digit (male)', { idCardNumber: makeIdCardNumber('330106', '1990-01-01', '013'), sex: '2' }, 'sex'],
      ['sex not a GB/T 2261.1 code', { sex: 'F' }, 'sex'],
      ['no sex', { sex: undefined }, 'sex'],
      ['phone not a mobile number', { phone: '23900001111' }, 'phone'],
      ['phone too short', { phone: '1390000111' }, 'phone'],
      ['empty phone', { phone: '' }, 'phone'],
      ['empty name', { name: '   ' }, 'name'],
      ['no name', { name: undefined }, 'name'],
      ['name over 50 characters', { name: '李'.repeat(51) }, 'name'],
      ['unknown district', { districtCode: '999999' }, 'districtCode'],
      ['no district', { districtCode: undefined }, 'districtCode'],
    ];
    for (const [problem, broken, field] of cases) {
      const error = await refusal(REGISTER, { input: registration(broken) }, keyring);
      expect(error, problem).toBeInstanceOf(InvalidInputError);
      expect(error.extensions, problem).toEqual({ code: 'BAD_USER_INPUT', field });
    }
    expect(await dataKeyCount()).toBe(keysBefore);
  });

  it('refuses a registration written into the query text with BAD_USER_INPUT', async () => {
    const source = /* GraphQL */ `
      mutation { registerResident(input: { name: "李秀英", sex: "2", idCardNumber: "11010519491231002X", districtCode: "110105" }) { id } }
    `;
    const error = await refusal(source, {}, keyring);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', http: { status: 400 } });
    expect(error.message).toMatch(/as a variable/);
    // Variables inside a literal object are still query text around identifiers: refused too.
    const mixed = /* GraphQL */ `
      mutation ($id: String!) { registerResident(input: { name: "李秀英", sex: "2", idCardNumber: $id, districtCode: "110105" }) { id } }
    `;
    expect((await refusal(mixed, { id: VALID_ID }, keyring)).extensions['code']).toBe('BAD_USER_INPUT');
  });

  // Was a bug in gateway/stages/protect-writes.ts: a variable's default value is query text, but only the
  // argument's kind (a variable) is checked, so identifiers in `$input: ResidentInput = {...}` pass the
  // gateway unrefused and unencrypted (and the override becomes `{ input: undefined }`).
  it('refuses a registration written into the query text as a variable’s default value', async () => {
    const source = /* GraphQL */ `
      mutation ($input: ResidentInput = { name: "李秀英", sex: "2", idCardNumber: "11010519491231002X", districtCode: "110105" }) {
        registerResident(input: $input) { id }
      }
    `;
    expect((await refusal(source, {}, keyring)).extensions['code']).toBe('BAD_USER_INPUT');
  });

  // Was a bug in gateway/stages/protect-writes.ts: only the operation's top-level fields are examined, so a
  // root field selected through an inline fragment on Mutation is neither encrypted nor checked for literals
  // (the population subgraph then refuses the plaintext, but the gateway has let it through).
  it('protects a registration selected through an inline fragment on Mutation', async () => {
    const viaFragment = /* GraphQL */ `
      mutation ($input: ResidentInput!) { ... on Mutation { registerResident(input: $input) { id } } }
    `;
    const overrides = await protectWrites(...operation(viaFragment), { input: registration() }, keyring, declarations);
    expect((overrides['input'] as Record<string, unknown> | undefined)?.['idCardNumber']).toMatch(CIPHERTEXT);
    const literal = /* GraphQL */ `
      mutation { ... on Mutation { registerResident(input: { name: "李秀英", sex: "2", idCardNumber: "11010519491231002X", districtCode: "110105" }) { id } } }
    `;
    expect((await refusal(literal, {}, keyring)).extensions['code']).toBe('BAD_USER_INPUT');
  });

  // Was a bug in gateway/stages/protect-writes.ts: root fields were collected through fragments without
  // their @skip / @include, so a skipped registration was validated, given a data key and encrypted.
  it('examines only a registration that executes: skipped, nothing is validated or keyed; included, it is encrypted', async () => {
    const source = /* GraphQL */ `
      mutation ($input: ResidentInput!, $register: Boolean!) { ...Register @include(if: $register) }
      fragment Register on Mutation { registerResident(input: $input) { id } }
    `;
    const keysBefore = await dataKeyCount();
    const broken = { input: registration({ idCardNumber: '110105194912310021' }), register: false };
    expect(await protectWrites(...operation(source, broken), broken, keyring, declarations)).toEqual({});
    const literal = /* GraphQL */ `
      mutation { ... @skip(if: true) { registerResident(input: { name: "李秀英", sex: "2", idCardNumber: "11010519491231002X", districtCode: "110105" }) { id } } }
    `;
    expect(await protectWrites(...operation(literal), {}, keyring, declarations)).toEqual({});
    expect(await dataKeyCount()).toBe(keysBefore);

    const included = { input: registration(), register: true };
    const overrides = await protectWrites(...operation(source, included), included, keyring, declarations);
    expect((overrides['input'] as Record<string, unknown>)['idCardNumber']).toMatch(CIPHERTEXT);
    expect(await dataKeyCount()).toBe(keysBefore + 1);
  });

  // Was a bug in gateway/stages/protect-writes.ts: a root field selected twice was protected twice, each
  // time under a new resident id and data key, the first of them then orphaned.
  it('protects a variable once when the same registration is selected twice', async () => {
    const source = /* GraphQL */ `
      mutation ($input: ResidentInput!) { registerResident(input: $input) { id } ... on Mutation { registerResident(input: $input) { id } } }
    `;
    const keysBefore = await dataKeyCount();
    const overrides = await protectWrites(...operation(source), { input: registration() }, keyring, declarations);
    expect((overrides['input'] as Record<string, unknown>)['idCardNumber']).toMatch(CIPHERTEXT);
    expect(await dataKeyCount()).toBe(keysBefore + 1);
  });

  // Was a bug in gateway/stages/protect-writes.ts: the number and phone are validated in their normalised
  // form (parseIdCardNumber trims and upper-cases, isMobilePhone strips +86 and separators) but encrypted as
  // sent, although schema/id-card.ts and schema/phone.ts name the normalised form the one used for storage;
  // the stored value then disagrees with seeded data and masks badly (" 11010**********02x ", "+86**********1111").
  it('encrypts the ID-card number and phone in their canonical form', async () => {
    const input = (await protectWrites(...operation(REGISTER), { input: registration({ idCardNumber: ' 11010519491231002x ', phone: '+86 139-0000-1111' }) }, keyring, declarations))[
      'input'
    ] as Record<string, string>;
    await keyring.prepare([input['id']!]);
    expect(keyring.decrypt(input['id']!, 'Resident.idCardNumber', input['idCardNumber']!)).toEqual({ ok: true, plaintext: VALID_ID });
    expect(keyring.decrypt(input['id']!, 'Resident.phone', input['phone']!)).toEqual({ ok: true, plaintext: '13900001111' });
  });
});

describe('protectWrites: recordEncounters', () => {
  it('encrypts each chief complaint under its item’s resident and leaves items without one as they are', async () => {
    const items = [
      { residentId: 'res-enc-1', department: '心内科', chiefComplaint: '头晕 3 天' },
      { residentId: 'res-enc-2', department: '内科' },
      { residentId: 'res-enc-2', department: '内科', chiefComplaint: null },
      { residentId: 'res-enc-2', department: '精神科', chiefComplaint: '情绪低落 2 月' },
    ];
    const overrides = await protectWrites(...operation(RECORD), { input: items }, keyring, declarations);
    const result = overrides['input'] as Array<Record<string, unknown>>;
    expect(result).toEqual([
      { ...items[0], chiefComplaint: expect.stringMatching(CIPHERTEXT) },
      items[1],
      items[2],
      { ...items[3], chiefComplaint: expect.stringMatching(CIPHERTEXT) },
    ]);
    await keyring.prepare(['res-enc-1', 'res-enc-2']);
    expect(keyring.decrypt('res-enc-1', 'Encounter.chiefComplaint', result[0]!['chiefComplaint'] as string)).toEqual({ ok: true, plaintext: '头晕 3 天' });
    expect(keyring.decrypt('res-enc-2', 'Encounter.chiefComplaint', result[3]!['chiefComplaint'] as string)).toEqual({ ok: true, plaintext: '情绪低落 2 月' });
    // Under the item's own resident: another resident's key does not open it.
    expect(keyring.decrypt('res-enc-2', 'Encounter.chiefComplaint', result[0]!['chiefComplaint'] as string)).toEqual({ ok: false, reason: 'UNREADABLE' });
  });

  it('names the failing item of a batch: input[1]', async () => {
    const error = await refusal(RECORD, { input: [{ residentId: 'res-enc-1', chiefComplaint: '头晕' }, { chiefComplaint: '胸闷' }] }, keyring);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input[1].residentId' });
    expect(error.message).toMatch(/^input\[1\]: /);
  });

  it('refuses encounters written into the query text with BAD_USER_INPUT', async () => {
    const source = /* GraphQL */ `
      mutation { recordEncounters(input: [{ residentId: "res-enc-1", chiefComplaint: "头晕 3 天" }]) }
    `;
    expect((await refusal(source, {}, keyring)).extensions).toEqual({ code: 'BAD_USER_INPUT', http: { status: 400 } });
  });
});

describe('protectWrites: operations that write nothing protected', () => {
  it('returns {} for a query, even one naming a protected field, and for a mutation of other fields', async () => {
    const query = /* GraphQL */ `
      query ($input: ResidentInput!) { registerResident(input: $input) { id } }
    `;
    expect(await protectWrites(...operation(query), { input: registration() }, keyring, declarations)).toEqual({});
    const other = /* GraphQL */ `
      mutation ($id: ID!) { withdrawConsent(id: $id) { id } }
    `;
    expect(await protectWrites(...operation(other), { id: 'consent-1' }, keyring, declarations)).toEqual({});
  });
});

describe('protectWrites: an identifying input declared only in the schema', () => {
  // No gateway code names this mutation or its fields: the declarations alone make the gateway encrypt.
  const noteDeclarations = readEnforcementDeclarations(`
    ${CLASSIFIED_DIRECTIVE_SDL}
    ${ENFORCEMENT_DIRECTIVES_SDL}
    type Query { a: String ${rootIs.platform} }
    type Mutation { recordNotes(input: [NoteInput!]!): [ID!]! ${rootIs.feed('input', 'CLINICAL')} }
    input NoteInput {
      residentId: ID! ${inputIs.reference('RESIDENT')}
      text: String ${inputIs.identifying('TEXT', 'Note.text')}
      topic: String
    }
    type Note { id: ID! ${classified('CLINICAL', 2)} text: String ${classified('CLINICAL', 4, { encrypted: true, mask: 'TEXT' })} }
  `);

  it('is encrypted under each record’s resident, bound to its stored coordinate, and other fields are left as sent', async () => {
    const source = /* GraphQL */ `
      mutation ($notes: [NoteInput!]!) { recordNotes(input: $notes) }
    `;
    const notes = [{ residentId: 'res-note-1', text: '随访记录', topic: 'follow-up' }];
    const overrides = await protectWrites(...operation(source), { notes }, keyring, noteDeclarations);
    const [note] = overrides['notes'] as Array<Record<string, string>>;
    expect(note).toEqual({ residentId: 'res-note-1', text: expect.stringMatching(CIPHERTEXT), topic: 'follow-up' });
    await keyring.prepare(['res-note-1']);
    expect(keyring.decrypt('res-note-1', 'Note.text', note!['text']!)).toEqual({ ok: true, plaintext: '随访记录' });
    // The same operation under the platform's own declarations protects nothing: it is not declared there.
    expect(await protectWrites(...operation(source), { notes }, keyring, declarations)).toEqual({});
  });
});
