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
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

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
