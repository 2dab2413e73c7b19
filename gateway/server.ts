/**
 * The gateway: Hive Gateway's runtime with the Rust query planner over the composed supergraph, the
 * enforcement lifecycle as its plugins (gateway/lifecycle.ts), behind the platform's HTTP edge.
 */
import { createGatewayRuntime, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
// The runtime's own fetch API (node:http underneath): Node's built-in Request (undici, web streams) costs more per request.
import { Headers, Request } from '@whatwg-node/fetch';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { readClassifications } from '../schema/classification.js';
import { readEnforcementDeclarations } from '../schema/enforcement.js';
import type { Database } from '../subgraphs/runtime/database.js';
import type { Keyring } from './keyring/index.js';
import type { KeyedCertificate, PlatformCa } from './pki/index.js';
import { auditRoutes, pkiRoutes } from './routes.js';
import { replyWithError, serveHttp, type ExtraRoute, type GraphQLExchange, type RunningHttpService } from '../subgraphs/runtime/http.js';
import type { Logger } from '../subgraphs/runtime/logging.js';
import { enforcementLifecycle, type LifecycleContext } from './lifecycle.js';
import type { EnforcementMode } from './request-headers.js';
import { useClientResponses, useCodedParseErrors } from './responses.js';
import { DEFAULT_LIMITS, type OperationLimits } from './stages/analyse-operation.js';
import { createAuthenticator, type AuthenticationOptions, type Authenticator } from './stages/authenticate.js';
import { createFetchSigner } from './stages/sign-context.js';
import type { ResidentIndexLookup } from './stages/resolve-subjects.js';
import { subgraphAboutLookup, subgraphCatalogueLookup, subgraphReferenceLookup } from './reference-lookup.js';
import { MartBuilder } from './research-mart.js';
import { registeredPersistedQuery } from './persisted-documents.js';
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
  /** The platform's research secret: each scenario's pseudonym key is derived from it (every gateway replica has the same). */
  researchSecret: Uint8Array;
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
  /** Request lines and unexpected errors; silent when absent. */
  logger?: Logger;
  /** Headers every response carries (one of several gateway processes names itself). */
  responseHeaders?: Readonly<Record<string, string>>;
}

export type RunningGateway = RunningHttpService;

/** The subgraph holding the master patient index. */
const POPULATION = 'population';

/** A subgraph's URL for the gateway's own lookups: configured, or the routing URL in the supergraph. */
function subgraphUrl(urls: ReadonlyMap<string, string>, name: string): string {
  const url = urls.get(name);
  if (!url) throw new Error(`the gateway needs the ${name} subgraph URL for its lookups`);
  return url;
}

/** Each subgraph the supergraph names, at its configured URL or else at its routing URL. */
export function subgraphUrlsOf(supergraphSdl: string, configured: Readonly<Record<string, string>> = {}): Map<string, string> {
  const urls = new Map<string, string>();
  for (const [, name, url] of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)) urls.set(name!, configured[name!] ?? url!);
  return urls;
}

