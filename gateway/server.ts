/** The gateway: @apollo/server + @apollo/gateway over the composed supergraph, behind the pipeline. */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { readClassifications } from '../schema/classification.js';
import { readEnforcementDeclarations } from '../schema/enforcement.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { EnforcingGateway, type EnforcementDependencies } from './enforcing-gateway.js';
import type { Keyring } from './keyring/index.js';
import type { KeyedCertificate, PlatformCa } from './pki/index.js';
import { auditRoutes, pkiRoutes } from './routes.js';
import { serveApollo, type ExtraRoute, type RunningHttpService } from '../subgraphs/runtime/http.js';
import { redactUnexpectedErrors, withoutInternalDetails, withoutSuggestions } from '../subgraphs/runtime/errors.js';
import { SafeStringLiteralsRule } from '../subgraphs/runtime/input-hygiene.js';
import { annotateActor, requestLoggingPlugin, type Logger } from '../subgraphs/runtime/logging.js';
import { useClientErrorStatus } from './client-error-status.js';
import { SignedContextDataSource } from './data-source.js';
import { authenticateRequest, enforcementPipeline, type EnforcementMode } from './pipeline.js';
import type { GatewayRequestContext } from './request-context.js';
import { DEFAULT_LIMITS, type OperationLimits } from './stages/analyse-operation.js';
import { createAuthenticator, type AuthenticationOptions } from './stages/authenticate.js';
import { createFetchSigner } from './stages/sign-context.js';
import type { ResidentIndexLookup } from './stages/resolve-subjects.js';
import { subgraphReferenceLookup } from './reference-lookup.js';
import { openSecurityLog } from './security-log/index.js';
import { auditKeys, type SigningKeyPair } from './keys.js';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS, fetchSubgraph, subgraphFetchCode, subgraphFetchError, type SubgraphFetchSettings } from './subgraph-fetch.js';

export interface GatewayOptions {
  supergraphSdl: string;
  /** Subgraph name → URL, overriding the routing URLs recorded in the supergraph. */
  subgraphUrls?: Readonly<Record<string, string>>;
  authentication: AuthenticationOptions;
  contextSigningKey: SigningKeyPair;
  /** Field keys: decrypts what the decision releases, blind-indexes identifiers. */
  keyring: Keyring;
  /** Signs the audit chain's checkpoints (Ed25519; the public half verifies them). */
  auditSigningKey: SigningKeyPair;
  /** The platform PKI: serves the CA certificate and signs consent receipts. */
  pki?: { ca: PlatformCa; receiptSigner: KeyedCertificate };
  /** The consent store (consents, grants, audit) the decisions read and the audit writes. */
  database: Database;
  /** The most events the security log keeps (refused probes; the oldest are overwritten). */
  securityLogMaxEvents?: number;
  mode?: EnforcementMode;
  port: number;
  host?: string;
  /** Schema introspection and the landing page: off unless explicitly enabled (dev mode). */
  introspection?: boolean;
  limits?: OperationLimits;
  /** Milliseconds one subgraph fetch may take before its part of the answer is given up (default 5 s). */
  subgraphTimeoutMs?: number;
  routes?: ExtraRoute[];
  onStageTiming?: EnforcementDependencies['onStageTiming'];
  /** Request lines and unexpected errors; silent when absent. */
  logger?: Logger;
}

export type RunningGateway = RunningHttpService;

/** The subgraph holding the master patient index. */
const POPULATION = 'population';

/** A subgraph's URL for the gateway's own lookups: configured, or the routing URL in the supergraph. */
function subgraphUrl(options: GatewayOptions, name: string): string {
  const url = options.subgraphUrls?.[name] ?? new RegExp(`name: "${name}", url: "([^"]+)"`).exec(options.supergraphSdl)?.[1];
  if (!url) throw new Error(`the gateway needs the ${name} subgraph URL for its lookups`);
  return url;
}

