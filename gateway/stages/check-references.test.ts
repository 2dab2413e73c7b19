import { describe, expect, it } from 'vitest';
import { GraphQLError, Kind, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import type { Actor } from '../../schema/context.js';
import { readEnforcementDeclarations } from '../../schema/enforcement.js';
import { loadSupergraphSdl } from '../../schema/supergraph.js';
import { DEFAULT_LIMITS, type OperationAnalysis, type RootFieldCall } from './analyse-operation.js';
import { checkFeedReferences, type ReferenceLookup } from './check-references.js';

const declarations = readEnforcementDeclarations(loadSupergraphSdl());

const HIS_03: Actor = { sub: 'his-inst-03', role: 'hospital_system', institutionId: 'inst-03' };

/** An analysed mutation with these root fields (all the stage reads). */
function mutationOf(...rootFields: RootFieldCall[]): OperationAnalysis {
  const document = parse('mutation { recordEncounters }');
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return { document, operation, operationType: 'mutation', variableValues: {}, limits: DEFAULT_LIMITS, fragments: new Map(), rootFields, coordinates: new Set(), depth: 1, aliases: 0, fields: rootFields.length };
}

/** The field node of `name` as a client would select it. */
function nodeOf(name: string): FieldNode {
  const operation = parse(`mutation { ${name} }`).definitions[0] as OperationDefinitionNode;
  return operation.selectionSet.selections[0] as FieldNode;
}

const root = (name: string, args: Record<string, unknown>): RootFieldCall => ({ name, responseKey: name, arguments: args, node: nodeOf(name) });
const call = (name: string, input: unknown): RootFieldCall => root(name, { input });

/** A lookup over a small fixed world that records every call it answers. */
function fakeLookup() {
  const calls: Array<[string, string[]]> = [];
  const lookup: ReferenceLookup = {
    async knownResidents(ids) {
      calls.push(['residents', [...ids]]);
      return new Set(ids.filter((id) => ['res-a', 'res-b'].includes(id)));
    },
    async practitioners(ids) {
      calls.push(['practitioners', [...ids]]);
      const world = new Map([
        ['pr-03', { institutionId: 'inst-03', department: '内科' }],
        ['pr-05', { institutionId: 'inst-05', department: '内科' }],
        ['pr-03-psych', { institutionId: 'inst-03', department: '精神科' }],
      ]);
      return new Map(ids.flatMap((id) => (world.has(id) ? [[id, world.get(id)!] as const] : [])));
    },
    async ownEncounterResidents(ids) {
      calls.push(['encounters', [...ids]]);
      // The lookup confirms only the sender's own encounters: enc-a03 is inst-03's, for res-a.
      return new Map(ids.flatMap((id) => (id === 'enc-a03' ? [[id, 'res-a'] as const] : [])));
    },
  };
  return { lookup, calls };
}

async function refusalOf(promise: Promise<void>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('checkFeedReferences', () => {
  it('looks each kind up once for the whole batch, with its distinct ids, and accepts good references', async () => {
    const { lookup, calls } = fakeLookup();
    const input = [
      { residentId: 'res-a', attendingPractitionerId: 'pr-03' },
      { residentId: 'res-b', attendingPractitionerId: 'pr-03' },
      { residentId: 'res-a' },
    ];
    await checkFeedReferences(mutationOf(call('recordEncounters', input)), HIS_03, 'req-1', lookup, declarations);
    expect(calls).toEqual([['residents', ['res-a', 'res-b']], ['practitioners', ['pr-03']]]);
  });

  it('accepts a lab report on an encounter of its own institution for the same resident only', async () => {
    const { lookup, calls } = fakeLookup();
    await checkFeedReferences(mutationOf(call('recordLabReports', [{ residentId: 'res-a', encounterId: 'enc-a03' }, { residentId: 'res-a' }])), HIS_03, 'req-2', lookup, declarations);
    expect(calls).toEqual([['residents', ['res-a']], ['encounters', ['enc-a03']]]);
    const other = await refusalOf(checkFeedReferences(mutationOf(call('recordLabReports', [{ residentId: 'res-b', encounterId: 'enc-a03' }])), HIS_03, 'req-3', lookup, declarations));
    expect(other.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[0].encounterId', rule: 'OWN_ENCOUNTER' });
  });

  it('names every bad record by position and rule, the first in the message', async () => {
    const { lookup } = fakeLookup();
    const input = [
      { residentId: 'res-a', attendingPractitionerId: 'pr-03' },
      { residentId: 'res-unknown', attendingPractitionerId: 'pr-05' },
      { residentId: 'res-b', attendingPractitionerId: 'pr-unknown' },
    ];
    const refused = await refusalOf(checkFeedReferences(mutationOf(call('recordEncounters', input)), HIS_03, 'req-4', lookup, declarations));
    expect(refused.message).toBe('input[1].residentId is not a resident the platform knows (register the resident first) (and 2 more); nothing was written.');
    expect(refused.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input[1].residentId',
      rule: 'KNOWN_RESIDENT',
      violations: [
        { field: 'input[1].residentId', rule: 'KNOWN_RESIDENT' },
        { field: 'input[1].attendingPractitionerId', rule: 'OWN_PRACTITIONER' },
        { field: 'input[2].attendingPractitionerId', rule: 'OWN_PRACTITIONER' },
      ],
      http: { status: 400 },
    });
  });

  it('reads an integer id as GraphQL coerces it, and a single record as a one-item list', async () => {
    const { lookup, calls } = fakeLookup();
    const refused = await refusalOf(checkFeedReferences(mutationOf(call('recordImmunizations', { residentId: 42 })), HIS_03, 'req-5', lookup, declarations));
    expect(calls).toEqual([['residents', ['42']]]);
    expect(refused.extensions).toMatchObject({ field: 'input[0].residentId', rule: 'KNOWN_RESIDENT' });
  });

  it.each<[string, Actor | null]>([
    ['a clinician', { sub: 'clinician-c', role: 'clinician', institutionId: 'inst-03' }],
    ['a resident', { sub: 'resident-multi', role: 'resident', residentId: 'res-a' }],
    ['an anonymous caller', null],
    ['a hospital system without an institution', { sub: 'his-x', role: 'hospital_system' }],
  ])('refuses %s with FORBIDDEN before looking anything up', async (_who, actor) => {
    const { lookup, calls } = fakeLookup();
    const refused = await refusalOf(checkFeedReferences(mutationOf(call('recordFollowUps', [{ residentId: 'res-a' }])), actor, 'req-6', lookup, declarations));
    expect(refused.extensions).toMatchObject({ code: 'FORBIDDEN', http: { status: 403 } });
    expect(calls).toEqual([]);
  });

  it('refuses a feed write with other root fields, and leaves operations without feed writes alone', async () => {
    const { lookup, calls } = fakeLookup();
    const mixed = mutationOf(call('recordEncounters', [{ residentId: 'res-a' }]), root('grantConsent', {}));
    expect((await refusalOf(checkFeedReferences(mixed, HIS_03, 'req-7', lookup, declarations))).extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    await checkFeedReferences(mutationOf(root('registerResident', { input: { name: 'x' } })), HIS_03, 'req-8', lookup, declarations);
    await checkFeedReferences({ ...mutationOf(call('recordEncounters', [{ residentId: 'res-unknown' }])), operationType: 'query' }, HIS_03, 'req-9', lookup, declarations);
    expect(calls).toEqual([]);
  });

  it('refuses an encounter attended by a practitioner of a sensitive department unless it is recorded in a sensitive department', async () => {
    const { lookup } = fakeLookup();
    const input = [
      { residentId: 'res-a', attendingPractitionerId: 'pr-03-psych', department: '精神科' },
      { residentId: 'res-a', attendingPractitionerId: 'pr-03-psych', department: '普通内科' },
      { residentId: 'res-b', attendingPractitionerId: 'pr-03', department: '普通内科' },
    ];
    const refused = await refusalOf(checkFeedReferences(mutationOf(call('recordEncounters', input)), HIS_03, 'req-psych', lookup, declarations));
    expect(refused.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input[1].attendingPractitionerId',
      rule: 'SENSITIVE_PRACTITIONER_DEPARTMENT',
      violations: [{ field: 'input[1].attendingPractitionerId', rule: 'SENSITIVE_PRACTITIONER_DEPARTMENT' }],
    });
    await checkFeedReferences(mutationOf(call('recordEncounters', [input[0], input[2]])), HIS_03, 'req-psych-ok', lookup, declarations);
  });
});