/** The supergraph with each subgraph's routing URL replaced by where it runs. */
export function supergraphWithUrls(supergraphSdl: string, urls: ReadonlyMap<string, string>): string {
  return supergraphSdl.replace(/@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g, (_, name: string) => `@join__graph(name: "${name}", url: "${urls.get(name) ?? ''}")`);
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
  const urls = subgraphUrlsOf(options.supergraphSdl, options.subgraphUrls);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const introspection = options.introspection ?? false;
  const authenticate = createAuthenticator(options.authentication);
  const lifecycle = enforcementLifecycle({
    authenticate,
    keyring: options.keyring,
    auditSigner,
    securityLog,
    lookupResident: residentIndexLookup(subgraphUrl(urls, POPULATION), fetchSettings),
    lookupReferences: subgraphReferenceLookup({ population: subgraphUrl(urls, POPULATION), resources: subgraphUrl(urls, 'resources'), clinical: subgraphUrl(urls, 'clinical') }, fetchSettings),
    lookupCatalogue: subgraphCatalogueLookup({ results: subgraphUrl(urls, 'results') }, fetchSettings),
    lookupAbout: subgraphAboutLookup({ results: subgraphUrl(urls, 'results') }, fetchSettings),
    db: options.database,
    classifications,
    declarations,
    fetchSettings,
    subgraphByUrl: new Map([...urls].map(([name, url]) => [url, name])),
    mode: options.mode ?? 'filter',
    limits,
    introspection,
    researchMart: new MartBuilder({ db: options.database, fetchSettings, urls, pseudonymSecret: options.researchSecret, auditSigner, classifications }),
  });
  const runtime = createGatewayRuntime<LifecycleContext>({
    supergraph: supergraphWithUrls(options.supergraphSdl, urls),
    unifiedGraphHandler,
    plugins: () => [useCodedParseErrors(limits.maxTokens), ...lifecycle, useClientResponses({ introspection })],
    // Errors never name a subgraph (DESIGN §6); a subgraph's own `extensions.code` is kept.
    subgraphErrors: { subgraphNameProp: false },
    // One place formats every error (gateway/responses.ts).
    maskedErrors: false,
    logging: false,
    landingPage: false,
    graphiql: false,
    // The HTTP edge gives each exchange its request id.
    requestId: false,
    batching: false,
    // CORS is the edge's (HEALTHMESH_CORS_ORIGINS); Yoga would otherwise allow every origin.
    cors: false,
    multipart: false,
    deferStream: false,
  });
  // Plan the supergraph now, not on the first client's request.
  await runtime.getSchema();
  return serveHttp((exchange) => answerWithRuntime(runtime, exchange, options.database, authenticate), {
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    ...(options.logger ? { logger: options.logger.child({ service: 'gateway' }) } : {}),
    ...(options.responseHeaders ? { responseHeaders: options.responseHeaders } : {}),
    routes: [
      ...(options.pki ? pkiRoutes({ ca: options.pki.ca, signer: options.pki.receiptSigner, db: options.database, authenticate }) : []),
      ...auditRoutes(auditSigner),
      ...(options.routes ?? []),
    ],
    onStop: async () => {
      await runtime[Symbol.asyncDispose]();
    },
  });
}

/** Content types a browser form can send without a preflight: such requests must say they are not forms. */
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
const PREFLIGHT_HEADERS = ['apollo-require-preflight', 'x-apollo-operation-name', 'graphql-preflight'];

/**
 * Cross-site request forgery: a request a browser could send from another site without a preflight
 * (a GET, or a simple content type) must carry a header that forces one, as Apollo Server requires.
 */
function isCrossSiteForgeable({ request }: GraphQLExchange): boolean {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType && !SIMPLE_CONTENT_TYPES.has(contentType)) return false;
  return !PREFLIGHT_HEADERS.some((name) => {
    const value = request.headers[name];
    return typeof value === 'string' && value.length > 0;
  });
}

/** Automatic persisted queries are off: a shared store would tell a caller by its hash that someone sent this exact text. */
function asksForPersistedQuery({ body, url }: GraphQLExchange): boolean {
  const extensions = body !== null && typeof body === 'object' ? (body as { extensions?: unknown }).extensions : url.searchParams.get('extensions');
  if (typeof extensions === 'string') return extensions.includes('persistedQuery');
  return extensions !== null && typeof extensions === 'object' && 'persistedQuery' in extensions;
}

/** One exchange through Hive Gateway: the edge's request, its answer written back as it came. */
async function answerWithRuntime(runtime: GatewayRuntime<LifecycleContext>, exchange: GraphQLExchange, db: Database, authenticate: Authenticator): Promise<void> {
  const { request, response, url, requestId, method } = exchange;
  let { bytes } = exchange;
  if (isCrossSiteForgeable(exchange)) {
    replyWithError(
      response,
      'BAD_REQUEST',
      'This request could be a cross-site request forgery: send it as application/json, or add the header "apollo-require-preflight: true".',
    );
    return;
  }
  if (asksForPersistedQuery(exchange)) {
    // The one exception: the hash of a registered document of the caller's own approved research scenario
    // runs that document. The caller is known here already (the runtime authenticates again, as for any
    // request); a token that does not verify finds no document, like anyone else's hash.
    const header = exchange.request.headers['authorization'];
    const actor = await authenticate(Array.isArray(header) ? header[0] : header).catch(() => null);
    const registered = await registeredPersistedQuery(db, actor, exchange);
    if (!registered) {
      replyWithError(response, 'PERSISTED_QUERY_NOT_SUPPORTED', 'Persisted queries are not supported; send the query text.');
      return;
    }
    bytes = registered;
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  // Answers are application/json, whatever a client's Accept allows (the statuses are ours).
  headers.set('accept', 'application/json');
  const answer = await runtime.fetch(
    new Request(url.href, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(bytes) }) }),
    { requestId } as unknown as LifecycleContext,
  );
  response.statusCode = answer.status;
  answer.headers.forEach((value, name) => {
    if (name !== 'content-length') response.setHeader(name, value);
  });
  response.end(Buffer.from(await answer.arrayBuffer()));
}
