import 'reflect-metadata';
import { Directive, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declarationGaps, readEnforcementDeclarations, rootIs } from '../schema/enforcement.js';
import { composeSupergraph } from '../schema/supergraph.js';
import { buildServedSdls, servedSubgraphs, throwawayAuditKeys } from '../scripts/subgraphs.js';
import { buildSubgraph } from '../subgraphs/runtime/index.js';
import { startExtraGateway, startRecordingProxy, startTestPlatform, testBackends, type RecordingProxy, type TestPlatform } from '../testkit/index.js';
import type { RunningGateway } from './index.js';

// Decorators applied as calls: test files are not compiled with decorator support.
/** A type nobody classified. */
class Gadget {
  label!: string;
}
Field(() => String)(Gadget.prototype, 'label');
ObjectType()(Gadget);

/** Roots a careless change could add to the resources subgraph: one undeclared, one platform root over unclassified data. */
class CarelessRoots {
  undeclaredSecret(): string {
    return 'leaked';
  }

  gadget(): Gadget {
    return { label: 'leaked' };
  }
}
const method = (name: keyof CarelessRoots) => [CarelessRoots.prototype, name, Object.getOwnPropertyDescriptor(CarelessRoots.prototype, name)!] as const;
Query(() => String)(...method('undeclaredSecret'));
Directive(rootIs.platform)(...method('gadget'));
Query(() => Gadget, { nullable: true })(...method('gadget'));
Resolver()(CarelessRoots);

/** The platform's supergraph with the careless roots added to the resources subgraph. */
async function supergraphWithCarelessRoots(): Promise<string> {
  const resources = servedSubgraphs(new Uint8Array(32), throwawayAuditKeys()).find((s) => s.name === 'resources')!;
  const careless = await buildSubgraph({ ...resources.definition, resolvers: [...resources.definition.resolvers, CarelessRoots] });
  const sdls = await buildServedSdls();
  return composeSupergraph(sdls.map((sdl) => (sdl.name === 'resources' ? { ...sdl, sdl: careless.sdl } : sdl)));
}

describe.each(testBackends())('roots the schema does not declare, on $name', (backend) => {
  let stack: TestPlatform;
  let proxy: RecordingProxy;
  let gateway: RunningGateway;
  let supergraphSdl: string;

  beforeAll(async () => {
    stack = await startTestPlatform(backend);
    supergraphSdl = await supergraphWithCarelessRoots();
    proxy = await startRecordingProxy(stack.platform.subgraphs.find((s) => s.name === 'resources')!.url);
    gateway = await startExtraGateway(stack, { supergraphSdl, subgraphUrls: { resources: proxy.url } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.stop();
    await stack?.stop();
  });

  it('are composed into the test supergraph and reported by the gap check', () => {
    expect(declarationGaps(supergraphSdl).undeclared).toEqual(['Query.undeclaredSecret']);
    expect(readEnforcementDeclarations(supergraphSdl).roots.get('Query.gadget')).toEqual({ kind: 'platform' });
  });

  it('are refused with FORBIDDEN (403) before planning, and never fetched', async () => {
    const before = proxy.requests.length;
    const answer = await stack.query('clinician-c', '{ undeclaredSecret }', {}, {}, gateway.url);
    expect(answer.status).toBe(403);
    expect(answer.body.data ?? null).toBeNull();
    expect(answer.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(answer.body)).not.toContain('leaked');
    // Declared roots beside it do not carry it through.
    const mixed = await stack.query('clinician-c', '{ institutions(first: 1) { id } undeclaredSecret }', {}, {}, gateway.url);
    expect(mixed.status).toBe(403);
    expect(mixed.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    expect(proxy.requests.length).toBe(before);
  });

  it('release no unclassified field under a declared platform root, and do not fetch it', async () => {
    const before = proxy.requests.length;
    const answer = await stack.query('clinician-c', '{ gadget { label } }', {}, {}, gateway.url);
    expect(answer.body.data).toEqual({ gadget: null });
    expect(answer.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['gadget'], 'FORBIDDEN']]);
    expect(proxy.requests.length).toBe(before);
  });

  it('leave declared roots of the same subgraph working through the same proxy', async () => {
    const before = proxy.requests.length;
    const answer = await stack.query<{ institutions: Array<{ id: string }> }>('clinician-c', '{ institutions(first: 1) { id } }', {}, {}, gateway.url);
    expect(answer.status).toBe(200);
    expect(answer.body.data?.institutions).toHaveLength(1);
    expect(proxy.requests.length).toBe(before + 1);
  });
});
