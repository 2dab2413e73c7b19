/** What every subgraph shares: server factory, signed-context verification, database factory, row filters. */
export { createContextVerifier, importContextPublicKey, type ContextVerifier, type ContextVerificationKey, type ContextVerifierOptions } from './context.js';
export { DEFAULT_REPLAY_CACHE_SIZE, ReplayCache } from './replay-cache.js';
export { DataDirectoryInUseError, MODULES, executedRows, migrateAll, migrateModule, openDatabase, tableRowMapper, type Database, type DatabaseHandle, type DatabaseOptions, type ModuleName } from './database.js';
export { serveApollo, type ExtraRoute, type RunningHttpService, type ServeOptions } from './http.js';
export { NO_ROWS, boundedPageSize, mayReachResident, mayReadResidentCategory, residentRowFilter, residentsRowFilter, type ResidentRowColumns } from './row-filter.js';
export {
  buildSubgraph,
  startSubgraph,
  SUBGRAPH_MAX_BODY_BYTES,
  subgraphContext,
  type BuiltSubgraph,
  type ReferenceResolver,
  type RunningSubgraph,
  type StartSubgraphOptions,
  type SubgraphContext,
  type SubgraphDefinition,
} from './server.js';
export { residentIdColumn, sensitivityColumns } from './columns.js';
export { redactUnexpectedErrors, withoutSuggestions } from './errors.js';
export { RequestBatches } from './batch.js';
export { applyCors, configureCors, CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from './cors.js';
export { metricsRegistry, observeRequest, recordAuditAppend, recordGrantUse, recordSubgraphFetchError, routeLabel } from './metrics.js';
export { databaseCheck, healthCheck, readinessRoute, ReadinessProblem, type ReadinessCheck } from './readiness.js';
export { insertRows, type StatementRunner } from './bulk-insert.js';
