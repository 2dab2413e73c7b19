import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash, verifyInclusion } from '../consent/merkle/index.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

interface LogNode {
  id: string;
  kind: string;
  actorRole: string;
  categories: string[];
  outcome: string;
  leafIndex: number;
  leafData: string;
  inclusionProof: { leafIndex: number; treeSize: number; hashes: string[] };
}
type Log = { auditTreeHead: { treeSize: number; rootHash: string }; myAccessLog: { edges: Array<{ node: LogNode }> } };

const LOG = `query WardLog($residentId: ID) {
  auditTreeHead { treeSize rootHash }
  myAccessLog(residentId: $residentId, first: 100) { edges { node { id kind actorRole categories outcome leafIndex leafData inclusionProof { leafIndex treeSize hashes } } } }
}`;

describe.each(testBackends())('a guardian reads their ward’s access log through the gateway on $name', (backend) => {
  let stack: TestPlatform;
  let ward: string;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    ward = stack.actor('resident-child').residentId!;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Each entry's id as its leaf bytes carry it (the first element of the canonical array). */
  const leafIds = (log: Log) => log.myAccessLog.edges.map((edge) => JSON.parse(Buffer.from(edge.node.leafData, 'base64').toString('utf8'))[0] as string);

  it('shows the guardian the ward’s entries, each with an inclusion proof against the signed head', async () => {
    // The guardian reads the ward's record: an entry in the ward's log.
    const record = await stack.query('resident-multi', 'query WardRecord($id: ID!) { resident(id: $id) { name immunizations(first: 3) { vaccineCode } } }', { id: ward });
    expect(record.status).toBe(200);
    expect(record.body.errors).toBeUndefined();

    const asGuardian = await stack.query<Log>('resident-multi', LOG, { residentId: ward });
    expect(asGuardian.status).toBe(200);
    expect(asGuardian.body.errors).toBeUndefined();
    const edges = asGuardian.body.data!.myAccessLog.edges;
    expect(edges.length).toBeGreaterThan(0);
    expect(edges[0]!.node).toMatchObject({ kind: 'READ', actorRole: 'resident', outcome: 'ALLOWED' });
    expect(edges[0]!.node.categories).toEqual(expect.arrayContaining(['DEMOGRAPHICS', 'PUBLIC_HEALTH']));
    const head = asGuardian.body.data!.auditTreeHead;
    for (const { node } of edges) {
      expect(node.inclusionProof).toMatchObject({ leafIndex: node.leafIndex, treeSize: head.treeSize });
      expect(verifyInclusion(node.leafIndex, head.treeSize, leafHash(Buffer.from(node.leafData, 'base64')), node.inclusionProof.hashes, Buffer.from(head.rootHash, 'hex'))).toBe(true);
    }
    // The same entries the ward sees in their own log (which also holds the guardian's read of it).
    const asWard = await stack.query<Log>('resident-child', LOG);
    expect(asWard.status).toBe(200);
    expect(leafIds(asWard.body.data!)).toEqual(expect.arrayContaining(leafIds(asGuardian.body.data!)));
    // The guardian's own log is not the ward's.
    const own = await stack.query<Log>('resident-multi', LOG);
    expect(leafIds(own.body.data!).filter((id) => leafIds(asGuardian.body.data!).includes(id))).toEqual([]);
  });

  it('audits the guardian’s reading of the ward’s log in the ward’s log, as any read of the ward’s data', async () => {
    const before = leafIds((await stack.query<Log>('resident-child', LOG)).body.data!);
    const read = await stack.query<Log>('resident-multi', LOG, { residentId: ward });
    expect(read.status).toBe(200);
    const after = (await stack.query<Log>('resident-child', LOG)).body.data!;
    expect(after.myAccessLog.edges.length).toBe(before.length + 1);
    expect(after.myAccessLog.edges[0]!.node).toMatchObject({ kind: 'READ', actorRole: 'resident', categories: ['DEMOGRAPHICS'], outcome: 'ALLOWED' });
    // Reading one's own log is not a use of anyone else's data: no entry, as before this change.
    const own = leafIds((await stack.query<Log>('resident-multi', LOG)).body.data!);
    expect(leafIds((await stack.query<Log>('resident-multi', LOG)).body.data!)).toEqual(own);
  });

  it('refuses a stranger, another resident’s guardian, the ward for the guardian’s log and a clinician with FORBIDDEN, returning no entry', async () => {
    const PEEK = 'query Peek($residentId: ID) { myAccessLog(residentId: $residentId) { edges { node { id summary } } } }';
    const cases: Array<[string, string]> = [
      ['resident-research', ward],
      ['resident-multi', stack.actor('resident-research').residentId!],
      ['resident-child', stack.actor('resident-multi').residentId!],
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const [actor, residentId] of cases) {
      const refused = await stack.query<{ myAccessLog: unknown }>(actor, PEEK, { residentId });
      // The same answer as for any read of a resident the caller may not read (filter mode: null with an error at the root).
      const sameAs = await stack.query(actor, 'query Look($id: ID!) { resident(id: $id) { birthDate } }', { id: residentId });
      expect(refused.status, `${actor} → ${residentId}`).toBe(sameAs.status);
      expect(refused.body.data?.myAccessLog ?? null).toBeNull();
      expect(refused.body.errors?.map((error) => [error.path, error.extensions?.['code']])).toEqual([[['myAccessLog'], 'FORBIDDEN']]);
      expect(JSON.stringify(refused.body)).not.toContain('"edges"');
    }
    // clinician-a treats resident-multi, so the gateway releases their level-2 demographics; the consent
    // subgraph's own policy check still opens no access log to a clinician (defence in depth).
    const clinician = await stack.query<{ myAccessLog: unknown }>('clinician-a', PEEK, { residentId: stack.actor('resident-multi').residentId }, { 'x-purpose-of-use': 'TREAT' });
    expect(clinician.body.data?.myAccessLog ?? null).toBeNull();
    expect(clinician.body.errors?.map((error) => [error.extensions?.['code'], error.message])).toEqual([['FORBIDDEN', 'Only a resident has an access log.']]);
    expect(JSON.stringify(clinician.body)).not.toContain('"edges"');
  });
});
