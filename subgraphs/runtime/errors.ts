/**
 * Error redaction for every server: an unexpected error (a database failure, a bug) reaches the client
 * as a generic message with a stable code, never with SQL, parameters or stack, which could carry a
 * resident's data. Errors raised on purpose (GraphQLError with a code) pass unchanged.
 */
import type { GraphQLFormattedError } from 'graphql';

const PASS_THROUGH = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'PURPOSE_REQUIRED',
  'GRANT_REQUIRED',
  'GRANT_INVALID',
  'CONSENT_REQUIRED',
  'SCENARIO_NOT_APPROVED',
  'OPERATION_NOT_REGISTERED',
  'QUERY_TOO_COMPLEX',
  'BAD_USER_INPUT',
  'DATA_ERASED',
  'DATA_UNREADABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  // Part of the answer could not be fetched (gateway/subgraph-fetch.ts); the message names no subgraph.
  'SUBGRAPH_TIMEOUT',
  'SUBGRAPH_UNAVAILABLE',
]);

export function redactUnexpectedErrors(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && PASS_THROUGH.has(code)) return formatted;
  return {
    message: 'Internal error; the request was not completed.',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** Removes graphql-js's field suggestions ("Did you mean …?"), which describe the schema to a stranger. */
export function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const message = formatted.message.replace(/\s*Did you mean [^?]*\?/g, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}

/** Removes `extensions.serviceName`, which @apollo/gateway adds to subgraph errors: clients never learn the topology. */
export function withoutServiceName(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('serviceName' in formatted.extensions)) return formatted;
  const { serviceName: _serviceName, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
