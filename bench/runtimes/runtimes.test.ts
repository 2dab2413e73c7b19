/**
 * Hive Gateway with the Rust query planner over the platform's own subgraphs: the proof the
 * benchmark's numbers stand on, and what moving the enforcement pipeline onto it relies on.
 */
import { GraphQLError, visit } from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSupergraphSdl } from '../../schema/supergraph.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../../testkit/index.js';
import { postBenchmark, prepareBenchmark, releasedPart, type BenchmarkSetup } from './fixture.js';
import { startUnenforcedGateway, type RunningBenchGateway } from './gateways.js';

/** Test-only instruction to the rewriting plugin: remove every selection of this field before planning. */
const REMOVE_FIELD_HEADER = 'x-test-remove-field';
/** Test-only instruction: refuse in onExecute with a coded GraphQLError. */
const REFUSE_HEADER = 'x-test-refuse';

/** The document change the enforcement pipeline's filter stage would make, done where Hive Gateway allows it. */
const removeFieldBeforePlanning: GatewayPlugin = {
  onExecute: ({ args, executeFn, setExecuteFn, context }) => {
    if (context.request.headers.has(REFUSE_HEADER)) throw new GraphQLError('refused before planning', { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
    const field = context.request.headers.get(REMOVE_FIELD_HEADER);
    if (!field) return;
    const document = visit(args.document, { Field: (node) => (node.name.value === field ? null : undefined) });
    setExecuteFn((executionArgs) => executeFn({ ...executionArgs, document }));
  },
};

describe.each(testBackends())('Hive Gateway with the Rust planner over our subgraphs ($name)', (backend) => {
  let stack: TestPlatform;
  let setup: BenchmarkSetup;
  let gateway: RunningBenchGateway;
  const fetched: Array<{ subgraph: string; body: string }> = [];

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    setup = await prepareBenchmark(stack.platform, stack.config);
    const subgraphByUrl = new Map(setup.subgraphs.map((s) => [s.url, s.name]));
    const countFetches: GatewayPlugin = {
      onFetch: ({ url, options }) => {
        fetched.push({ subgraph: subgraphByUrl.get(url) ?? url, body: String(options.body) });
      },
    };
    gateway = await startUnenforcedGateway('hive-rust-planner', {
      subgraphs: setup.subgraphs,
      supergraphSdl: loadSupergraphSdl(),
      fetchSettings: setup.fetchSettings,
      claims: setup.widestClaims,
      plugins: [removeFieldBeforePlanning, countFetches],
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
  });

  const ask = async (body: string, headers: Record<string, string> = {}) => {
    fetched.length = 0;
    const answer = await postBenchmark(gateway.url, body, headers);
    return { answer, subgraphs: [...new Set(fetched.map((f) => f.subgraph))].sort() };
  };

  it('answers the benchmark query with the same data healthmesh releases, fetching all six subgraphs', async () => {
    const reference = await postBenchmark(stack.platform.gateway.url, setup.body, setup.permitted.headers);
    expect(reference.status).toBe(200);
    expect(reference.errors).toBeUndefined();
    const encounters = (reference.data?.['resident'] as { encounters: unknown[] }).encounters;
    expect(encounters.length).toBeGreaterThan(0);

    const { answer, subgraphs } = await ask(setup.body);
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(await releasedPart(stack.platform, setup.residentId, answer.data, reference.data)).toEqual(reference.data);
    expect(subgraphs).toEqual(['archive', 'clinical', 'immunization', 'population', 'resources', 'results']);
  });

  it('plans a document changed in onExecute as changed: the removed field is absent and its subgraph never fetched', async () => {
    const removed = await ask(setup.body, { [REMOVE_FIELD_HEADER]: 'healthArchive' });
    expect(removed.answer.errors).toBeUndefined();
    expect(Object.keys(removed.answer.data?.['resident'] as object)).not.toContain('healthArchive');
    expect(removed.subgraphs).toEqual(['clinical', 'immunization', 'population', 'resources', 'results']);
  });

  it('never reuses the plan of a changed document for the same query text unchanged, nor the other way round', async () => {
    const narrow = await ask(setup.body, { [REMOVE_FIELD_HEADER]: 'immunizations' });
    const wide = await ask(setup.body);
    const narrowAgain = await ask(setup.body, { [REMOVE_FIELD_HEADER]: 'immunizations' });
    expect(narrow.subgraphs).toEqual(['archive', 'clinical', 'population', 'resources', 'results']);
    expect(wide.subgraphs).toEqual(['archive', 'clinical', 'immunization', 'population', 'resources', 'results']);
    expect(narrowAgain.subgraphs).toEqual(narrow.subgraphs);
    expect(Object.keys(wide.answer.data?.['resident'] as object)).toContain('immunizations');
    expect(Object.keys(narrowAgain.answer.data?.['resident'] as object)).not.toContain('immunizations');
  });

  it('keeps a subgraph error’s extensions.code through error masking and names no subgraph', async () => {
    const query = `{ resident(id: "${setup.residentId}") { sex encounters(before: "garbage") { id } } }`;
    const { answer } = await ask(JSON.stringify({ query }));
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({ resident: { sex: '1', encounters: null } });
    expect(answer.errors).toHaveLength(1);
    // The Rust planner puts an entity fetch's error at the entity (["resident"]), not at the field.
    expect(answer.errors![0]!.path).toEqual(['resident']);
    expect(answer.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('passes a coded GraphQLError thrown in onExecute through with its code and HTTP status, before any fetch', async () => {
    const refused = await ask(setup.body, { [REFUSE_HEADER]: 'yes' });
    expect(refused.answer.status).toBe(403);
    expect(refused.answer.errors).toEqual([{ message: 'refused before planning', extensions: { code: 'FORBIDDEN' } }]);
    expect(refused.subgraphs).toEqual([]);
  });

  it('inlines literal arguments into the subgraph query it sends, and the context signed over that body is accepted', async () => {
    const query = `{ resident(id: "${setup.residentId}") { sex encounters(first: 2) { id } } }`;
    const { answer } = await ask(JSON.stringify({ query }));
    expect(answer.errors).toBeUndefined();
    expect((answer.data?.['resident'] as { encounters: unknown[] }).encounters).toHaveLength(2);
    const bodies = Object.fromEntries(fetched.map((f) => [f.subgraph, f.body]));
    expect(Object.keys(bodies).sort()).toEqual(['clinical', 'population']);
    expect(bodies['population']).toContain(`resident(id: \\"${setup.residentId}\\")`);
    expect(bodies['clinical']).toContain('encounters(first: 2)');
  });
});
