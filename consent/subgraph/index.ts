/** The consent subgraph: consents, access requests, the resident's access log, break-glass reviews, audit verification. */
import type { SubgraphDefinition } from '../../subgraphs/runtime/server.js';
import {
  AccessLogResolver,
  ActorResolver,
  AuditChainResolver,
  BreakGlassReviewResolver,
  ConsentResolver,
  createAccessRequestResolver,
  ResidentConsentsResolver,
} from './resolvers.js';
import { Institution, Practitioner, Resident } from './types.js';

export interface ConsentSubgraphOptions {
  /** The platform secret grant tokens are derived from (the gateway checks tokens with the same secret's hashes). */
  grantSecret: Uint8Array;
}

/** Builds the consent subgraph definition (name `consent`). */
export function consentSubgraph(options: ConsentSubgraphOptions): SubgraphDefinition {
  return {
    name: 'consent',
    resolvers: [
      ActorResolver,
      ConsentResolver,
      createAccessRequestResolver(options.grantSecret),
      AccessLogResolver,
      BreakGlassReviewResolver,
      AuditChainResolver,
      ResidentConsentsResolver,
    ],
    orphanedTypes: [Resident, Institution, Practitioner],
    referenceResolvers: {
      // Existence is never revealed: the reference is echoed; `consents` is null unless the caller may see them.
      Resident: (reference) => ({ id: reference.id }),
    },
  };
}
