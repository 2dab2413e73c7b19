/**
 * The reference lookups of the check-references stage, as direct fetches to the subgraphs that own each
 * kind, under a context signed for the sending system (like the master patient index lookup in
 * server.ts): residents from population, practitioners from resources (a public entity), encounters
 * from clinical. One fetch per kind per operation.
 */
import { CONTEXT_HEADER } from '../schema/context.js';
import type { LookupCaller, ReferenceLookup } from './stages/check-references.js';
import type { ContextSigner } from './stages/sign-context.js';

export interface ReferenceLookupUrls {
  population: string;
  resources: string;
  clinical: string;
}

export function subgraphReferenceLookup(urls: ReferenceLookupUrls, sign: ContextSigner): ReferenceLookup {
  async function query<Data>(url: string, caller: LookupCaller, document: string, variables: Record<string, unknown>): Promise<Data> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: await sign({ requestId: caller.requestId, actor: caller.actor }) },
      body: JSON.stringify({ query: document, variables }),
    });
    const body = (await response.json()) as { data?: Data; errors?: unknown[] };
    // Never a guess: without an answer the batch is not written (the request fails).
    if (!response.ok || body.errors || !body.data) throw new Error(`feed reference lookup failed (${response.status})`);
    return body.data;
  }

  return {
    async knownResidents(ids, caller) {
      const data = await query<{ knownResidentIds: string[] }>(urls.population, caller, 'query($ids: [ID!]!) { knownResidentIds(ids: $ids) }', { ids });
      return new Set(data.knownResidentIds);
    },
    async practitionerInstitutions(ids, caller) {
      const data = await query<{ _entities: Array<{ id: string; institution: { id: string } | null } | null> }>(
        urls.resources,
        caller,
        'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Practitioner { id institution { id } } } }',
        { representations: ids.map((id) => ({ __typename: 'Practitioner', id })) },
      );
      return new Map(data._entities.flatMap((practitioner) => (practitioner?.institution ? [[practitioner.id, practitioner.institution.id] as const] : [])));
    },
    async ownEncounterResidents(ids, caller) {
      const data = await query<{ ownEncounterResidentIds: Array<string | null> }>(urls.clinical, caller, 'query($ids: [ID!]!) { ownEncounterResidentIds(ids: $ids) }', { ids });
      return new Map(ids.flatMap((id, index) => {
        const residentId = data.ownEncounterResidentIds[index];
        return residentId ? [[id, residentId] as const] : [];
      }));
    },
  };
}
