/**
 * Every subgraph this platform serves: the six domain subgraphs and the consent subgraph, with their
 * default loopback ports. Composition, `npm start` and docker-compose all read this list.
 */
import { consentSubgraph, type AuditVerifier } from '../consent/index.js';
import { defaultSubgraphUrl, DOMAIN_SUBGRAPHS } from '../subgraphs/index.js';
import { buildSubgraph, type SubgraphDefinition } from '../subgraphs/runtime/index.js';

export interface ServedSubgraph {
  name: string;
  definition: SubgraphDefinition;
  defaultPort: number;
}

export const CONSENT_PORT = 4107;

export function servedSubgraphs(grantSecret: Uint8Array, auditVerifier: AuditVerifier): ServedSubgraph[] {
  return [...DOMAIN_SUBGRAPHS, { name: 'consent', definition: consentSubgraph({ grantSecret, auditVerifier }), defaultPort: CONSENT_PORT }];
}

/** Every served subgraph's SDL with its default routing URL, as composition takes it. */
export async function buildServedSdls(): Promise<Array<{ name: string; url: string; sdl: string }>> {
  // The SDL depends on no secret or key; resolvers built here are never run.
  const subgraphs = servedSubgraphs(new Uint8Array(32), new Map());
  const sdls = [];
  for (const subgraph of subgraphs) {
    const built = await buildSubgraph(subgraph.definition);
    sdls.push({ name: subgraph.name, url: defaultSubgraphUrl(subgraph), sdl: built.sdl });
  }
  return sdls;
}
