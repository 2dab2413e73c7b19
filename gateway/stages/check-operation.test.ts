import { buildSchema, getOperationAST, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { withPlatformScalars } from '../../schema/scalars.js';
import { checkOperation, checkVariables } from './check-operation.js';

// As the gateway sees it: scalars from an SDL, then the platform's put in their place.
const schema = withPlatformScalars(
  buildSchema(`
    scalar DateTimeISO
    scalar LocalDate
    input Visit { at: DateTimeISO!, on: LocalDate, count: Int }
    type Query { visits(before: DateTimeISO, input: [Visit!], id: ID!, first: Int): [String] }
  `),
);
const operation = parse('query($before: DateTimeISO, $input: [Visit!], $id: ID!, $first: Int) { visits(before: $before, input: $input, id: $id, first: $first) }')
  .definitions[0] as OperationDefinitionNode;

function refusal(variables: Record<string, unknown>): { code: unknown; message: string } | undefined {
  try {
    checkVariables(schema, operation, variables);
    return undefined;
  } catch (error) {
    const { extensions, message } = error as { extensions: Record<string, unknown>; message: string };
    return { code: extensions['code'], message };
  }
}

describe('checkVariables', () => {
  it('accepts variables that fit their types', () => {
    expect(refusal({ id: 'r-1', before: '2024-01-01T00:00:00Z', input: [{ at: '2024-01-01T08:00:00+08:00', on: '2024-02-29', count: 2 }], first: 5 })).toBeUndefined();
    expect(refusal({ id: 'r-1', before: null })).toBeUndefined();
  });

  it('refuses with BAD_USER_INPUT, naming the variable and never quoting its value', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'Variable "$id" of required type "ID!" was not provided.'],
      [{ id: 'r-1', before: 'garbage' }, 'Variable "$before" does not fit type "DateTimeISO": Not a date-time'],
      [{ id: 'r-1', input: [{ at: '2024-01-01T00:00:00Z' }, { at: '+099999-01-01T00:00:00Z' }] }, 'Variable "$input" at "input[1].at" does not fit type "[Visit!]": Not a date-time'],
      [{ id: 'r-1', input: [{ at: '2024-01-01T00:00:00Z', on: '2024-02-30' }] }, 'Variable "$input" at "input[0].on" does not fit type "[Visit!]": Not a date'],
      [{ id: 'r-1', first: 'eleven' }, 'Variable "$first" does not fit type "Int": the value is not of that type.'],
      [{ id: 'r-1', input: [{ at: '2024-01-01T00:00:00Z', county: 1 }] }, 'Field "county" is not defined by type "Visit".'],
      [{ id: 'r-1', input: [{}] }, 'Field "at" of required type "DateTimeISO!" was not provided.'],
    ];
    expect(cases.length).toBeGreaterThan(0);
    for (const [variables, expected] of cases) {
      const refused = refusal(variables);
      expect(refused?.code, expected).toBe('BAD_USER_INPUT');
      expect(refused?.message).toContain(expected);
      expect(refused?.message).not.toMatch(/garbage|099999|2024-02-30|eleven|Did you mean/);
    }
  });
});

describe('checkOperation', () => {
  // As Apollo Server resolves it before the pipeline runs.
  const refused = (source: string, operationName?: string) => {
    try {
      checkOperation(schema, getOperationAST(parse(source), operationName) ?? undefined, operationName, {});
      return undefined;
    } catch (error) {
      return [(error as { extensions: Record<string, unknown> }).extensions['code'], (error as Error).message];
    }
  };

  it('refuses a request whose operation cannot be told, or whose root type the API does not have', () => {
    expect(refused('query A { visits(id: "1") } query B { visits(id: "2") }')).toEqual(['OPERATION_RESOLUTION_FAILURE', 'The document has several operations: name the one to run in operationName.']);
    expect(refused('query A { visits(id: "1") }', 'Nope')).toEqual(['OPERATION_RESOLUTION_FAILURE', 'The document has no operation named "Nope".']);
    expect(refused('subscription { visits }')).toEqual(['GRAPHQL_VALIDATION_FAILED', 'This API has no subscription operations.']);
    expect(refused('query A { visits(id: "1") }', 'A')).toBeUndefined();
  });
});
