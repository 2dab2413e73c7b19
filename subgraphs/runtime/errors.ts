/**
 * Error formatting for every server: an unexpected error (a database failure, a bug) reaches the client
 * as a generic message with a stable code, never with SQL, parameters or stack, which could carry a
 * resident's data. Errors raised on purpose (GraphQLError with a code) pass unchanged.
 */
import type { GraphQLFormattedError } from 'graphql';
import { ERROR_CODES, isClientErrorCode } from '../../schema/errors.js';

/**
 * Codes that are not client mistakes but still say something true and safe about a field: erased or
 * unreadable data, and a part of the answer that could not be fetched (gateway/subgraph-fetch.ts; the
 * message names no subgraph).
 */
const FIELD_CONDITIONS = new Set(['DATA_ERASED', 'DATA_UNREADABLE', 'SUBGRAPH_TIMEOUT', 'SUBGRAPH_UNAVAILABLE']);

/** A code raised on purpose: a client mistake or a field condition (anything else is unexpected). */
export function isExpectedErrorCode(code: unknown): boolean {
  return isClientErrorCode(code) || (typeof code === 'string' && FIELD_CONDITIONS.has(code));
}

/**
 * Apollo's `formatError`: keeps errors raised on purpose, replaces everything else. A validation error
 * that a scalar or an input rule raised with BAD_USER_INPUT (a literal `before: "garbage"`) keeps that
 * code rather than Apollo's GRAPHQL_VALIDATION_FAILED, so a bad value is BAD_USER_INPUT whether it came
 * as a literal or a variable.
 */
export function redactUnexpectedErrors(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const code = formatted.extensions?.['code'];
  if (code === 'GRAPHQL_VALIDATION_FAILED' && codeOfOriginal(error) === ERROR_CODES.BAD_USER_INPUT) {
    return { ...formatted, extensions: { ...formatted.extensions, code: ERROR_CODES.BAD_USER_INPUT } };
  }
  if (isExpectedErrorCode(code)) return formatted;
  return {
    message: 'Internal error; the request was not completed.',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/**
 * Removes what a federation runtime may add to a subgraph's error: the subgraph's name (`serviceName`)
 * and, for an HTTP failure, its URL, status and body (`response`). The client needs the code, not the topology.
 */
export function withoutInternalDetails(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('serviceName' in formatted.extensions || 'response' in formatted.extensions)) return formatted;
  const { serviceName: _serviceName, response: _response, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

/** Removes graphql-js's field suggestions ("Did you mean …?"), which describe the schema to a stranger. */
export function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const message = formatted.message.replace(/\s*Did you mean [^?]*\?/g, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}

function codeOfOriginal(error: unknown): unknown {
  const original = (error as { originalError?: { extensions?: Record<string, unknown> } } | undefined)?.originalError;
  return original?.extensions?.['code'];
}
