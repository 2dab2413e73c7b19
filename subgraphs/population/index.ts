/** The population subgraph: Resident (owner of the entity), identity, master patient index. */
import type { SubgraphDefinition } from '../runtime/index.js';
import { loadResidents, ResidentResolver } from './resolvers.js';
import { District, Resident } from './types.js';

export const populationSubgraph: SubgraphDefinition = {
  name: 'population',
  resolvers: [ResidentResolver],
  orphanedTypes: [Resident, District],
  referenceResolvers: {
    Resident: async (reference, context) => (await context.batches.load('residents', reference.id, (ids) => loadResidents(context, ids))) ?? null,
  },
};

export * as populationTables from './tables.js';
