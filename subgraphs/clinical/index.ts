/** The clinical subgraph: Encounter, Diagnosis, Prescription (电子病历), extending Resident. */
import type { SubgraphDefinition } from '../runtime/index.js';
import { ClinicalFeedResolver, EncounterResolver, ResidentClinicalResolver } from './resolvers.js';
import { Institution, Practitioner, Resident } from './types.js';

export const clinicalSubgraph: SubgraphDefinition = {
  name: 'clinical',
  resolvers: [ResidentClinicalResolver, EncounterResolver, ClinicalFeedResolver],
  orphanedTypes: [Resident, Institution, Practitioner],
  referenceResolvers: {
    // Existence of a resident is never revealed here: the reference is echoed and every list is row-filtered.
    Resident: (reference) => ({ id: reference.id }),
  },
};

export * as clinicalTables from './tables.js';
