/**
 * The reference lookups of the check-references stage, as direct fetches to the subgraphs that own each
 * kind, under a context signed for the sending system (like the master patient index lookup in
 * server.ts): residents from population, practitioners from resources (a public entity), encounters
 * from clinical. One fetch per kind per operation.
 */
import type { FeedCatalogueItem } from '../schema/feed-quality.js';
import type { CatalogueLookup } from './stages/check-quality.js';
import type { LookupCaller, ReferenceLookup } from './stages/check-references.js';
import type { AboutLookup } from './stages/feed-writes.js';
import { fetchSubgraph, subgraphFetchCode, subgraphFetchError, type SubgraphFetchSettings } from './subgraph-fetch.js';

export interface ReferenceLookupUrls {
  population: string;
  resources: string;
  clinical: string;
}

/** One signed lookup query to a subgraph, on behalf of the caller; any failure fails the request (never a guess). */
async function lookupQuery<Data>(url: string, subgraph: string, caller: LookupCaller, document: string, variables: Record<string, unknown>, settings: SubgraphFetchSettings): Promise<Data> {
  const body = JSON.stringify({ query: document, variables });
  let answer: { data?: Data; errors?: unknown[] };
  let ok: boolean;
  try {
    const response = await fetchSubgraph(url, { subgraph, body, claims: { requestId: caller.requestId, actor: caller.actor } }, settings);
    ok = response.ok;
    answer = (await response.json()) as typeof answer;
  } catch (error) {
    throw subgraphFetchError(subgraphFetchCode(error));
  }
  // Never a guess: without an answer the batch is not written (the request fails).
  if (!ok || answer.errors || !answer.data) throw subgraphFetchError('SUBGRAPH_UNAVAILABLE');
  return answer.data;
}

export function subgraphReferenceLookup(urls: ReferenceLookupUrls, settings: SubgraphFetchSettings): ReferenceLookup {
  const query = <Data>(subgraph: keyof ReferenceLookupUrls, caller: LookupCaller, document: string, variables: Record<string, unknown>): Promise<Data> =>
    lookupQuery<Data>(urls[subgraph], subgraph, caller, document, variables, settings);

  return {
    async knownResidents(ids, caller) {
      const data = await query<{ knownResidentIds: string[] }>('population', caller, 'query($ids: [ID!]!) { knownResidentIds(ids: $ids) }', { ids });
      return new Set(data.knownResidentIds);
    },
    async practitioners(ids, caller) {
      const data = await query<{ _entities: Array<{ id: string; department: string; institution: { id: string } | null } | null> }>(
        'resources',
        caller,
        'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Practitioner { id department institution { id } } } }',
        { representations: ids.map((id) => ({ __typename: 'Practitioner', id })) },
      );
      return new Map(data._entities.flatMap((practitioner) => (practitioner?.institution ? [[practitioner.id, { institutionId: practitioner.institution.id, department: practitioner.department }] as const] : [])));
    },
    async ownEncounterResidents(ids, caller) {
      const data = await query<{ ownEncounterResidentIds: Array<string | null> }>('clinical', caller, 'query($ids: [ID!]!) { ownEncounterResidentIds(ids: $ids) }', { ids });
      return new Map(ids.flatMap((id, index) => {
        const residentId = data.ownEncounterResidentIds[index];
        return residentId ? [[id, residentId] as const] : [];
      }));
    },
  };
}

/** The steward's catalogue entries a feed batch names, from the results subgraph (KNOWN_ITEM, UNIT). */
export function subgraphCatalogueLookup(urls: { results: string }, settings: SubgraphFetchSettings): CatalogueLookup {
  return async (codes, caller) => {
    const data = await lookupQuery<{ feedCatalogueItems: FeedCatalogueItem[] }>(
      urls.results,
      'results',
      caller,
      'query($codes: [String!]!) { feedCatalogueItems(codes: $codes) { code loinc modality bodyPart unit } }',
      { codes },
      settings,
    );
    return data.feedCatalogueItems;
  };
}

/** The residents of the records writes are about (`@write(about:)`), from the subgraph that owns each kind. */
export function subgraphAboutLookup(urls: { results: string }, settings: SubgraphFetchSettings): AboutLookup {
  return async (kind, ids, caller) => {
    switch (kind) {
      case 'recognitionCandidate': {
        const data = await lookupQuery<{ recognitionCandidateResidentIds: Array<string | null> }>(urls.results, 'results', caller, 'query($ids: [ID!]!) { recognitionCandidateResidentIds(ids: $ids) }', { ids }, settings);
        return new Map(ids.flatMap((id, index) => {
          const residentId = data.recognitionCandidateResidentIds[index];
          return residentId ? [[id, residentId] as const] : [];
        }));
      }
    }
  };
}
