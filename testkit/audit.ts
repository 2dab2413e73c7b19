/** Audit events and an audit key for tests of the audit log. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AuditEvent, AuditSigner, AuditVerifier } from '../consent/index.js';

/** A clinician's read of one resident's encounters; `rows` also makes the request id. */
export function readEvent(residentId: string, rows: number): AuditEvent {
  return {
    requestId: `req-${rows}`,
    actorSub: 'clinician-a',
    actorRole: 'clinician',
    residentId,
    purpose: 'TREAT',
    operationHash: 'op',
    fieldsByCategory: { CLINICAL: ['Encounter.id'] },
    deniedByCategory: {},
    rowsReturned: rows,
    outcome: 'ALLOWED',
  };
}

/** A fresh Ed25519 audit key as the gateway holds it (signer) and as an auditor does (verifier). */
export function testAuditKey(keyId = 'audit-1'): { signer: AuditSigner; verifier: AuditVerifier; publicKey: KeyObject } {
  const keys = generateKeyPairSync('ed25519');
  return { signer: { keyId, privateKey: keys.privateKey }, verifier: new Map([[keyId, keys.publicKey]]), publicKey: keys.publicKey };
}
