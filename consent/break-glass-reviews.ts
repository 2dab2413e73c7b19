/**
 * The steward's queue of break-glass (ETREAT) accesses. The gateway queues one review per audited
 * break-glass access; a steward marks it JUSTIFIED or UNJUSTIFIED, once.
 */
import { and, desc, eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import type { Actor } from '../schema/context.js';
import { ERROR_CODES, InvalidInputError } from '../schema/errors.js';
import type { Database } from '../subgraphs/runtime/database.js';
import type { Executor } from './grants.js';
import { authorize } from './policy.js';
import { auditWrite, type WriteAudit } from './write-audit.js';
import { auditEntries, breakGlassReviews, type BreakGlassReviewRow } from './tables.js';

export const BREAK_GLASS_REVIEW_STATUSES = ['PENDING', 'JUSTIFIED', 'UNJUSTIFIED'] as const;
export type BreakGlassReviewStatus = (typeof BREAK_GLASS_REVIEW_STATUSES)[number];
export type BreakGlassDecision = Exclude<BreakGlassReviewStatus, 'PENDING'>;
/** The most reviews one list returns (newest first). */
export const REVIEW_LIST_LIMIT = 100;
export const REVIEW_COMMENT_MAX_LENGTH = 1000;

export interface BreakGlassReviewRecord extends BreakGlassReviewRow {
  /** From the audit entry the review is about. */
  practitionerId: string | null;
}

function assertMay(actor: Actor | null, action: 'list' | 'review'): asserts actor is Actor {
  if (!actor) throw new GraphQLError('Sign in to review break-glass accesses.', { extensions: { code: ERROR_CODES.UNAUTHENTICATED } });
  authorize(actor, action, 'BreakGlassReview');
}

const selection = {
  review: breakGlassReviews,
  practitionerId: auditEntries.practitionerId,
};

function toRecord(row: { review: BreakGlassReviewRow; practitionerId: string | null }): BreakGlassReviewRecord {
  return { ...row.review, practitionerId: row.practitionerId };
}

/** The steward's queue, newest first (at most 100), optionally by status. */
export async function listBreakGlassReviews(db: Executor, actor: Actor | null, status?: BreakGlassReviewStatus | null): Promise<BreakGlassReviewRecord[]> {
  assertMay(actor, 'list');
  const rows = await db
    .select(selection)
    .from(breakGlassReviews)
    .leftJoin(auditEntries, eq(auditEntries.id, breakGlassReviews.auditEntryId))
    .where(status ? eq(breakGlassReviews.status, status) : undefined)
    .orderBy(desc(breakGlassReviews.at), desc(breakGlassReviews.id))
    .limit(REVIEW_LIST_LIMIT);
  return rows.map(toRecord);
}

/** Records a steward's verdict on a pending break-glass access; a decided review cannot be decided again. */
export async function reviewBreakGlass(
  db: Database,
  actor: Actor | null,
  id: string,
  decision: BreakGlassDecision,
  comment?: string | null,
  now = new Date(),
  audit?: WriteAudit,
): Promise<BreakGlassReviewRecord> {
  assertMay(actor, 'review');
  if (decision !== 'JUSTIFIED' && decision !== 'UNJUSTIFIED') throw new InvalidInputError('decision must be JUSTIFIED or UNJUSTIFIED.', { field: 'decision' });
  const text = comment?.trim() ? comment.trim() : null;
  if (text && text.length > REVIEW_COMMENT_MAX_LENGTH) throw new InvalidInputError(`comment is at most ${REVIEW_COMMENT_MAX_LENGTH} characters.`, { field: 'comment' });
  // The review and its audit entry commit together.
  return db.transaction(async (tx) => {
    // One conditional UPDATE: two stewards deciding at once cannot both win.
    const [updated] = await tx
      .update(breakGlassReviews)
      .set({ status: decision, reviewerSub: actor.sub, reviewedAt: now, comment: text })
      .where(and(eq(breakGlassReviews.id, id), eq(breakGlassReviews.status, 'PENDING')))
      .returning({ id: breakGlassReviews.id, residentId: breakGlassReviews.residentId });
    if (!updated) {
      const [existing] = await tx.select({ id: breakGlassReviews.id }).from(breakGlassReviews).where(eq(breakGlassReviews.id, id));
      throw new InvalidInputError(existing ? 'This break-glass access has already been reviewed.' : 'No such break-glass review', { field: 'id' });
    }
    await auditWrite(tx, audit, actor, { residentId: updated.residentId, operation: 'reviewBreakGlass', at: now });
    const [row] = await tx
      .select(selection)
      .from(breakGlassReviews)
      .leftJoin(auditEntries, eq(auditEntries.id, breakGlassReviews.auditEntryId))
      .where(eq(breakGlassReviews.id, id));
    return toRecord(row!);
  });
}
