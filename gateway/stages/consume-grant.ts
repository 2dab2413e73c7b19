/**
 * Stage 5, consume the grant — committed together with the audit (stage 8) in one transaction: a use
 * is counted only if it is audited, and nothing is released unless both commit (fail closed).
 */
import { appendAuditEntries, consumeGrantUse, queueBreakGlassReviews, type AuditEvent, type AuditSigner, type Executor } from '../../consent/index.js';
import type { Database } from '../../subgraphs/runtime/database.js';

/** The grant had a use left when checked, but not any more (a concurrent use took it). */
export class GrantUseLostError extends Error {
  constructor(readonly grantId: string) {
    super(`grant ${grantId} has no use left`);
  }
}

/** Consumes one use of each grant the response relied on and appends the audit entries, atomically. */
export async function commitUse(db: Database, events: readonly AuditEvent[], signer: AuditSigner): Promise<void> {
  const grantIds = [...new Set(events.flatMap((event) => (event.grantId ? [event.grantId] : [])))];
  await db.transaction(async (tx) => {
    const executor: Executor = tx;
    for (const grantId of grantIds) {
      if ((await consumeGrantUse(executor, grantId)) === undefined) throw new GrantUseLostError(grantId);
    }
    const entries = await appendAuditEntries(executor, events, signer);
    await queueBreakGlassReviews(executor, entries);
  });
}

/** Appends audit entries on their own (refusals: nothing consumed, nothing released). */
export async function commitRefusal(db: Database, events: readonly AuditEvent[], signer: AuditSigner): Promise<void> {
  if (events.length === 0) return;
  await db.transaction(async (tx) => {
    await appendAuditEntries(tx, events, signer);
  });
}
