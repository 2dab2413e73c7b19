/** The consent subgraph: consents, access requests, the resident's access log with its inclusion proofs, break-glass reviews, audit verification and the Merkle log's heads and proofs. */
import type { SubgraphDefinition } from '../../subgraphs/runtime/server.js';
import {
  AccessLogResolver,
  ActorResolver,
  createAuditChainResolver,
  createAuditTreeResolver,
  createBreakGlassReviewResolver,
  createConsentResolver,
  createAccessRequestResolver,
  ResidentConsentsResolver,
} from './resolvers.js';
import { createScenarioResolver } from './scenarios.js';
import { Institution, Practitioner, Resident } from './types.js';
import type { AuditSigner, AuditVerifier } from '../audit.js';
import type { RecipientDirectory } from '../consents.js';

export interface ConsentSubgraphOptions {
  /** The platform secret grant tokens are derived from (the gateway checks tokens with the same secret's hashes). */
  grantSecret: Uint8Array;
  /** The gateway's public audit key(s), to check the audit chain's signed checkpoints. */
  auditVerifier: AuditVerifier;
  /** The gateway's audit key: consent-plane writes append their audit entry in their own transaction. */
  auditSigner: AuditSigner;
  /** Where grantConsent checks that a named institution or practitioner exists (unchecked when absent). */
  recipientDirectory?: RecipientDirectory;
}

/** Builds the consent subgraph definition (name `consent`). */
export function consentSubgraph(options: ConsentSubgraphOptions): SubgraphDefinition {
  return {
    name: 'consent',
    resolvers: [
      ActorResolver,
      createConsentResolver(options.auditSigner, options.recipientDirectory),
      createAccessRequestResolver(options.grantSecret, options.auditSigner),
      AccessLogResolver,
      createBreakGlassReviewResolver(options.auditSigner),
      createAuditChainResolver(options.auditVerifier),
      createAuditTreeResolver(options.auditSigner),
      ResidentConsentsResolver,
      createScenarioResolver(options.auditSigner),
    ],
    orphanedTypes: [Resident, Institution, Practitioner],
    referenceResolvers: {
      // Existence is never revealed: the reference is echoed; `consents` is null unless the caller may see them.
      Resident: (reference) => ({ id: reference.id }),
    },
  };
}
