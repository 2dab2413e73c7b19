/** The results subgraph: LabReport, ImagingReport (检查检验), extending Resident. */
import type { SubgraphDefinition } from '../runtime/index.js';
import { RecognitionDecisionResolver, RecognitionResolver } from './recognition-resolvers.js';
import { RecognitionReportResolver } from './recognition-report.js';
import { LabReportResolver, ResidentResultsResolver, ResultsFeedResolver } from './resolvers.js';
import { Institution, Resident } from './types.js';

export const resultsSubgraph: SubgraphDefinition = {
  name: 'results',
  resolvers: [ResidentResultsResolver, LabReportResolver, ResultsFeedResolver, RecognitionResolver, RecognitionDecisionResolver, RecognitionReportResolver],
  orphanedTypes: [Resident, Institution],
  referenceResolvers: {
    // Existence of a resident is never revealed here: the reference is echoed and every list is row-filtered.
    Resident: (reference) => ({ id: reference.id }),
  },
};

export * as resultsTables from './tables.js';
