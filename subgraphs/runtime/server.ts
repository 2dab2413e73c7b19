/**
 * The subgraph server factory: a type-graphql (code-first) schema turned into an Apollo Federation
 * subgraph, served over HTTP, refusing every request that does not carry the gateway's signed context
 * for this subgraph and this body.
 */
import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type NonEmptyArray } from 'type-graphql';
import { CLASSIFICATION_SPEC_URL, CLASSIFIED_DIRECTIVE_SDL } from '../../schema/classification.js';
import { CONTEXT_HEADER, type GatewayContextClaims } from '../../schema/context.js';
import { ENFORCEMENT_DIRECTIVES, ENFORCEMENT_DIRECTIVES_SDL, ENFORCEMENT_SPEC_URL } from '../../schema/enforcement.js';
import { DateTimeISO } from '../../schema/scalars.js';
import { RequestBatches } from './batch.js';
import { createContextVerifier, type ContextVerificationKey } from './context.js';
import type { Database } from './database.js';
import { redactUnexpectedErrors } from './errors.js';
import { DEFAULT_MAX_BODY_BYTES, serveApollo, type RunningHttpService } from './http.js';
import { databaseCheck, readinessRoute } from './readiness.js';
import { ReplayCache } from './replay-cache.js';
import { SafeStringLiteralsRule } from './input-hygiene.js';
import { annotateActor, annotateRequest, requestLoggingPlugin, type Logger } from './logging.js';

/** What every resolver receives. */
export interface SubgraphContext {
  db: Database;
  request: GatewayContextClaims;
  /** Per-request batching of reference resolution and nested lists. */
  batches: RequestBatches;
}

/** The context of one request: the only way a resolver's context is built (server and tests alike). */
export function subgraphContext(db: Database, request: GatewayContextClaims): SubgraphContext {
  return { db, request, batches: new RequestBatches() };
}

/** Resolves an entity reference (`_entities`) within the request's context. */
export type ReferenceResolver = (reference: { id: string }, context: SubgraphContext) => unknown;

export interface SubgraphDefinition {
  name: string;
  // type-graphql resolver classes are plain constructors.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
  /** `__resolveReference` per entity type this subgraph can resolve. */
  referenceResolvers?: Record<string, ReferenceResolver>;
}

/** Federation 2 link plus the composed classification and enforcement directives, prepended to every subgraph's SDL. */
const FEDERATION_HEADER = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@inaccessible", "@composeDirective"])
  @link(url: "${CLASSIFICATION_SPEC_URL}", import: ["@classified"])
  @composeDirective(name: "@classified")
  @link(url: "${ENFORCEMENT_SPEC_URL}", import: [${ENFORCEMENT_DIRECTIVES.map((name) => `"@${name}"`).join(', ')}])
${ENFORCEMENT_DIRECTIVES.map((name) => `  @composeDirective(name: "@${name}")`).join('\n')}

${CLASSIFIED_DIRECTIVE_SDL}
${ENFORCEMENT_DIRECTIVES_SDL}
`;

export interface BuiltSubgraph {
  name: string;
  /** The subgraph SDL as composition sees it. */
  sdl: string;
  schema: GraphQLSchema;
}

/** Builds the federated schema of a subgraph definition. */
export async function buildSubgraph(definition: SubgraphDefinition): Promise<BuiltSubgraph> {
  const codeFirst = await buildSchema({
    resolvers: definition.resolvers,
    orphanedTypes: definition.orphanedTypes ?? [],
    // `Date` fields and arguments parse with the platform's strict date-time (years 0001-9999).
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    skipCheck: true,
    validate: false,
  });
  const sdl = `${FEDERATION_HEADER}\n${printSchemaWithDirectives(codeFirst)}`;
  const resolvers = createResolversMap(codeFirst) as GraphQLResolverMap<SubgraphContext>;
  for (const [typeName, resolveReference] of Object.entries(definition.referenceResolvers ?? {})) {
    const existing = (resolvers[typeName] ?? {}) as Record<string, unknown>;
    resolvers[typeName] = { ...existing, __resolveReference: resolveReference } as never;
  }
  // Resolvers are typed per context here; Apollo's map is typed for `unknown` context.
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as GraphQLResolverMap<unknown> });
  return { name: definition.name, sdl, schema };
}

export interface StartSubgraphOptions {
  database: Database;
  /** The gateway's public context-signing key. */
  contextPublicKey: ContextVerificationKey;
  /** Context ids this subgraph remembers (one context lifetime of fetches); default DEFAULT_REPLAY_CACHE_SIZE. */
  replayCacheSize?: number;
  port: number;
  host?: string;
  /** Request lines and unexpected errors; silent when absent. */
  logger?: Logger;
}

export interface RunningSubgraph extends RunningHttpService {
  readonly name: string;
}

/** The largest request body a subgraph reads: room for the gateway's largest request once its writes are encrypted. */
export const SUBGRAPH_MAX_BODY_BYTES = 4 * DEFAULT_MAX_BODY_BYTES;

/** Starts a subgraph over HTTP; every request must carry a valid signed context addressed to it, for its body. */
export async function startSubgraph(definition: SubgraphDefinition, options: StartSubgraphOptions): Promise<RunningSubgraph> {
  const built = await buildSubgraph(definition);
  const verifyContext = createContextVerifier(options.contextPublicKey, {
    audience: definition.name,
    replayCache: new ReplayCache(options.replayCacheSize),
  });
  const apollo = new ApolloServer<SubgraphContext>({
    schema: built.schema,
    stopOnTerminationSignals: false,
    // The gateway is the only client; it never needs introspection or suggestions from a subgraph.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
    includeStacktraceInErrorResponses: false,
    formatError: redactUnexpectedErrors,
    validationRules: [SafeStringLiteralsRule],
    // The gateway never sends hash-only requests; a stored query would only serve someone going around it.
    persistedQueries: false,
    // Inline traces would hand timing details to whoever calls; the gateway does not need them.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), requestLoggingPlugin<SubgraphContext>()],
  });
  const running = await serveApollo(apollo, {
    // The gateway is the only client, and a request it let in grows on the way (identifying fields
    // encrypted: base64 and an envelope, about 1.4 times the text): a feed batch just under the
    // gateway's limit must still fit, or it would be refused after its check passed.
    maxBodyBytes: SUBGRAPH_MAX_BODY_BYTES,
    port: options.port,
    host: options.host,
    ...(options.logger ? { logger: options.logger.child({ service: definition.name }) } : {}),
    service: definition.name,
    routes: [readinessRoute([databaseCheck(options.database)])],
    context: async (request, body) => {
      const header = request.headers[CONTEXT_HEADER];
      const claims = await verifyContext(Array.isArray(header) ? header[0] : header, body);
      annotateActor(claims.actor);
      annotateRequest({ gatewayRequestId: claims.requestId });
      return subgraphContext(options.database, claims);
    },
  });
  return { ...running, name: definition.name, url: running.url, port: running.port, stop: running.stop };
}
