/** The archive subgraph: HealthArchive, physical exams, chronic-disease follow-ups (健康档案), extending Resident. */
import type { SubgraphDefinition } from '../runtime/index.js';
import { ArchiveFeedResolver, HealthArchiveResolver, ResidentArchiveResolver } from './resolvers.js';
import { Institution, Resident } from './types.js';

export const archiveSubgraph: SubgraphDefinition = {
  name: 'archive',
  resolvers: [ResidentArchiveResolver, HealthArchiveResolver, ArchiveFeedResolver],
  orphanedTypes: [Resident, Institution],
  referenceResolvers: {
    // Existence of a resident is never revealed here: the reference is echoed and the archive is row-filtered.
    Resident: (reference) => ({ id: reference.id }),
  },
};

export * as archiveTables from './tables.js';
