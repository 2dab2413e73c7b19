/** A small testkit that starts the stack for integration tests. */
export { testBackends, type TestBackend } from './databases.js';
export { startTestPlatform, type GraphQLResponse, type TestPlatform } from './platform.js';
export { startExtraGateway, startRecordingProxy, startStalledService, type RecordedRequest, type RecordingProxy, type StalledService } from './extras.js';
export { approvedGrant } from './grants.js';
export { postToSubgraph, type SubgraphAnswer } from './subgraph-client.js';
export { scopedClaims, type TestScope } from './claims.js';
export { feedDose, feedEncounter, feedImagingReport, feedLabReport, feedRefusal } from './feed-records.js';