/** Master patient index lookups go straight to the population subgraph, under the caller's claims, signed for that fetch. */
function residentIndexLookup(url: string, settings: SubgraphFetchSettings): ResidentIndexLookup {
  return async (idCardIndex, actor, requestId) => {
    const body = JSON.stringify({ query: 'query($index: String!) { residentIdByIdCardIndex(index: $index) }', variables: { index: idCardIndex } });
    let answer: { data?: { residentIdByIdCardIndex: string | null }; errors?: unknown[] };
    try {
      const response = await fetchSubgraph(url, { subgraph: POPULATION, body, claims: { requestId, actor } }, settings);
      answer = (await response.json()) as typeof answer;
      if (!response.ok) throw new Error(`master patient index lookup answered ${response.status}`);
    } catch (error) {
      throw subgraphFetchError(subgraphFetchCode(error));
    }
    if (answer.errors) throw subgraphFetchError('SUBGRAPH_UNAVAILABLE');
    return answer.data?.residentIdByIdCardIndex ?? null;
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const classifications = readClassifications(options.supergraphSdl);
  const declarations = readEnforcementDeclarations(options.supergraphSdl);
  const { signer: auditSigner } = auditKeys(options.auditSigningKey);
  const securityLog = openSecurityLog(options.securityLogMaxEvents === undefined ? {} : { maxEvents: options.securityLogMaxEvents });
  const fetchSettings: SubgraphFetchSettings = {
    signFetch: createFetchSigner(options.contextSigningKey.privateKey, options.contextSigningKey.kid),
    timeoutMs: options.subgraphTimeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS,
  };
  const federation = new ApolloGateway({
    supergraphSdl: options.supergraphSdl,
    buildService: ({ name, url }) => {
      const target = options.subgraphUrls?.[name] ?? url;
      if (!target) throw new Error(`no URL for subgraph ${name}`);
      return new SignedContextDataSource({ subgraph: name, url: target, ...fetchSettings });
    },
  });
  const authenticate = createAuthenticator(options.authentication);
  const gateway = new EnforcingGateway(federation, {
    db: options.database,
    classifications,
    declarations,
    keyring: options.keyring,
    auditSigner,
    securityLog,
    ...(options.onStageTiming ? { onStageTiming: options.onStageTiming } : {}),
  });
  const apollo = new ApolloServer<GatewayRequestContext>({
    gateway,
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: (options.limits ?? DEFAULT_LIMITS).maxTokens },
    introspection: options.introspection ?? false,
    hideSchemaDetailsFromClientErrors: !options.introspection,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      const safe = withoutInternalDetails(redactUnexpectedErrors(formatted, error));
      // Outside dev mode, not even a variable's coercion error suggests field names.
      return options.introspection ? safe : withoutSuggestions(safe);
    },
    validationRules: [SafeStringLiteralsRule],
    // Automatic persisted queries are off: one shared store would let a caller learn, by its hash,
    // that someone else sent exactly this text (literals such as an ID-card number included).
    persistedQueries: false,
    plugins: [
      useClientErrorStatus(),
      requestLoggingPlugin(),
      enforcementPipeline({
        authenticate,
        keyring: options.keyring,
        auditSigner,
        securityLog,
        lookupResident: residentIndexLookup(subgraphUrl(options, POPULATION), fetchSettings),
        lookupReferences: subgraphReferenceLookup(
          { population: subgraphUrl(options, POPULATION), resources: subgraphUrl(options, 'resources'), clinical: subgraphUrl(options, 'clinical') },
          fetchSettings,
        ),
        db: options.database,
        classifications,
        declarations,
        mode: options.mode ?? 'filter',
        ...(options.limits ? { limits: options.limits } : {}),
      }),
      ...(options.introspection ? [] : [ApolloServerPluginLandingPageDisabled()]),
    ],
  });
  return serveApollo(apollo, {
    port: options.port,
    host: options.host,
    ...(options.logger ? { logger: options.logger.child({ service: 'gateway' }) } : {}),
    context: async (request, _body, requestId) => {
      const context = await authenticateRequest(request, authenticate, requestId);
      annotateActor(context.actor);
      return context;
    },
    routes: [
      ...(options.pki ? pkiRoutes({ ca: options.pki.ca, signer: options.pki.receiptSigner, db: options.database, authenticate }) : []),
      ...auditRoutes(auditSigner),
      ...(options.routes ?? []),
    ],
  });
}
