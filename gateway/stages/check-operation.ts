/**
 * Stage 1b, check the operation: it must name one operation of a root type the schema has, and every
 * variable must fit its declared type — the platform's scalars included (a DateTimeISO within
 * 0001-9999, a real LocalDate) — before any decision, lookup or audit. The runtime reaches the stages
 * even when no operation matched `operationName`, and coerces variables only when it executes, after
 * the stages have decided (and possibly audited), with permissive scalars; so without this stage such
 * requests end as internal errors. Messages name the variable, never echo its value.
 */
import {
  coerceInputValue,
  GraphQLError,
  isInputType,
  isNonNullType,
  typeFromAST,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { ERROR_CODES } from '../../schema/errors.js';
import { coercedVariables } from './analyse-operation.js';

/** The operation the request runs; throws a client error when there is none or it cannot run. */
export function checkOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode | undefined,
  operationName: string | undefined | null,
  variables: Readonly<Record<string, unknown>>,
): OperationDefinitionNode {
  if (!operation) {
    const message = operationName ? `The document has no operation named "${operationName}".` : 'The document has several operations: name the one to run in operationName.';
    throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
  }
  if (!schema.getRootType(operation.operation)) {
    throw new GraphQLError(`This API has no ${operation.operation} operations.`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  }
  checkVariables(schema, operation, variables);
  return operation;
}

/** Throws BAD_USER_INPUT for the first variable that does not fit its type. */
export function checkVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): void {
  // The usual case, every variable fitting, costs the one coercion analyse reuses; only a misfit is looked at per variable.
  if (coercedVariables(schema, operation, variables)) return;
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    // Validation already refused unknown or non-input variable types.
    if (!type || !isInputType(type)) continue;
    if (!Object.hasOwn(variables, name) || variables[name] === undefined) {
      if (isNonNullType(type) && !definition.defaultValue) throw refusal(`Variable "$${name}" of required type "${String(type)}" was not provided.`);
      continue;
    }
    let problem: string | undefined;
    coerceInputValue(variables[name], type, (path, _invalid, error) => {
      const at = path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
      problem ??= `Variable "$${name}"${at ? ` at "${name}${at}"` : ''} does not fit type "${String(type)}": ${reasonOf(error)}`;
    });
    if (problem) throw refusal(problem);
  }
}

/** graphql-js's messages about a value's shape, which name fields and types but quote no value. */
const SHAPE_MESSAGES =
  /^(Expected non-nullable type "[^"]+" not to be null\.|Expected type "[^"]+" to be an object\.|Expected type "[^"]+"\.$|Field "[^"]+" of required type "[^"]+" was not provided\.|Field "[^"]+" is not defined by type "[^"]+"\.|Field "[^"]+" must be non-null\.|Exactly one key must be specified)/;

/**
 * The platform's own refusals (scalars, InvalidInputError) never quote the value; graphql-js's built-in
 * messages do ("Int cannot represent non-integer value: …"), so those are reduced to what was expected.
 */
function reasonOf(error: GraphQLError): string {
  if (error.extensions['code'] === ERROR_CODES.BAD_USER_INPUT) return error.message;
  const original = error.originalError as { extensions?: Record<string, unknown>; message?: string } | undefined;
  if (original?.extensions?.['code'] === ERROR_CODES.BAD_USER_INPUT && original.message) return original.message;
  if (SHAPE_MESSAGES.test(error.message)) return error.message.replace(/\s*Did you mean [^?]*\?/g, '');
  return 'the value is not of that type.';
}

function refusal(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT } });
}
