import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { GraphQLError, Kind, buildSchema, parse, validate, visit, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { analyseOperation, DEFAULT_LIMITS, type WorkCounter, type OperationAnalysis, type OperationLimits } from './analyse-operation.js';
import { filterOperation } from './filter-operation.js';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    node(id: ID!): Node
    me: Node
    ping: String
  }
  type Mutation {
    write(input: WriteInput!): Node
    ping: String
  }
  input WriteInput {
    name: String!
    count: Int
  }
  type Node {
    id: ID!
    name: String
    child: Node
    children: [Node!]!
  }
`);

function operationOf(document: DocumentNode): OperationDefinitionNode {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation in the document');
  return operation;
}

/** Parses and validates `source` (as Apollo Server does before the pipeline), then analyses it. */
function analyse(source: string, variables: Record<string, unknown> = {}, limits: OperationLimits = DEFAULT_LIMITS, work?: WorkCounter): OperationAnalysis {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  return analyseOperation(schema, document, operationOf(document), variables, limits, work);
}

/** The error analysis refuses `source` with (fails the test when it is accepted). */
function refusal(source: string, variables: Record<string, unknown> = {}, work?: WorkCounter): GraphQLError {
  try {
    analyse(source, variables, DEFAULT_LIMITS, work);
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** The selections written in the document (fields, inline fragments, spreads): its size, unexpanded. */
function selectionsWritten(document: DocumentNode): number {
  let count = 0;
  const counted = () => {
    count += 1;
  };
  visit(document, { Field: counted, InlineFragment: counted, FragmentSpread: counted });
  return count;
}

const nested = (depth: number) => `{ node(id: "1") { ${'child { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;
const fields = (count: number) => `{ me { ${Array.from({ length: count - 1 }, () => 'id').join(' ')} } }`;
const aliases = (count: number) => `{ me { ${Array.from({ length: count }, (_, i) => `a${i}: id`).join(' ')} } }`;
const rootFields = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `p${i}: ping`).join(' ')} }`;

describe('analyseOperation: limits', () => {
  const cases: Array<[Exclude<keyof OperationLimits, 'maxTokens'>, (n: number) => string, keyof Pick<OperationAnalysis, 'depth' | 'fields' | 'aliases'> | 'rootFields']> = [
    ['maxDepth', nested, 'depth'],
    ['maxFields', fields, 'fields'],
    ['maxAliases', aliases, 'aliases'],
    ['maxRootFields', rootFields, 'rootFields'],
  ];

  it.each(cases)('accepts an operation exactly at %s and refuses one just over it with QUERY_TOO_COMPLEX', (limit, build, measured) => {
    const at = analyse(build(DEFAULT_LIMITS[limit]));
    expect(measured === 'rootFields' ? at.rootFields.length : at[measured]).toBe(DEFAULT_LIMITS[limit]);
    const error = refusal(build(DEFAULT_LIMITS[limit] + 1));
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit, http: { status: 400 } });
    expect(error.message).toBe(
      `The operation is too complex: it has more than ${DEFAULT_LIMITS[limit]} ${{ maxDepth: 'levels of nesting', maxFields: 'fields', maxAliases: 'aliases', maxRootFields: 'root fields' }[limit]}.`,
    );
  });

  it('counts a fragment spread as everything in the fragment, and an inline fragment adds no depth', () => {
    const source = `
      query { me { ...Half ...Half } }
      fragment Half on Node { ${Array.from({ length: 100 }, () => 'id').join(' ')} child { ... on Node { id } } }
    `;
    const analysis = analyse(source);
    expect(analysis.fields).toBe(1 + 2 * 102);
    expect(analysis.depth).toBe(3);
    const overFields = `
      query { me { ...Half ...Half } }
      fragment Half on Node { ${Array.from({ length: 200 }, () => 'id').join(' ')} }
    `;
    expect(refusal(overFields).extensions['limit']).toBe('maxFields');
    const overDepth = `
      query { me { ...Deep } }
      fragment Deep on Node { ${'child { '.repeat(9)}id${' }'.repeat(9)} }
    `;
    expect(refusal(overDepth).extensions['limit']).toBe('maxDepth');
    const overRoots = `query { ...Roots ...Roots } fragment Roots on Query { ${Array.from({ length: 6 }, (_, i) => `p${i}: ping`).join(' ')} }`;
    expect(refusal(overRoots).extensions['limit']).toBe('maxRootFields');
  });

  it('measures only what executes: skipped selections count for no limit', () => {
    const skippedWide = `query($wide: Boolean!) { me { id ...Wide @include(if: $wide) } } fragment Wide on Node { ${Array.from({ length: 400 }, () => 'id').join(' ')} }`;
    expect(analyse(skippedWide, { wide: false }).fields).toBe(2);
    expect(refusal(skippedWide, { wide: true }).extensions['limit']).toBe('maxFields');
  });
});

describe('analyseOperation: what executes', () => {
  const cases: Array<[string, string, Record<string, unknown>, string[], string[]]> = [
    ['a field skipped by a literal', '{ ping me @skip(if: true) { id } }', {}, ['ping'], []],
    ['a field included by a literal', '{ ping me @include(if: true) { id } }', {}, ['ping', 'me'], ['Node.id']],
    ['a root inline fragment excluded by a literal', '{ ping ... @include(if: false) { me { id } } }', {}, ['ping'], []],
    ['a root inline fragment skipped by a variable', 'query($v: Boolean!) { ping ... on Query @skip(if: $v) { me { id } } }', { v: true }, ['ping'], []],
    ['a root inline fragment not skipped by a variable', 'query($v: Boolean!) { ping ... on Query @skip(if: $v) { me { id } } }', { v: false }, ['ping', 'me'], ['Node.id']],
    ['a root spread excluded by a variable', 'query($v: Boolean!) { ping ...Me @include(if: $v) } fragment Me on Query { me { id } }', { v: false }, ['ping'], []],
    ['a root spread included by a variable', 'query($v: Boolean!) { ping ...Me @include(if: $v) } fragment Me on Query { me { id } }', { v: true }, ['ping', 'me'], ['Node.id']],
    ['a variable’s default value', 'query($v: Boolean = false) { ping ...Me @include(if: $v) } fragment Me on Query { me { id } }', {}, ['ping'], []],
    ['a field inside a fragment skipped by a variable', 'query($v: Boolean!) { ...Me } fragment Me on Query { me { id name @skip(if: $v) } }', { v: true }, ['me'], ['Node.id']],
    ['both directives: skipped unless @include holds and @skip does not', 'query($i: Boolean!, $s: Boolean!) { ping me @include(if: $i) @skip(if: $s) { id } }', { i: true, s: true }, ['ping'], []],
    ['a nested field excluded, its spread included', '{ me { id child @include(if: false) { ...N } } } fragment N on Node { name }', {}, ['me'], ['Node.id']],
    ['introspection at the root, which is no root field', '{ __typename ping }', {}, ['ping'], []],
    ['one response key selected twice, which runs once', '{ me { id } ... on Query { me { name } } ...Me } fragment Me on Query { me { id } }', {}, ['me'], ['Node.id', 'Node.name']],
  ];

  it.each(cases)('%s', (_name, source, variables, roots, coordinates) => {
    const analysis = analyse(source, variables);
    expect(analysis.rootFields.map((field) => field.responseKey)).toEqual(roots);
    expect([...analysis.coordinates].filter((c) => !c.startsWith('Query.')).sort()).toEqual(coordinates);
    expect([...analysis.coordinates].filter((c) => c.startsWith('Query.')).sort()).toEqual(roots.map((root) => `Query.${root}`).sort());
  });

  it('gives root fields their arguments as execution sees them: coerced, with variables’ defaults', () => {
    const analysis = analyse('query($id: ID = "n-1", $other: ID!) { a: node(id: $id) { id } b: node(id: $other) { id } c: node(id: 7) { id } }', { other: 42 });
    expect(analysis.rootFields.map((field) => [field.responseKey, field.arguments])).toEqual([
      ['a', { id: 'n-1' }],
      ['b', { id: '42' }],
      ['c', { id: '7' }],
    ]);
  });

  it('refuses variables of the wrong type with BAD_USER_INPUT, without echoing their values', () => {
    const error = refusal('mutation($input: WriteInput!) { write(input: $input) { id } }', { input: { name: '11010519491231002X', count: '11010519491231002X' } });
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', http: { status: 400 } });
    expect(error.message).toBe('Variable "$input" got an invalid value.');
    const missing = refusal('mutation($input: WriteInput!) { write(input: $input) { id } }', { input: { count: 1, nmae: '李秀英' } });
    expect(missing.message).toBe('Variable "$input" got an invalid value: Field "name" of required type "String!" was not provided.');
    expect(refusal('query($v: Boolean!) { ping @include(if: $v) }', {}).message).toBe('Variable "$v" of required type "Boolean!" was not provided.');
    // Null for `if`, through a nullable variable with a default: refused, as execution would.
    expect(refusal('query($v: Boolean = true) { ping @include(if: $v) }', { v: null }).extensions['code']).toBe('BAD_USER_INPUT');
  });
});

describe('analyseOperation: work is linear in the document', () => {
  /** `fragment Fi on Query { ...F(i-1) ...F(i-1) }`: 2^levels fields in a kilobyte. */
  function bomb(levels: number): string {
    const fragments = ['fragment F0 on Query { __typename }'];
    for (let i = 1; i <= levels; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    return `query { ...F${levels} }\n${fragments.join('\n')}`;
  }

  /** Fragments each spreading the next (`link(i)` is the body of Fi), to just under 1 MB in all. */
  function chain(operation: string, link: (i: number) => string, last: string): string {
    const parts = [operation];
    let length = operation.length;
    for (let i = 0; length < 1_000_000; i++) {
      const fragment = `fragment F${i} on ${link(i)}`;
      parts.push(fragment);
      length += fragment.length + 1;
    }
    parts.push(`fragment F${parts.length - 1} on ${last}`);
    return parts.join('\n');
  }

  function measured(source: string): { work: WorkCounter; written: number; outcome: string } {
    const document = parse(source, { noLocation: true });
    const work: WorkCounter = { selections: 0 };
    const started = performance.now();
    let outcome = 'accepted';
    let analysed = started;
    try {
      const analysis = analyseOperation(schema, document, operationOf(document), {}, DEFAULT_LIMITS, work);
      analysed = performance.now();
      filterOperation(schema, analysis, () => undefined, work);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      outcome = String(error.extensions['code']);
    }
    const finished = performance.now();
    const written = selectionsWritten(document);
    // Printed, never asserted: timings depend on the machine.
    console.log(
      `${(source.length / 1024).toFixed(0)} KB, ${written} selections written: ${outcome}, ${work.selections} visited, ` +
        `${(finished - started).toFixed(1)} ms (analysis ${(Math.max(analysed, started) - started).toFixed(1)} ms)`,
    );
    return { work, written, outcome };
  }

  it('refuses the 944-byte fragment bomb after visiting each written selection at most twice', () => {
    const source = bomb(23);
    expect(source.length).toBeLessThan(1000);
    const { work, written, outcome } = measured(source);
    expect(outcome).toBe('QUERY_TOO_COMPLEX');
    expect(work.selections).toBeGreaterThan(0);
    expect(work.selections).toBeLessThanOrEqual(2 * written);
  });

  it('analyses and filters 1 MB documents of nested fragments with work proportional to their size', () => {
    const documents = [
      // A chain of pass-through fragments, within every limit.
      chain('query { ...F0 }', (i) => `Query { ...F${i + 1} }`, 'Query { ping }'),
      // The bomb at 1 MB.
      chain('query { ...F0 }', (i) => `Query { ...F${i + 1} ...F${i + 1} }`, 'Query { ping }'),
      // Each fragment one level deeper.
      chain('query { me { ...F0 } }', (i) => `Node { child { ...F${i + 1} } }`, 'Node { id }'),
      // A chain spread ten times from the root, each through another field.
      chain(`query { ${Array.from({ length: 10 }, (_, i) => `a${i}: me { ...F0 }`).join(' ')} }`, (i) => `Node { ...F${i + 1} }`, 'Node { id }'),
    ];
    for (const source of documents) {
      expect(source.length).toBeGreaterThan(900_000);
      expect(source.length).toBeLessThan(1_048_576);
      const { work, written } = measured(source);
      expect(work.selections).toBeGreaterThan(0);
      // Analysis visits each written selection at most three times (spreads, measures, root fields), the filter once more.
      expect(work.selections).toBeLessThanOrEqual(4 * written);
    }
  });
});
