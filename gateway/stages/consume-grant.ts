/**
 * Stage 5, consume the grant — committed together with the audit (stage 8) in one transaction: a use
 * is counted only if it is audited, and nothing is released unless both commit (fail closed).
 * Refused probes (anonymous, or naming residents the platform does not know) are written to the
 * security log in the same transaction instead of the audit chain.
 */
import { appendAuditEntries, consumeGrantUse, queueBreakGlassReviews, type AuditEvent, type AuditSigner, type Executor } from '../../consent/index.js';
import type { Database } from '../../subgraphs/runtime/database.js';
import type { DecidedRequest } from '../request-context.js';
import { separateProbes, type SecurityLog } from '../security-log/index.js';

/** The grant had a use left when checked, but not any more (a concurrent use took it). */
export class GrantUseLostError extends Error {
  constructor(readonly grantId: string) {
    super(`grant ${grantId} has no use left`);
  }
}

/** The request the events come from and the security log its probes go to. */
export interface ProbeRouting {
  context: DecidedRequest;
  securityLog: SecurityLog;
}

/** Appends the events that belong in the audit chain; without routing (tools, benchmarks) that is all of them. */
async function appendAudited(executor: Executor, events: readonly AuditEvent[], signer: AuditSigner, routing: ProbeRouting | undefined) {
  if (!routing) return appendAuditEntries(executor, events, signer);
  const { audited, probe } = await separateProbes(executor, routing.context, events);
  if (probe) await routing.securityLog.record(executor, probe);
  return appendAuditEntries(executor, audited, signer);
}

/** Consumes one use of each grant the response relied on and appends the audit entries, atomically. */
export async function commitUse(db: Database, events: readonly AuditEvent[], signer: AuditSigner, routing?: ProbeRouting): Promise<void> {
  const grantIds = [...new Set(events.flatMap((event) => (event.grantId ? [event.grantId] : [])))];
  await db.transaction(async (tx) => {
    const executor: Executor = tx;
    for (const grantId of grantIds) {
      if ((await consumeGrantUse(executor, grantId)) === undefined) throw new GrantUseLostError(grantId);
    }
    const entries = await appendAudited(executor, events, signer, routing);
    await queueBreakGlassReviews(executor, entries);
  });
}

/** Appends audit entries on their own (refusals: nothing consumed, nothing released). */
export async function commitRefusal(db: Database, events: readonly AuditEvent[], signer: AuditSigner, routing?: ProbeRouting): Promise<void> {
  if (events.length === 0) return;
  await db.transaction(async (tx) => {
    await appendAudited(tx, events, signer, routing);
  });
}
