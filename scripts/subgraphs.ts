/**
 * Every subgraph this platform serves: the six domain subgraphs and the consent subgraph, with their
 * default loopback ports. Composition, `npm start` and docker-compose all read this list.
 */
import { generateKeyPairSync } from 'node:crypto';
import { consentSubgraph, platformRecipientDirectory, type AuditSigner, type AuditVerifier } from '../consent/index.js';
import { defaultSubgraphUrl, DOMAIN_SUBGRAPHS } from '../subgraphs/index.js';
import { buildSubgraph, type SubgraphDefinition } from '../subgraphs/runtime/index.js';

export interface ServedSubgraph {
  name: string;
  definition: SubgraphDefinition;
  defaultPort: number;
}

export const CONSENT_PORT = 4107;

/** The audit keys the consent subgraph needs: it verifies the chain and audits its own writes. */
export interface ConsentAuditKeys {
  signer: AuditSigner;
  verifier: AuditVerifier;
}

export function servedSubgraphs(grantSecret: Uint8Array, audit: ConsentAuditKeys): ServedSubgraph[] {
  const definition = consentSubgraph({ grantSecret, auditVerifier: audit.verifier, auditSigner: audit.signer, recipientDirectory: platformRecipientDirectory });
  return [...DOMAIN_SUBGRAPHS, { name: 'consent', definition, defaultPort: CONSENT_PORT }];
}

/** Every served subgraph's SDL with its default routing URL, as composition takes it. */
export async function buildServedSdls(): Promise<Array<{ name: string; url: string; sdl: string }>> {
  // The SDL depends on no secret or key; resolvers built here are never run.
  const subgraphs = servedSubgraphs(new Uint8Array(32), throwawayAuditKeys());
  const sdls = [];
  for (const subgraph of subgraphs) {
    const built = await buildSubgraph(subgraph.definition);
    sdls.push({ name: subgraph.name, url: defaultSubgraphUrl(subgraph), sdl: built.sdl });
  }
  return sdls;
}

/** Keys for building SDLs and listing services only: nothing signed with them is ever stored. */
export function throwawayAuditKeys(): ConsentAuditKeys {
  return { signer: { keyId: 'throwaway', privateKey: generateKeyPairSync('ed25519').privateKey }, verifier: new Map() };
}
