import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPublicKey, KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';
import { merkle } from '../consent/index.js';

const { leafHash, verifyConsistency, verifyInclusion } = merkle;

const run = promisify(execFile);

/** The inclusion checker the README shows, exactly as written there. */
function readmeSnippet(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const match = /<!-- verify-inclusion\.mjs[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no verify-inclusion.mjs block');
  return match[1]!;
}

type Proved = {
  auditTreeHead: { treeSize: number; rootHash: string; timestamp: string; keyId: string; signature: string };
  myAccessLog: { edges: Array<{ node: { summary: string; leafData: string; inclusionProof: { leafIndex: number; treeSize: number; hashes: string[] } } }> };
};
const PROVED = '{ auditTreeHead { treeSize rootHash timestamp keyId signature } myAccessLog(first: 5) { edges { node { summary leafData inclusionProof { leafIndex treeSize hashes } } } } }';
const TREAT = { 'x-purpose-of-use': 'TREAT' };

describe.each(testBackends())('signed heads and proofs through the gateway on $name', (backend) => {
  let stack: TestPlatform;
  const dir = mkdtempSync(join(tmpdir(), 'healthmesh-proofs-'));
  const id = (actor: string) => stack.actor(actor).residentId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    for (let i = 0; i < 3; i += 1) {
      const read = await stack.query('clinician-a', 'query($id: ID!) { resident(id: $id) { sex encounters(first: 1) { department } } }', { id: id('resident-multi') }, TREAT);
      expect(read.body.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves the audit key as a public JWK whose kid names the heads’ key', async () => {
    const response = await fetch(new URL('/audit/public-key', stack.platform.gateway.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jwk+json');
    const jwk = (await response.json()) as Record<string, string>;
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: stack.platform.auditKey.kid, alg: 'EdDSA', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    const served = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' });
    expect(served.equals(KeyObject.from(stack.platform.auditKey.publicKey).export({ format: 'der', type: 'spki' }))).toBe(true);
    expect((await fetch(new URL('/audit/public-key', stack.platform.gateway.url), { method: 'POST' })).status).not.toBe(200);
  });

  it('lets a resident check their entries with the README’s standard-library snippet, which refuses a tampered entry or head', async () => {
    const answer = await stack.query<Proved>('resident-multi', PROVED);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    const edges = answer.body.data!.myAccessLog.edges;
    expect(edges.length).toBeGreaterThanOrEqual(3);
    const head = answer.body.data!.auditTreeHead;
    for (const { node } of edges) {
      expect(verifyInclusion(node.inclusionProof.leafIndex, head.treeSize, leafHash(Buffer.from(node.leafData, 'base64')), node.inclusionProof.hashes, Buffer.from(head.rootHash, 'hex'))).toBe(true);
    }
    const script = join(dir, 'verify-inclusion.mjs');
    writeFileSync(script, readmeSnippet());
    writeFileSync(join(dir, 'audit-key.jwk'), await (await fetch(new URL('/audit/public-key', stack.platform.gateway.url))).text());
    const check = (body: unknown) => {
      writeFileSync(join(dir, 'answer.json'), JSON.stringify(body));
      return run(process.execPath, [script, join(dir, 'answer.json'), join(dir, 'audit-key.jwk')]).then(
        (ok) => ({ code: 0, stdout: ok.stdout }),
        (failed: { code: number; stdout: string }) => ({ code: failed.code, stdout: failed.stdout }),
      );
    };
    const intact = await check(answer.body);
    expect(intact.code).toBe(0);
    expect(intact.stdout.match(/^in the log: /gm)).toHaveLength(edges.length);
    expect(intact.stdout).toContain(`head of ${head.treeSize} entries signed by ${head.keyId}`);

    const tampered = structuredClone(answer.body);
    const entry = JSON.parse(Buffer.from(tampered.data!.myAccessLog.edges[0]!.node.leafData, 'base64').toString('utf8')) as unknown[];
    entry[15] = 0; // rows returned
    tampered.data!.myAccessLog.edges[0]!.node.leafData = Buffer.from(JSON.stringify(entry)).toString('base64');
    const refused = await check(tampered);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^NOT in the log: #\d+/m);

    const forged = structuredClone(answer.body);
    forged.data!.auditTreeHead.treeSize += 1;
    expect(await check(forged)).toMatchObject({ code: 1, stdout: expect.stringContaining('the head is NOT signed by the audit key') });
  });

  it('gives an auditor a consistency proof between two signed heads', async () => {
    const head = async () => (await stack.query<{ auditTreeHead: { treeSize: number; rootHash: string } }>('auditor', '{ auditTreeHead { treeSize rootHash } }')).body.data!.auditTreeHead;
    const before = await head();
    await stack.query('clinician-a', 'query($id: ID!) { resident(id: $id) { sex } }', { id: id('resident-multi') }, TREAT);
    const after = await head();
    expect(after.treeSize).toBeGreaterThan(before.treeSize);
    const proof = await stack.query<{ auditConsistencyProof: string[] }>('auditor', 'query($a: Int!, $b: Int!) { auditConsistencyProof(first: $a, second: $b) }', { a: before.treeSize, b: after.treeSize });
    expect(proof.body.errors).toBeUndefined();
    expect(verifyConsistency(before.treeSize, after.treeSize, proof.body.data!.auditConsistencyProof, Buffer.from(before.rootHash, 'hex'), Buffer.from(after.rootHash, 'hex'))).toBe(true);
  });

  it('answers other roles and impossible sizes with a 4xx and a stable code', async () => {
    const head = await stack.query('clinician-a', '{ auditTreeHead { treeSize } }');
    expect([head.status, head.body.errors?.[0]?.extensions?.['code']]).toEqual([403, 'FORBIDDEN']);
    const proof = await stack.query('resident-multi', '{ auditConsistencyProof(first: 1, second: 2) }');
    expect([proof.status, proof.body.errors?.[0]?.extensions?.['code']]).toEqual([403, 'FORBIDDEN']);
    const backwards = await stack.query('auditor', '{ auditConsistencyProof(first: 2, second: 1) }');
    expect([backwards.status, backwards.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'BAD_USER_INPUT']);
    const beyond = await stack.query('auditor', '{ auditConsistencyProof(first: 1, second: 2000000000) }');
    expect([beyond.status, beyond.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'BAD_USER_INPUT']);
    const outside = await stack.query('resident-multi', '{ myAccessLog(first: 1) { edges { node { inclusionProof(treeSize: 0) { hashes } } } } }');
    expect([outside.status, outside.body.errors?.[0]?.extensions?.['code']]).toEqual([400, 'BAD_USER_INPUT']);
  });
});
