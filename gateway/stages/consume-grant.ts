/**
 * Stage 5, consume the grant — committed together with the audit (stage 8) in one transaction: a use
 * is counted only if it is audited, and nothing is released unless both commit (fail closed).
 * Refused probes (anonymous, or naming residents the platform does not know) are written to the
 * security log in the same transaction instead of the audit log. Concurrent requests share that
 * transaction (group commit, `group-commit.ts`); each still succeeds or is refused on its own.
 */
import { appendPreparedAuditEntries, queueBreakGlassReviews, type AuditEvent, type AuditSigner } from '../../consent/index.js';
import type { Database } from '../../subgraphs/runtime/database.js';
import { commitInBatch, stageUnit, type CommitUnit, type ProbeRouting } from './group-commit.js';

export { GrantUseLostError, type ProbeRouting } from './group-commit.js';

function unitOf(events: readonly AuditEvent[], routing: ProbeRouting | undefined): CommitUnit {
  const grantIds = [...new Set(events.flatMap((event) => (event.grantId ? [event.grantId] : [])))];
  return { events, grantIds, ...(routing ? { routing } : {}) };
}

/** Consumes one use of each grant the response relied on and appends the audit entries, atomically. */
export async function commitUse(db: Database, events: readonly AuditEvent[], signer: AuditSigner, routing?: ProbeRouting): Promise<void> {
  await commitInBatch(db, signer, unitOf(events, routing));
}

/** Appends audit entries on their own (refusals: nothing consumed, nothing released). */
export async function commitRefusal(db: Database, events: readonly AuditEvent[], signer: AuditSigner, routing?: ProbeRouting): Promise<void> {
  if (events.length === 0) return;
  await commitInBatch(db, signer, { events, grantIds: [], ...(routing ? { routing } : {}) });
}

/**
 * The same as `commitUse` in a transaction of its own (one audit lock per request): what group
 * commit replaced, kept to measure it against (`npm run bench:audit`).
 */
export async function commitUseAlone(db: Database, events: readonly AuditEvent[], signer: AuditSigner, routing?: ProbeRouting): Promise<void> {
  await db.transaction(async (tx) => {
    const prepared = await stageUnit(tx, unitOf(events, routing));
    await queueBreakGlassReviews(tx, await appendPreparedAuditEntries(tx, prepared, signer));
  });
}
