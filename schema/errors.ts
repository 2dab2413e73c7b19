/**
 * The platform's error vocabulary (DESIGN §10): every refusal carries one of these codes in
 * `extensions.code`, so clients can tell "ask for consent" from "fix your input".
 */
import { GraphQLError } from 'graphql';

export const ERROR_CODES = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PURPOSE_REQUIRED: 'PURPOSE_REQUIRED',
  GRANT_REQUIRED: 'GRANT_REQUIRED',
  GRANT_INVALID: 'GRANT_INVALID',
  CONSENT_REQUIRED: 'CONSENT_REQUIRED',
  SCENARIO_NOT_APPROVED: 'SCENARIO_NOT_APPROVED',
  OPERATION_NOT_REGISTERED: 'OPERATION_NOT_REGISTERED',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * The one table from a client-mistake code to its HTTP status (DESIGN §10): the same mistake always
 * gets the same status, whichever stage or server noticed it. Besides the platform's codes it covers
 * Apollo Server's request-level codes and the HTTP edge's own (NOT_FOUND, PAYLOAD_TOO_LARGE). The
 * automatic-persisted-query codes keep Apollo's 200: APQ clients read them from the body and retry
 * with the query text. A code not listed here is not a client mistake (e.g. INTERNAL_SERVER_ERROR).
 */
export const HTTP_STATUS_BY_CODE = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PURPOSE_REQUIRED: 403,
  GRANT_REQUIRED: 403,
  GRANT_INVALID: 403,
  CONSENT_REQUIRED: 403,
  SCENARIO_NOT_APPROVED: 403,
  OPERATION_NOT_REGISTERED: 403,
  QUOTA_EXCEEDED: 429,
  QUERY_TOO_COMPLEX: 400,
  BAD_USER_INPUT: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  OPERATION_RESOLUTION_FAILURE: 400,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  /** A second decision for what allows one (a recognition candidate already decided). */
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  PERSISTED_QUERY_NOT_FOUND: 200,
  PERSISTED_QUERY_NOT_SUPPORTED: 200,
} as const satisfies Readonly<Record<ErrorCode, number>> & Readonly<Record<string, number>>;

/** A code the client can act on: one with an entry in the status table. */
export type ClientErrorCode = keyof typeof HTTP_STATUS_BY_CODE;

export function isClientErrorCode(code: unknown): code is ClientErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS_BY_CODE, code);
}

/** The HTTP status of a client-mistake code; `undefined` for any other code (or none). */
export function httpStatusOf(code: unknown): number | undefined {
  return isClientErrorCode(code) ? HTTP_STATUS_BY_CODE[code] : undefined;
}

/** Input that breaks a domain rule (a bad ID-card number, an unknown code system): `BAD_USER_INPUT`. */
export class InvalidInputError extends GraphQLError {
  /** The input field at fault, when there is one (e.g. `idCardNumber`). */
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string } = {}) {
    super(message, {
      extensions: options.field === undefined ? { code: ERROR_CODES.BAD_USER_INPUT } : { code: ERROR_CODES.BAD_USER_INPUT, field: options.field },
    });
    this.name = 'InvalidInputError';
    this.field = options.field;
  }
}
