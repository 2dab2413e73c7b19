/**
 * Composition of the supergraph (build time, `npm run compose`) with @apollo/composition, and the
 * independent check with @theguild/federation-composition. The result is checked in as
 * schema/supergraph.graphql and tested for staleness.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

export interface SubgraphSdl {
  name: string;
  url: string;
  sdl: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Works from the sources (schema/) and from the build (dist/schema/). */
export const SUPERGRAPH_PATH = here.includes(`${join('dist', 'schema')}`)
  ? join(here, '..', '..', 'schema', 'supergraph.graphql')
  : join(here, 'supergraph.graphql');

export function loadSupergraphSdl(path = SUPERGRAPH_PATH): string {
  return readFileSync(path, 'utf8');
}

/** Composes with Apollo's composer; throws with every composition error listed. */
export function composeSupergraph(subgraphs: readonly SubgraphSdl[]): string {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  return `${result.supergraphSdl.trimEnd()}\n`;
}
