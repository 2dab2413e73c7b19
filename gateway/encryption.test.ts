import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from './index.js';
import { generateResident } from '../seed/index.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const run = promisify(execFile);
const RESIDENT_SCHEMAS = ['population', 'clinical', 'results', 'archive', 'immunization', 'consent'];

describe.each(testBackends())('field encryption on $name', (backend) => {
  let stack: TestPlatform;
  const residents = 40;
  const id = (actor: string) => stack.actor(actor).residentId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend, { residents });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function dumpSchemas(schemas: readonly string[]): Promise<string> {
    const tables = await stack.platform.database.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables where table_schema = any($1::text[]) and table_type = 'BASE TABLE'`,
      [schemas],
    );
    let dump = '';
    for (const table of tables) {
      const rows = await stack.platform.database.query<{ row: string }>(`select t::text as row from "${table.schema}"."${table.name}" t`);
      dump += rows.map((r) => r.row).join('\n');
    }
    return dump;
  }

  it('stores no plaintext name, ID-card number, phone or address of any seeded resident in any subgraph table', async () => {
    const dump = await dumpSchemas(RESIDENT_SCHEMAS);
    // The public resources schema holds practitioners' names (which may equal a resident's): ID numbers and phones only.
    const publicDump = await dumpSchemas(['resources']);
    expect(dump.length).toBeGreaterThan(10_000);
    const leaks: string[] = [];
    for (let index = 0; index < residents; index += 1) {
      const { resident } = generateResident(stack.config.seed, index);
      for (const value of [resident.name, resident.idCardNumber, resident.phone, resident.address]) {
        if (value && dump.includes(value)) leaks.push(`${resident.id}: ${value.slice(0, 2)}…`);
      }
      for (const value of [resident.idCardNumber, resident.phone]) if (value && publicDump.includes(value)) leaks.push(`${resident.id}: ${value.slice(0, 2)}… in resources`);
    }
    expect(leaks).toEqual([]);
    const [row] = await stack.platform.database.query<{ name: string; id_card_number: string; id_card_index: string }>(
      'select name, id_card_number, id_card_index from population.resident where id = $1',
      [id('resident-multi')],
    );
    expect(row!.name).toMatch(/^hm1\.a256gcm\.dk\d+\./);
    expect(row!.id_card_number).toMatch(/^hm1\.a256gcm\./);
    expect(row!.id_card_index).toMatch(/^bi1\.idCard\./);
  });

  it('decrypts for the resident, masks for a treating clinician, and never releases ciphertext', async () => {
    const own = await stack.query<{ myArchive: { name: string; idCardNumber: string } }>('resident-multi', '{ myArchive { name idCardNumber } }');
    expect(own.body.data!.myArchive).toEqual({ name: stack.actor('resident-multi').displayName, idCardNumber: stack.actor('resident-multi').idCardNumber });
    const clinician = await stack.query<{ resident: { name: string; idCardNumber: string } }>(
      'clinician-a',
      'query($id: ID!) { resident(id: $id) { name idCardNumber } }',
      { id: id('resident-multi') },
      { 'x-purpose-of-use': 'TREAT' },
    );
    expect(clinician.body.data!.resident.name).toMatch(/^王\*+$/);
    expect(clinician.body.data!.resident.idCardNumber).toBe(`${stack.actor('resident-multi').idCardNumber!.slice(0, 6)}********${stack.actor('resident-multi').idCardNumber!.slice(-4)}`);
    expect(JSON.stringify([own.body, clinician.body])).not.toContain('hm1.');
  });

  it('registers a resident from a hospital system with every identifying field encrypted before it reaches the subgraph', async () => {
    const mutation = 'mutation($input: ResidentInput!) { registerResident(input: $input) { id sex birthDate name } }';
    const input = { name: '测试居民', sex: '2', idCardNumber: '11010519491231002X', phone: '13812345678', address: '杭州市西湖区文三路1号', districtCode: '330106' };
    const { body } = await stack.query<{ registerResident: { id: string; sex: string; birthDate: string; name: null } }>('his-inst-01', mutation, { input });
    expect(body.data!.registerResident).toMatchObject({ sex: '2', birthDate: '1949-12-31', name: null });
    expect(body.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    const [row] = await stack.platform.database.query<Record<string, string>>('select * from population.resident where id = $1', [body.data!.registerResident.id]);
    for (const column of ['name', 'id_card_number', 'phone', 'address']) expect(row![column]).toMatch(/^hm1\./);
    expect(JSON.stringify(row)).not.toMatch(/测试居民|11010519491231002X|13812345678|文三路/);

    // The registration is a use of the new resident's data: audited, and a WRITE in their access log.
    const residentId = body.data!.registerResident.id;
    const audited = await stack.platform.database.query<{ actor_role: string; institution_id: string; fields_by_category: unknown; outcome: string }>(
      'select actor_role, institution_id, fields_by_category, outcome from consent.audit_entry where resident_id = $1',
      [residentId],
    );
    expect(audited).toEqual([{ actor_role: 'hospital_system', institution_id: 'inst-01', fields_by_category: { DEMOGRAPHICS: ['Mutation.registerResident'] }, outcome: 'ALLOWED' }]);
    const token = await issueToken(stack.platform.issuerKey, { sub: 'registered-resident', role: 'resident', residentId });
    const log = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ myAccessLog(first: 5) { edges { node { kind summary } } } }' }),
    });
    expect(((await log.json()) as { data: { myAccessLog: { edges: Array<{ node: unknown }> } } }).data.myAccessLog.edges.map((e) => e.node)).toEqual([
      { kind: 'WRITE', summary: 'inst-01 registered you' },
    ]);

    const found = await stack.query<{ findResident: null }>('clinician-a', 'query($c: String!) { findResident(idCardNumber: $c) { id } }', { c: '11010519491231002x' }, { 'x-purpose-of-use': 'TREAT' });
    expect(found.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_REQUIRED');
    const literal = await stack.query('his-inst-01', `mutation { registerResident(input: { name: "x", sex: "2", idCardNumber: "11010519491231002X", districtCode: "330106" }) { id } }`);
    expect(literal.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('keeps reads working while the key-encryption key is rotated, and after, with a cold cache', async () => {
    const before = await stack.platform.database.query<{ kek_id: string; wrapped: string }>('select kek_id, wrapped from keyring.data_key order by resident_id');
    const reads: Array<Promise<string | undefined>> = [];
    const read = () => stack.query<{ myArchive: { name: string } }>('resident-research', '{ myArchive { name } }').then((r) => r.body.data?.myArchive.name);
    const rotation = stack.platform.keyring.rotateKek();
    for (let i = 0; i < 5; i += 1) reads.push(read());
    const { rewrapped, kekId } = await rotation;
    expect(rewrapped).toBe(before.length);
    expect(new Set(await Promise.all(reads))).toEqual(new Set([stack.actor('resident-research').displayName]));
    const after = await stack.platform.database.query<{ kek_id: string; wrapped: string }>('select kek_id, wrapped from keyring.data_key order by resident_id');
    expect(new Set(after.map((r) => r.kek_id))).toEqual(new Set([kekId]));
    expect(after.every((row, i) => row.wrapped !== before[i]!.wrapped)).toBe(true);
    const ciphertext = await stack.platform.database.query<{ name: string }>('select name from population.resident where id = $1', [id('resident-research')]);
    stack.platform.keyring.forgetAll();
    expect(await read()).toBe(stack.actor('resident-research').displayName);
    const unchanged = await stack.platform.database.query<{ name: string }>('select name from population.resident where id = $1', [id('resident-research')]);
    expect(unchanged).toEqual(ciphertext);
  });

  it('after shredding, reports that resident’s encrypted fields as erased and leaves everyone else readable', async () => {
    expect(await stack.platform.keyring.shred(id('resident-child'))).toBe(true);
    const shredded = await stack.query<{ myArchive: { id: string; name: null; idCardNumber: null; sex: string } }>('resident-child', '{ myArchive { id name idCardNumber sex } }');
    expect(shredded.body.data!.myArchive).toEqual({ id: id('resident-child'), name: null, idCardNumber: null, sex: '2' });
    expect(shredded.body.errors?.map((e) => [e.path?.join('.'), e.extensions?.['code']])).toEqual([
      ['myArchive.name', 'DATA_ERASED'],
      ['myArchive.idCardNumber', 'DATA_ERASED'],
    ]);
    const other = await stack.query<{ myArchive: { name: string } }>('resident-multi', '{ myArchive { name } }');
    expect(other.body.data!.myArchive.name).toBe(stack.actor('resident-multi').displayName);
  });

  it("gives the resident a consent receipt that openssl verifies offline against the platform CA", async () => {
    const granted = await stack.query<{ grantConsent: { id: string; receiptUrl: string } }>(
      'resident-research',
      'mutation($input: ConsentInput!) { grantConsent(input: $input) { id receiptUrl } }',
      { input: { categories: ['RESULTS'], recipient: { kind: 'INSTITUTION', id: 'inst-02' }, purposes: ['TREAT'], provision: 'PERMIT', noticeVersion: '2026-01' } },
    );
    const { id: consentId, receiptUrl } = granted.body.data!.grantConsent;
    const base = stack.platform.gateway.url.replace(/\/graphql$/, '');
    const receipt = await fetch(`${base}${receiptUrl}`, { headers: { authorization: `Bearer ${await stack.token('resident-research')}` } });
    expect(receipt.status).toBe(200);
    const pem = await receipt.text();
    const caPem = await (await fetch(`${base}/pki/ca.pem`)).text();
    const foreign = await fetch(`${base}${receiptUrl}`, { headers: { authorization: `Bearer ${await stack.token('resident-multi')}` } });
    expect(foreign.status).toBe(404);

    const directory = mkdtempSync(join(tmpdir(), 'receipt-'));
    try {
      writeFileSync(join(directory, 'receipt.pem'), pem);
      writeFileSync(join(directory, 'ca.pem'), caPem);
      const { stdout } = await run('openssl', ['smime', '-verify', '-in', join(directory, 'receipt.pem'), '-inform', 'PEM', '-CAfile', join(directory, 'ca.pem')]);
      const content = JSON.parse(stdout) as { consent: { resourceType: string; id: string; provision: { type: string } } };
      expect(content.consent).toMatchObject({ resourceType: 'Consent', id: consentId, provision: { type: 'permit' } });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
