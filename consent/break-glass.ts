/** Break-glass accesses are queued for a steward's review in the transaction that audits them. */
import { randomUUID } from 'node:crypto';
import type { Executor } from './grants.js';
import { breakGlassReviews, type AuditEntryRow } from './tables.js';

export async function queueBreakGlassReviews(tx: Executor, entries: readonly AuditEntryRow[]): Promise<void> {
  const rows = entries
    .filter((entry) => entry.breakGlass && entry.residentId)
    .map((entry) => ({
      id: `bgr-${randomUUID()}`,
      auditEntryId: entry.id,
      requestId: entry.requestId,
      residentId: entry.residentId!,
      actorSub: entry.actorSub,
      institutionId: entry.institutionId,
      reason: entry.breakGlassReason ?? '',
      at: entry.at,
      status: 'PENDING',
    }));
  if (rows.length > 0) await tx.insert(breakGlassReviews).values(rows);
}
