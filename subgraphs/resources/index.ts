/** The resources subgraph: Institution and Practitioner (基础资源, public). */
import type { SubgraphDefinition } from '../runtime/index.js';
import { InstitutionResolver, loadInstitutions, loadPractitioners, PractitionerResolver } from './resolvers.js';
import { Institution, Practitioner } from './types.js';

export const resourcesSubgraph: SubgraphDefinition = {
  name: 'resources',
  resolvers: [InstitutionResolver, PractitionerResolver],
  orphanedTypes: [Institution, Practitioner],
  referenceResolvers: {
    Institution: async (reference, context) =>
      (await context.batches.load('institutions', reference.id, (ids) => loadInstitutions(context, ids))) ?? null,
    Practitioner: async (reference, context) =>
      (await context.batches.load('practitioners', reference.id, (ids) => loadPractitioners(context, ids))) ?? null,
  },
};

export * as resourcesTables from './tables.js';
