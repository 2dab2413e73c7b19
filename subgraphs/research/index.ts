/** The research subgraph (DESIGN §2, §7): scenarios' pseudonymised marts and the SQL that answers over them; holds no identifier. */
import type { SubgraphDefinition } from '../runtime/index.js';
import { ResearchResolver } from './resolvers.js';

export const researchSubgraph: SubgraphDefinition = {
  name: 'research',
  resolvers: [ResearchResolver],
};

export * as researchTables from './tables.js';
export { suppressedCells, type CountedCell } from './suppression.js';
