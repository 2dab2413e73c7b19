/**
 * What the client receives, decided in one place for every way a request can end (Hive Gateway hands
 * each result to `onResultProcess`, parse and request errors included): errors raised on purpose keep
 * their code, anything unexpected becomes one generic error (and a log line), nothing names a subgraph
 * or suggests field names outside dev mode, and the HTTP status comes from the code (schema/errors.ts).
 * A response that carries data is answered 200 (its errors are about fields); one without data takes
 * the status of its errors' code when every error has a client code.
 */
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError, type ParseOptions, type Source } from 'graphql';
import { ERROR_CODES, httpStatusOf } from '../schema/errors.js';
import { isExpectedErrorCode, redactUnexpectedErrors, withoutInternalDetails, withoutSuggestions } from '../subgraphs/runtime/errors.js';
import { describeError, recordErrorCode, requestLogger } from '../subgraphs/runtime/logging.js';

/** Parse errors get Apollo's code, so clients see one vocabulary whatever the runtime. */
export function useCodedParseErrors(maxTokens: number): GatewayPlugin {
  return {
    onParse: ({ parseFn, setParseFn }) => {
      setParseFn((source: string | Source, options?: ParseOptions) => {
        try {
          return parseFn(source, { ...options, maxTokens });
        } catch (error) {
          if (error instanceof GraphQLError && error.extensions['code'] === undefined) {
            throw new GraphQLError(error.message, { ...(error.source ? { source: error.source } : {}), ...(error.positions ? { positions: error.positions } : {}), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
          }
          throw error;
        }
      });
    },
  };
}

/**
 * A validation error: BAD_USER_INPUT when a scalar or an input rule refused a literal (so a bad value
 * is BAD_USER_INPUT whether it came as a literal or a variable), GRAPHQL_VALIDATION_FAILED otherwise.
 */
export function codedValidationError(error: GraphQLError): GraphQLError {
  if (error.extensions['code'] !== undefined) return error;
  const original = (error.originalError as { extensions?: Record<string, unknown> } | undefined)?.extensions?.['code'];
  const code = original === ERROR_CODES.BAD_USER_INPUT ? ERROR_CODES.BAD_USER_INPUT : 'GRAPHQL_VALIDATION_FAILED';
  return new GraphQLError(error.message, { nodes: error.nodes ?? null, originalError: error.originalError ?? null, extensions: { ...error.extensions, code } });
}

export function useClientResponses(options: { introspection: boolean }): GatewayPlugin {
  return {
    onResultProcess: ({ result, setResult }) => {
      // Batching, subscriptions and incremental delivery are off: one result per request.
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      const single = result as ExecutionResult;
      const errors = (single.errors ?? []).map((error) => clientError(error, options.introspection));
      const status = statusOf(single, errors);
      const { http: _http, ...extensions } = (single.extensions ?? {}) as Record<string, unknown>;
      setResult({
        ...(single.data !== undefined ? { data: single.data } : {}),
        ...(errors.length > 0 ? { errors: errors.map(({ formatted }) => formatted as unknown as GraphQLError) } : {}),
        extensions: { ...extensions, http: { status } },
      });
    },
  };
}

interface ClientError {
  formatted: GraphQLFormattedError;
  /** The status the runtime itself gave an uncoded request error (a GET mutation: 405). */
  runtimeStatus: number | undefined;
}

function clientError(error: GraphQLError | Error, introspection: boolean): ClientError {
  const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error });
  const json = graphQLError.toJSON();
  const { http, unexpected: _unexpected, ...extensions } = (json.extensions ?? {}) as Record<string, unknown> & { http?: { status?: number } };
  let formatted: GraphQLFormattedError = { ...json, ...(Object.keys(extensions).length > 0 ? { extensions } : {}) };
  if (!Object.keys(extensions).length) delete (formatted as { extensions?: unknown }).extensions;
  const runtimeStatus = http?.status;
  // The runtime's own refusals of the HTTP request (no query, bad parameters) carry a status, no code.
  if (extensions['code'] === undefined && runtimeStatus !== undefined && runtimeStatus >= 400 && runtimeStatus < 500) {
    formatted = { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  }
  const code = formatted.extensions?.['code'];
  if (!isExpectedErrorCode(code)) requestLogger().error({ error: describeError(graphQLError.originalError ?? graphQLError), ...(typeof code === 'string' ? { code } : {}) }, 'unexpected error');
  formatted = withoutInternalDetails(redactUnexpectedErrors(formatted, graphQLError));
  if (!introspection) formatted = withoutSuggestions(formatted);
  recordErrorCode(String(formatted.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR'));
  return { formatted, runtimeStatus };
}

function statusOf(result: ExecutionResult, errors: readonly ClientError[]): number {
  if (result.data !== undefined && result.data !== null) return 200;
  if (errors.length === 0) return 200;
  // A client code's status from the table; otherwise the status the stage gave it (a lookup's 504).
  const statuses = errors.map(({ formatted, runtimeStatus }) => httpStatusOf(formatted.extensions?.['code']) ?? runtimeStatus);
  if (statuses.every((status) => status !== undefined)) {
    const runtime = errors[0]!.runtimeStatus;
    // A request the runtime refused for its method keeps that status (405), with its code.
    return runtime !== undefined && runtime === 405 ? runtime : statuses[0]!;
  }
  // An execution that failed is answered 200 with its errors; a request that failed before it, 500.
  return result.data === undefined ? 500 : 200;
}
