/** A small testkit that starts the stack for integration tests. */
export { testBackends, type TestBackend } from './databases.js';
export { startTestPlatform, type GraphQLResponse, type TestPlatform } from './platform.js';
export { startExtraGateway, startRecordingProxy, type RecordingProxy } from './extras.js';
export { scopedClaims, type TestScope } from './claims.js';
