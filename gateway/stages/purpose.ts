/**
 * Stage 3, purpose of use: required for every read of personal data, except a resident reading
 * their own (PATRQT implied). Break-glass (ETREAT) needs a reason.
 */
import { GraphQLError } from 'graphql';
import type { Actor, PurposeOfUse } from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';

export const MAX_BREAK_GLASS_REASON = 500;

/** The purpose this request runs under; throws PURPOSE_REQUIRED or BAD_USER_INPUT when it cannot run. */
export function resolvePurpose(
  actor: Actor | null,
  declared: PurposeOfUse | undefined,
  breakGlassReason: string | undefined,
  readsResidentData: boolean,
): PurposeOfUse | undefined {
  if (!readsResidentData || !actor) return declared;
  if (actor.role === 'resident') return declared ?? 'PATRQT';
  if (!declared) {
    throw new GraphQLError('Reading personal data needs a purpose of use: set the X-Purpose-Of-Use header (e.g. TREAT).', {
      extensions: { code: ERROR_CODES.PURPOSE_REQUIRED, http: { status: 400 } },
    });
  }
  if (declared === 'ETREAT' && !breakGlassReason) {
    throw new GraphQLError('Break-glass access (ETREAT) needs a reason in the X-Break-Glass-Reason header.', {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT, http: { status: 400 } },
    });
  }
  return declared;
}

/** Decodes the break-glass header (percent-encoded UTF-8, so Chinese text survives HTTP headers). */
export function decodeBreakGlassReason(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // Not percent-encoded: take it as sent.
  }
  const reason = text.trim();
  if (reason.length === 0) return undefined;
  if (reason.length > MAX_BREAK_GLASS_REASON) {
    throw new GraphQLError(`The break-glass reason is longer than ${MAX_BREAK_GLASS_REASON} characters.`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT, http: { status: 400 } },
    });
  }
  return reason;
}
