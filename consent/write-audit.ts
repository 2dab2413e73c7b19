/**
 * Every use audited (DESIGN §6): a write about a resident made in the trust core (a consent given or
 * withdrawn, an access request decided, a break-glass access reviewed) appends one entry about that
 * resident, in the transaction of the write, so the write and its entry commit or roll back together.
 *
 * A write's entry lists the mutation that wrote (`Mutation.grantConsent`) as its field, which is what
 * makes the resident's access log read it as a WRITE; consent-plane writes file it under `CONSENT`,
 * not a data category, since they write no health data.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../schema/context.js';
import { appendAuditEntries, type AuditEvent, type AuditSigner } from './audit.js';
import type { Executor } from './grants.js';

/** What a subgraph needs to audit its writes: the gateway's audit key and the request's id. */
export interface WriteAudit {
  signer: AuditSigner;
  requestId: string;
}

/** The key consent-plane writes are filed under in an entry's fields (not a data category). */
export const CONSENT_PLANE = 'CONSENT';

export interface AuditedWrite {
  /** The resident written about; null for a write about no resident (a research scenario). */
  residentId: string | null;
  /** The research scenario written (submitted, reviewed). */
  scenarioId?: string;
  /** The mutation field that wrote (`grantConsent`, `approveAccessRequest`, …). */
  operation: string;
  /** Where the entry files the write: a data category for health data, else CONSENT. */
  category?: string;
  records?: number;
  at: Date;
}

/** The audit event of one write by this actor. */
export function writeAuditEvent(actor: Actor, requestId: string, write: AuditedWrite): AuditEvent {
  const coordinate = `Mutation.${write.operation}`;
  return {
    requestId,
    actorSub: actor.sub,
    actorRole: actor.role,
    institutionId: actor.institutionId ?? null,
    practitionerId: actor.practitionerId ?? null,
    residentId: write.residentId,
    purpose: null,
    grantId: null,
    scenarioId: write.scenarioId ?? null,
    // The subgraph never sees the client's document: the hash names the mutation that wrote.
    operationHash: createHash('sha256').update(coordinate, 'utf8').digest('hex'),
    operationName: write.operation,
    fieldsByCategory: { [write.category ?? CONSENT_PLANE]: [coordinate] },
    deniedByCategory: {},
    rowsReturned: write.records ?? 1,
    outcome: 'ALLOWED',
    breakGlass: false,
    breakGlassReason: null,
    at: write.at,
  };
}

/** Appends the write's entry inside the write's transaction; without `audit` (unit tests of the service alone) nothing is appended. */
export async function auditWrite(tx: Executor, audit: WriteAudit | undefined, actor: Actor, write: AuditedWrite): Promise<void> {
  if (!audit) return;
  await appendAuditEntries(tx, [writeAuditEvent(actor, audit.requestId, write)], audit.signer);
}
