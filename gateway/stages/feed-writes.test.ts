import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, parse, type FieldNode, type InputObjectTypeDefinitionNode, type ObjectTypeDefinitionNode, type OperationDefinitionNode, type TypeNode } from 'graphql';
import { verifyAuditChain } from '../../consent/index.js';
import type { Actor } from '../../schema/context.js';
import { loadSupergraphSdl } from '../../schema/supergraph.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../../subgraphs/runtime/database.js';
import type { GatewayRequestContext } from '../request-context.js';
import { DEFAULT_LIMITS, type RootFieldCall } from './analyse-operation.js';
import { readEnforcementDeclarations } from '../../schema/enforcement.js';
import { recordFeedWrites, type FeedWrite } from './feed-writes.js';

const supergraph = parse(loadSupergraphSdl());
const declarations = readEnforcementDeclarations(supergraph);
const mutationFields = supergraph.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Mutation')!.fields!;
const inputType = (name: string) => supergraph.definitions.find((d): d is InputObjectTypeDefinitionNode => d.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION && d.name.value === name);
const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));
const isList = (type: TypeNode): boolean => type.kind === Kind.LIST_TYPE || (type.kind === Kind.NON_NULL_TYPE && isList(type.type));

describe('the feed-write declarations', () => {
  const declared = [...declarations.roots].flatMap(([coordinate, write]): Array<[string, FeedWrite]> => (write.kind === 'feed' ? [[coordinate.replace(/^Mutation\./, ''), write]] : []));

  it('name mutations, list arguments and input fields that exist in the supergraph, with one resident reference each', () => {
    expect(declared.length).toBeGreaterThan(0);
    for (const [name, write] of declared) {
      const argument = mutationFields.find((f) => f.name.value === name)?.arguments?.find((a) => a.name.value === write.argument);
      expect(argument, `${name}(${write.argument}:)`).toBeDefined();
      expect(isList(argument!.type)).toBe(true);
      const fields = inputType(namedType(argument!.type))!.fields!.map((f) => f.name.value);
      expect(fields).toEqual(expect.arrayContaining(Object.keys(write.references)));
      expect(Object.values(write.references).filter((kind) => kind === 'resident')).toEqual(['resident']);
      expect(write.residentField).toBe('residentId');
    }
  });

  it('cover every mutation that writes a batch of records about residents', () => {
    const batches = mutationFields.filter((field) =>
      (field.arguments ?? []).some((a) => isList(a.type) && inputType(namedType(a.type))?.fields?.some((f) => f.name.value === 'residentId')),
    );
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.map((f) => f.name.value).sort()).toEqual(declared.map(([name]) => name).sort());
  });
});

