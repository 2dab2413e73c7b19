/**
 * Structured logging (pino) for the gateway and every subgraph: one JSON line per request, written by
 * the HTTP adapter when the response is done, plus unexpected errors with their stack. What a line may
 * hold is fixed here: request id, method, path, status, duration, the actor's role and institution,
 * the operation name and the error codes. Never a subject (a resident's sub or id), variables, SQL
 * parameters, response data or error messages, which can carry any of those.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { pino, type DestinationStream, type Logger } from 'pino';
import { ownResidentIdOf } from '../../consent/policy.js';
import type { Actor } from '../../schema/context.js';
import { isExpectedErrorCode } from './errors.js';

export type { DestinationStream, Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** A JSON-lines logger; `destination` defaults to standard output (tests pass a capturing stream). */
export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** For servers started without one (library use, extra test gateways). */
export const SILENT_LOGGER: Logger = createLogger({ level: 'silent' });

/** What the GraphQL layer adds to a request's line while it runs. */
export interface RequestAnnotations {
  actorRole?: string;
  /** The actor's institution (a clinician's, a hospital system's); never a resident's identity. */
  institutionId?: string;
  operationName?: string;
  /** `query`, `mutation` (traces only; the log line has the name). */
  operationType?: string;
  /** On a subgraph: the gateway request this fetch belongs to (from the verified signed context). */
  gatewayRequestId?: string;
}

interface RequestRecord extends RequestAnnotations {
  readonly requestId: string;
  readonly logger: Logger;
  readonly errorCodes: Set<string>;
}

const requestScope = new AsyncLocalStorage<RequestRecord>();

/** Adds the caller's role and institution to the current request's line. */
export function annotateActor(actor: Actor | null | undefined): void {
  const record = requestScope.getStore();
  if (!record || !actor) return;
  record.actorRole = actor.role;
  // A resident has no institution; their sub and resident id are pseudonymous identifiers and stay out.
  if (!ownResidentIdOf(actor) && actor.institutionId) record.institutionId = actor.institutionId;
}

/** Adds fields to the current request's line. */
export function annotateRequest(annotations: RequestAnnotations): void {
  const record = requestScope.getStore();
  if (record) Object.assign(record, annotations);
}

/** Records an error code on the current request's line. */
export function recordErrorCode(code: string): void {
  requestScope.getStore()?.errorCodes.add(code);
}

/** The current request's logger (a child carrying its request id), or the fallback outside a request. */
export function requestLogger(fallback: Logger = SILENT_LOGGER): Logger {
  const record = requestScope.getStore();
  return record ? record.logger.child({ requestId: record.requestId }) : fallback;
}

/** One request's log line: the handling runs inside it (so any stage can annotate), then it is written once. */
export class RequestLine {
  private readonly record: RequestRecord;
  private written = false;

  constructor(requestId: string, logger: Logger) {
    this.record = { requestId, logger, errorCodes: new Set() };
  }

  /** The distinct error codes recorded on this request so far. */
  get errorCodes(): readonly string[] {
    return [...this.record.errorCodes];
  }

  /** What the GraphQL layer added to this request so far (for its trace span). */
  get annotations(): Readonly<RequestAnnotations> {
    const { actorRole, institutionId, operationName, operationType, gatewayRequestId } = this.record;
    return { ...(actorRole ? { actorRole } : {}), ...(institutionId ? { institutionId } : {}), ...(operationName ? { operationName } : {}), ...(operationType ? { operationType } : {}), ...(gatewayRequestId ? { gatewayRequestId } : {}) };
  }

  run<T>(handle: () => T): T {
    return requestScope.run(this.record, handle);
  }

  write(http: { method: string; path: string; status: number; durationMs: number }): void {
    if (this.written) return;
    this.written = true;
    const { record } = this;
    record.logger.info(
      {
        requestId: record.requestId,
        method: http.method,
        path: withoutDigitRuns(http.path),
        status: http.status,
        durationMs: Math.round(http.durationMs * 10) / 10,
        ...(record.actorRole ? { actorRole: record.actorRole } : {}),
        ...(record.institutionId ? { institutionId: record.institutionId } : {}),
        ...(record.operationName ? { operationName: withoutDigitRuns(record.operationName) } : {}),
        ...(record.gatewayRequestId ? { gatewayRequestId: record.gatewayRequestId } : {}),
        errorCodes: [...record.errorCodes],
      },
      'request',
    );
  }
}

/** What is logged of an unexpected error: its type, a driver's SQLSTATE-like code, and stack frames. */
export interface ErrorDescription {
  type: string;
  code?: string;
  stack?: string;
  cause?: ErrorDescription;
}

/**
 * An error as it may be logged: stack frames without the message line, since messages of database
 * drivers and parsers quote values (drizzle's even lists the SQL parameters).
 */
export function describeError(error: unknown, depth = 0): ErrorDescription {
  if (!(error instanceof Error)) return { type: typeof error };
  const original = (error as { originalError?: unknown }).originalError;
  if (original instanceof Error && depth < 4) return describeError(original, depth + 1);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const code = (error as { code?: unknown }).code;
  const cause = error.cause;
  return {
    type: error.name || error.constructor.name,
    ...(typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? { code } : {}),
    ...(frames.length > 0 ? { stack: frames.join('\n') } : {}),
    ...(cause !== undefined && depth < 4 ? { cause: describeError(cause, depth + 1) } : {}),
  };
}

/** The code of an error as Apollo carries it, before or after formatting. */
function codeOf(error: { extensions?: Readonly<Record<string, unknown>> } | GraphQLFormattedError): string | undefined {
  const code = error.extensions?.['code'];
  return typeof code === 'string' ? code : undefined;
}

/**
 * Apollo plugin: the operation name and every returned error code go on the request's line; an error
 * not raised on purpose (no expected code, or a subgraph's HTTP failure) is logged with its stack.
 */
export function requestLoggingPlugin<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  const logUnexpected = (error: Error & { extensions?: Readonly<Record<string, unknown>> }) => {
    const code = codeOf(error);
    // A subgraph's HTTP failure keeps the subgraph's code, but the gateway did not expect it.
    if (isExpectedErrorCode(code) && error.extensions?.['response'] === undefined) return;
    const serviceName = error.extensions?.['serviceName'];
    requestLogger().error({ error: describeError(error), ...(code ? { code } : {}), ...(typeof serviceName === 'string' ? { serviceName } : {}) }, 'unexpected error');
  };
  return {
    async contextCreationDidFail({ error }) {
      const code = codeOf(error as { extensions?: Record<string, unknown> });
      recordErrorCode(code ?? 'INTERNAL_SERVER_ERROR');
      logUnexpected(error);
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ operationName, operation }) {
          annotateRequest({ ...(operationName ? { operationName } : {}), ...(operation ? { operationType: operation.operation } : {}) });
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) logUnexpected(error);
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          for (const error of errors ?? []) recordErrorCode(codeOf(error) ?? 'INTERNAL_SERVER_ERROR');
        },
      };
    },
  };
}

/** Six or more digits in a row could be an ID-card number or a phone: never in a log line or a span. */
export function withoutDigitRuns(text: string): string {
  return text.replace(/\d{6,}/g, '…');
}
