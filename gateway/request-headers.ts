/**
 * Stage 1, authenticate: the request's state from its HTTP headers — the bearer token's actor, the
 * purpose of use, a presented grant and a break-glass reason — before anything is decided.
 */
import { GraphQLError } from 'graphql';
import { PURPOSES_OF_USE, type PurposeOfUse } from '../schema/context.js';
import { ERROR_CODES } from '../schema/errors.js';
import type { GatewayRequestContext } from './request-context.js';
import type { Authenticator } from './stages/authenticate.js';
import { decodeBreakGlassReason } from './stages/purpose.js';

export const PURPOSE_HEADER = 'x-purpose-of-use';
export const GRANT_HEADER = 'x-access-grant';
export const BREAK_GLASS_HEADER = 'x-break-glass-reason';

/** `filter` (default) nulls denied fields with an error each; `reject` refuses the whole operation. */
export type EnforcementMode = 'filter' | 'reject';

/** One request header by its lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

export async function authenticateRequest(header: HeaderReader, authenticate: Authenticator, requestId: string): Promise<GatewayRequestContext> {
  const actor = await authenticate(header('authorization'));
  const context: GatewayRequestContext = { requestId, actor };
  const purpose = header(PURPOSE_HEADER);
  if (purpose !== undefined) context.purpose = parsePurpose(purpose);
  const grant = header(GRANT_HEADER)?.trim();
  if (grant) context.grantToken = grant;
  const reason = decodeBreakGlassReason(header(BREAK_GLASS_HEADER));
  if (reason) context.breakGlassReason = reason;
  return context;
}

function parsePurpose(value: string): PurposeOfUse {
  const code = value.trim().toUpperCase();
  if (!(PURPOSES_OF_USE as readonly string[]).includes(code)) {
    throw new GraphQLError(`Unknown purpose of use "${value.slice(0, 20)}"; use one of ${PURPOSES_OF_USE.join(', ')}.`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT },
    });
  }
  return code as PurposeOfUse;
}