describe('recordFeedWrites', () => {
  let handle: DatabaseHandle;
  const keys = generateKeyPairSync('ed25519');
  const signer = { keyId: 'audit-test', privateKey: keys.privateKey };
  const HIS_03: Actor = { sub: 'his-inst-03', role: 'hospital_system', institutionId: 'inst-03' };

  beforeAll(async () => {
    handle = await openDatabase();
    await migrateAll(handle, ['consent']);
  });
  afterAll(async () => {
    await handle?.close();
  });

  function contextOf(actor: Actor | null, requestId: string, field: Omit<RootFieldCall, 'node'>): GatewayRequestContext {
    const document = parse(`mutation Push($input: [EncounterInput!]!) { ${field.responseKey}: ${field.name}(input: $input) }`);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const node = operation.selectionSet.selections[0] as FieldNode;
    const analysis = { document, operation, operationType: 'mutation' as const, variableValues: {}, limits: DEFAULT_LIMITS, fragments: new Map(), rootFields: [{ ...field, node }], coordinates: new Set<string>(), depth: 1, aliases: 0, fields: 1 };
    return { requestId, actor, analysis };
  }
  const care = (requestId: string) =>
    handle.query<{ resident_id: string; institution_id: string; started_by_operation: string; started_by_record_ids: string[] }>(
      'select resident_id, institution_id, started_by_operation, started_by_record_ids from consent.care_relationship where started_by_request_id = $1 order by resident_id',
      [requestId],
    );
  const audit = (requestId: string) =>
    handle.query<{ resident_id: string; institution_id: string; actor_role: string; fields_by_category: unknown; rows_returned: number; outcome: string; operation_name: string }>(
      'select resident_id, institution_id, actor_role, fields_by_category, rows_returned, outcome, operation_name from consent.audit_entry where request_id = $1 order by resident_id',
      [requestId],
    );

  it("records, in the sender's institution, one care relationship and one audit entry per resident of a committed batch", async () => {
    const field: Omit<RootFieldCall, 'node'> = { name: 'recordEncounters', responseKey: 'pushed', arguments: { input: [{ residentId: 'res-a', institutionId: 'inst-99' }, { residentId: 'res-b' }, { residentId: 'res-a' }] } };
    await recordFeedWrites(handle.db, contextOf(HIS_03, 'req-committed', field), { pushed: ['enc-1', 'enc-2', 'enc-3'] }, signer, declarations);
    expect(await care('req-committed')).toEqual([
      { resident_id: 'res-a', institution_id: 'inst-03', started_by_operation: 'recordEncounters', started_by_record_ids: ['enc-1', 'enc-3'] },
      { resident_id: 'res-b', institution_id: 'inst-03', started_by_operation: 'recordEncounters', started_by_record_ids: ['enc-2'] },
    ]);
    const entry = { institution_id: 'inst-03', actor_role: 'hospital_system', fields_by_category: { CLINICAL: ['Mutation.recordEncounters'] }, outcome: 'ALLOWED', operation_name: 'Push' };
    expect(await audit('req-committed')).toEqual([
      { ...entry, resident_id: 'res-a', rows_returned: 2 },
      { ...entry, resident_id: 'res-b', rows_returned: 1 },
    ]);
    expect(await verifyAuditChain(handle.db, { verifier: new Map([['audit-test', keys.publicKey]]) })).toMatchObject({ valid: true });
  });

  it('keeps the provenance of the write that started a care relationship', async () => {
    const field: Omit<RootFieldCall, 'node'> = { name: 'recordLabReports', responseKey: 'recordLabReports', arguments: { input: [{ residentId: 'res-a' }] } };
    await recordFeedWrites(handle.db, contextOf(HIS_03, 'req-later', field), { recordLabReports: ['lab-1'] }, signer, declarations);
    expect(await care('req-later')).toEqual([]);
    expect((await care('req-committed')).map((row) => row.resident_id)).toEqual(['res-a', 'res-b']);
    expect((await audit('req-later')).map((row) => [row.resident_id, row.fields_by_category])).toEqual([['res-a', { RESULTS: ['Mutation.recordLabReports'] }]]);
  });

  it.each<[string, string, Actor | null, Record<string, unknown> | null]>([
    ['a refused or failed write (no data)', 'req-no-data', HIS_03, null],
    ['a write that returned no ids', 'req-no-ids', HIS_03, { recordEncounters: null }],
    ['a write that returned fewer ids than records', 'req-fewer-ids', HIS_03, { recordEncounters: ['enc-9'] }],
    ['a caller that is not a hospital system', 'req-clinician', { sub: 'clinician-c', role: 'clinician', institutionId: 'inst-03' }, { recordEncounters: ['enc-9', 'enc-10'] }],
  ])('records nothing for %s', async (_case, requestId, actor, data) => {
    const field: Omit<RootFieldCall, 'node'> = { name: 'recordEncounters', responseKey: 'recordEncounters', arguments: { input: [{ residentId: 'res-c' }, { residentId: 'res-d' }] } };
    await recordFeedWrites(handle.db, contextOf(actor, requestId, field), data, signer, declarations);
    expect(await care(requestId)).toEqual([]);
    expect(await audit(requestId)).toEqual([]);
  });
});
