/** The trust core's public surface (DESIGN §2): imported by the gateway as a library, served as the `consent` subgraph. */
export * from './consents.js';
export * from './requests.js';
export * from './break-glass.js';
export * from './break-glass-reviews.js';
export * from './grants.js';
export * from './audit.js';
export * from './audit-tree.js';
export * from './audit-log-verify.js';
export * as merkle from './merkle/index.js';
export * from './policy.js';
export * from './write-audit.js';
export * from './facts.js';
export * from './scenarios.js';
export * from './scenario-members.js';
export { documentId } from './scenario-documents.js';
export * as consentTables from './tables.js';
export { consentSubgraph, type ConsentSubgraphOptions } from './subgraph/index.js';
export * from './access-basis.js';
