/** The immunization subgraph: ImmunizationRecord (预防接种), extending Resident. */
import type { SubgraphDefinition } from '../runtime/index.js';
import { ImmunizationFeedResolver, ResidentImmunizationResolver } from './resolvers.js';
import { Institution, Resident } from './types.js';

export const immunizationSubgraph: SubgraphDefinition = {
  name: 'immunization',
  resolvers: [ResidentImmunizationResolver, ImmunizationFeedResolver],
  orphanedTypes: [Resident, Institution],
  referenceResolvers: {
    // Existence of a resident is never revealed here: the reference is echoed and every list is row-filtered.
    Resident: (reference) => ({ id: reference.id }),
  },
};

export * as immunizationTables from './tables.js';
