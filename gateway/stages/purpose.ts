/**
 * Stage 3, purpose of use: required for every read of personal data, except a resident reading
 * their own (PATRQT implied). Break-glass (ETREAT) needs a reason.
 */
import { GraphQLError } from 'graphql';
import { ownResidentIdOf } from '../../consent/index.js';
import type { Actor, PurposeOfUse } from '../../schema/context.js';
import { ERROR_CODES } from '../../schema/errors.js';
import { isSafeText } from '../../subgraphs/runtime/input-hygiene.js';

export const MAX_BREAK_GLASS_REASON = 500;

/** The purpose this request runs under; throws PURPOSE_REQUIRED or BAD_USER_INPUT when it cannot run. */
export function resolvePurpose(
  actor: Actor | null,
  declared: PurposeOfUse | undefined,
  breakGlassReason: string | undefined,
  readsResidentData: boolean,
): PurposeOfUse | undefined {
  if (!readsResidentData || !actor) return declared;
  // A resident reading as themself reads their own (or a ward's) record: PATRQT is implied.
  if (ownResidentIdOf(actor)) return declared ?? 'PATRQT';
  if (!declared) {
    throw new GraphQLError('Reading personal data needs a purpose of use: set the X-Purpose-Of-Use header (e.g. TREAT).', {
      extensions: { code: ERROR_CODES.PURPOSE_REQUIRED },
    });
  }
  if (declared === 'ETREAT' && !breakGlassReason) {
    throw new GraphQLError('Break-glass access (ETREAT) needs a reason in the X-Break-Glass-Reason header.', {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT },
    });
  }
  return declared;
}

/** Fatal: a percent-encoded byte sequence that is not UTF-8 (an encoded lone surrogate, a cut-off character) is refused. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes the break-glass header: percent-encoded UTF-8, so Chinese text survives HTTP headers. A `%`
 * that starts no escape ("50% burns") is taken as sent. Refuses (BAD_USER_INPUT) a reason that does not
 * decode to well-formed text without NUL, which could neither be stored nor hashed into the audit.
 */
export function decodeBreakGlassReason(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let text: string;
  try {
    text = raw.replace(/(?:%[0-9A-Fa-f]{2})+/g, (escapes) => UTF8.decode(Buffer.from(escapes.replaceAll('%', ''), 'hex')));
  } catch {
    throw badReason('The X-Break-Glass-Reason header must be percent-encoded UTF-8.');
  }
  if (!isSafeText(text)) throw badReason('The X-Break-Glass-Reason header is not well-formed text: it decodes to NUL (U+0000) or a lone surrogate.');
  const reason = text.trim();
  if (reason.length === 0) return undefined;
  if (reason.length > MAX_BREAK_GLASS_REASON) {
    throw badReason(`The X-Break-Glass-Reason header is longer than ${MAX_BREAK_GLASS_REASON} characters.`);
  }
  return reason;
}

function badReason(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT } });
}
