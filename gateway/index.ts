/** The gateway's public surface. */
export { startGateway, type GatewayOptions, type RunningGateway } from './server.js';
export {
  auditKeys,
  keyPairFromJwk,
  loadOrCreateKeyPair,
  loadOrCreateSecret,
  publishConsentKeys,
  publishPublicKeys,
  readKeyPair,
  readPublishedKey,
  readSecret,
  type KeyPurpose,
  type SigningKeyPair,
} from './keys.js';
export { issueToken, LOCAL_ISSUER, TOKEN_AUDIENCE } from './identity.js';
export { contextClaimsOf, createFetchSigner, type FetchSigner, type FetchToSign } from './stages/sign-context.js';
export { DEFAULT_SUBGRAPH_TIMEOUT_MS, fetchSubgraph, type SubgraphFetchSettings } from './subgraph-fetch.js';
export { createAuthenticator, type AuthenticationOptions, type Authenticator } from './stages/authenticate.js';
export { analyseOperation, DEFAULT_LIMITS, type OperationAnalysis, type OperationLimits } from './stages/analyse-operation.js';
export { BREAK_GLASS_HEADER, GRANT_HEADER, PURPOSE_HEADER } from './request-headers.js';
export { keyringFromConfig, keyringOptionsFromConfig, openKeyring, protectorFor, subscribeToShredding, type Keyring } from './keyring/index.js';
export { issueInstitutionCertificate, loadOrCreatePlatformCa, loadOrCreateReceiptSigner, verifyConsentReceipt, type PlatformCa } from './pki/index.js';
