/**
 * The registry of domain subgraphs: names, default loopback ports, definitions. Used by the process
 * that runs the platform and by composition; subgraphs themselves never import each other.
 */
import type { ModuleName, SubgraphDefinition } from './runtime/index.js';
import { archiveSubgraph } from './archive/index.js';
import { clinicalSubgraph } from './clinical/index.js';
import { immunizationSubgraph } from './immunization/index.js';
import { populationSubgraph } from './population/index.js';
import { resourcesSubgraph } from './resources/index.js';
import { researchSubgraph } from './research/index.js';
import { resultsSubgraph } from './results/index.js';

export interface DomainSubgraph {
  name: ModuleName;
  definition: SubgraphDefinition;
  defaultPort: number;
}

export const DOMAIN_SUBGRAPHS: readonly DomainSubgraph[] = [
  { name: 'population', definition: populationSubgraph, defaultPort: 4101 },
  { name: 'resources', definition: resourcesSubgraph, defaultPort: 4102 },
  { name: 'clinical', definition: clinicalSubgraph, defaultPort: 4103 },
  { name: 'results', definition: resultsSubgraph, defaultPort: 4104 },
  { name: 'archive', definition: archiveSubgraph, defaultPort: 4105 },
  { name: 'immunization', definition: immunizationSubgraph, defaultPort: 4106 },
  { name: 'research', definition: researchSubgraph, defaultPort: 4108 },
];

/** The routing URL recorded in the checked-in supergraph (overridable at run time). */
export function defaultSubgraphUrl(subgraph: { defaultPort: number }): string {
  return `http://127.0.0.1:${subgraph.defaultPort}/graphql`;
}

