/**
 * The request lifecycle: one ordered list of small Envelop plugins (Hive Gateway runs them), each with
 * its before and after hooks together. In order:
 *
 *   authenticate            bearer JWT → actor; purpose, grant and break-glass headers (context building)
 *   platform scalars        validation against the API schema with the platform's scalars, no introspection
 *   refusal audit           after a refusal: DENIED for each resident it named, or the security log
 *   check operation         one operation of a known root type; variables fit their types
 *   analyse                 limits, selected coordinates, root fields
 *   check declared          every root field declared in the schema, else FORBIDDEN
 *   check registered        research roots: a registered document of an approved scenario, within quota;
 *                           its mart built and trimmed of withdrawn consents before it runs
 *   purpose                 X-Purpose-Of-Use, break-glass reason
 *   resolve subjects        a @lookup root → resident id via the blind index
 *   decide                  facts → CASL ability → per-field decision and row scope
 *   filter                  remove denied selections: the runtime plans the filtered document
 *   check references        a HIS feed's residents, practitioners and encounters, before any write
 *   protect writes          validate, encrypt and blind-index identifying fields pushed by a HIS
 *   sign each fetch         the claims every subgraph fetch carries, signed per fetch (onFetch)
 *   research context        a checked research request's claims name its scenario (the research subgraph answers only then)
 *   — plan and fetch —      Hive Gateway's Rust query planner over the filtered document
 *   shape                   null + error at every removed path
 *   decrypt and mask        clear, masked or denied as decided
 *   (pseudonymise and suppress: done before a research answer exists, in the mart build and the research subgraph)
 *   consume grant + audit   one transaction; no audit, no response; feed writes and registrations
 *
 * A stage refuses by throwing a GraphQLError: its plugin ends execution with that error as the result
 * (`setResultAndStopExecution`), so no later stage runs and nothing is fetched, and the refusal audit
 * (registered before every stage that can refuse) records it.
 */
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { releaseResearchQuery, scenarioById, type AuditSigner } from '../consent/index.js';
import type { ClassificationMap } from '../schema/classification.js';
import { CONTEXT_HEADER } from '../schema/context.js';
import { rootDeclaration, type EnforcementDeclarations } from '../schema/enforcement.js';
import { ERROR_CODES } from '../schema/errors.js';
import { withPlatformScalars } from '../schema/scalars.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { SafeStringLiteralsRule } from '../subgraphs/runtime/input-hygiene.js';
import { annotateActor, annotateRequest, describeError, requestLogger } from '../subgraphs/runtime/logging.js';
import { inStageSpan } from '../subgraphs/runtime/tracing.js';
import type { Keyring } from './keyring/index.js';
import { codedValidationError } from './responses.js';
import { authenticateRequest, type EnforcementMode } from './request-headers.js';
import { required, type GatewayRequestContext } from './request-context.js';
import type { SecurityLog } from './security-log/index.js';
import { analyseOperation, DEFAULT_LIMITS, type OperationLimits } from './stages/analyse-operation.js';
import { auditEventsForRefusal, auditEventsForResult } from './stages/audit.js';
import type { Authenticator } from './stages/authenticate.js';
import { refuseUndeclaredRoots } from './stages/check-declared.js';
import { checkOperation } from './stages/check-operation.js';
import { checkRegisteredDocument, researchAnswered, researchQueryAuditEvent, type ResearchRun } from './stages/check-registered.js';
import type { MartBuilder } from './research-mart.js';
import { checkFeedQuality, type CatalogueLookup } from './stages/check-quality.js';
import { checkFeedReferences, type ReferenceLookup } from './stages/check-references.js';
import { commitRefusal, commitUse, GrantUseLostError } from './stages/consume-grant.js';
import { decideSubjects, grantInvalid, rowScopeOf, subjectRoots } from './stages/decide.js';
import { decryptAndMask } from './stages/decrypt-and-mask.js';
import { feedCheckAnswer, recordFeedWrites, recordRegistrations, recordWritesAbout, type AboutLookup } from './stages/feed-writes.js';
import { filteredDocumentInterner, filteredOperationCache, filterOperation, overrideRootArguments, type CoordinateDecider } from './stages/filter-operation.js';
import { protectWrites } from './stages/protect-writes.js';
import { resolvePurpose } from './stages/purpose.js';
import { looksUpResidents, resolveSubjects, type ResidentIndexLookup } from './stages/resolve-subjects.js';
import { nullRemovedSelections } from './stages/shape-result.js';
import { contextClaimsOf } from './stages/sign-context.js';
import { fetchSubgraphAnswer, type SubgraphFetchSettings } from './subgraph-fetch.js';

export interface LifecycleDependencies {
  authenticate: Authenticator;
  /** Field keys: blind indexes for lookups, encryption of protected writes, decryption of results. */
  keyring: Keyring;
  /** Signs the audit log. */
  auditSigner: AuditSigner;
  /** Where refused probes go instead of the audit log. */
  securityLog: SecurityLog;
  lookupResident: ResidentIndexLookup;
  /** What hospital feed records reference: residents, practitioners, encounters. */
  lookupReferences: ReferenceLookup;
  /** The steward's catalogue entries feed records name (KNOWN_ITEM, UNIT). */
  lookupCatalogue: CatalogueLookup;
  /** The resident of the record a write is about (`@write(about:)`), for its audit entry. */
  lookupAbout: AboutLookup;
  db: Database;
  classifications: ClassificationMap;
  /** What each root field is, from the supergraph's declarations (readEnforcementDeclarations). */
  declarations: EnforcementDeclarations;
  /** Signing and timeout of every subgraph fetch. */
  fetchSettings: SubgraphFetchSettings;
  /** Subgraph URL → its name in the supergraph (the audience of its signed contexts). */
  subgraphByUrl: ReadonlyMap<string, string>;
  mode: EnforcementMode;
  limits?: OperationLimits;
  /** Schema introspection (dev mode only). */
  introspection: boolean;
  /** Builds research marts and removes withdrawn residents from them. */
  researchMart: MartBuilder;
}

/** What the lifecycle keeps per request in Hive Gateway's GraphQL context. */
export interface LifecycleContext {
  healthmesh: GatewayRequestContext;
  /** Set by the HTTP edge: the id this exchange's response carries. */
  requestId: string;
}

type Plugin = GatewayPlugin<LifecycleContext>;
type Args = ExecutionArgs & { contextValue: Partial<LifecycleContext> };

/** What a stage that runs before planning receives. */
interface BeforePlanning {
  state: GatewayRequestContext;
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Readonly<Record<string, unknown>>;
  /** Runs the plan with a changed document or variables (the runtime plans what it is given). */
  changeExecution(change: (args: ExecutionArgs) => ExecutionArgs): void;
  /** Answers without planning anything (the stages after planning still run). */
  skipPlanning(result: ExecutionResult): void;
}

/** What a stage that runs after planning receives, and may change. */
interface AfterPlanning {
  state: GatewayRequestContext;
  result: ExecutionResult;
  setResult(result: ExecutionResult): void;
}

interface Stage {
  name: string;
  before?: (input: BeforePlanning) => Promise<void> | void;
  after?: (input: AfterPlanning) => Promise<void> | void;
}

function stateOf(context: Partial<LifecycleContext>): GatewayRequestContext {
  if (!context.healthmesh) throw new Error('lifecycle: authenticate did not run');
  return context.healthmesh;
}

/**
 * A stage as an Envelop plugin: `before` in onExecute (a GraphQLError it throws becomes the result and
 * stops execution), `after` in that hook's onExecuteDone. The schema stages see has the platform's scalars.
 */
function stagePlugin(stage: Stage, platformSchema: (schema: GraphQLSchema) => GraphQLSchema): Plugin {
  return {
    onExecute: async ({ args, executeFn, setExecuteFn, setResultAndStopExecution }) => {
      const typedArgs = args as Args;
      const state = stateOf(typedArgs.contextValue);
      if (stage.before) {
        try {
          const before = stage.before;
          await inStageSpan(stage.name, () => before({
            state,
            schema: platformSchema(args.schema),
            document: args.document,
            operationName: args.operationName ?? undefined,
            variables: (args.variableValues ?? {}) as Record<string, unknown>,
            changeExecution: (change) => setExecuteFn((executionArgs) => executeFn(change(executionArgs))),
            skipPlanning: (result) => setExecuteFn(() => result),
          }));
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          state.refusal = error;
          setResultAndStopExecution({ errors: [error] });
          return undefined;
        }
      }
      const after = stage.after;
      if (!after) return undefined;
      return {
        onExecuteDone: async ({ result, setResult }) => {
          // Subscriptions and incremental delivery are off: a result is always a single one.
          if (Symbol.asyncIterator in result) throw new Error('lifecycle: streamed results are not supported');
          await inStageSpan(stage.name, () => after({ state, result, setResult }));
        },
      };
    },
  };
}

/** The ordered lifecycle: every plugin Hive Gateway runs for a healthmesh request. */
export function enforcementLifecycle(dependencies: LifecycleDependencies): Plugin[] {
  const platformSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();
  const platformSchema = (schema: GraphQLSchema): GraphQLSchema => {
    let mapped = platformSchemas.get(schema);
    if (!mapped) {
      mapped = withPlatformScalars(schema);
      platformSchemas.set(schema, mapped);
    }
    return mapped;
  };
  const stages: Stage[] = [
    refusalAudit(dependencies),
    checkOperationStage,
    analyse(dependencies),
    checkDeclared(dependencies),
    checkRegistered(dependencies),
    buildApprovedMarts(dependencies),
    purpose(dependencies),
    resolve(dependencies),
    decide(dependencies),
    filter(dependencies),
    checkQuality(dependencies),
    checkReferences(dependencies),
    protect(dependencies),
    signContext,
    researchContext,
    shape,
    decryptMask(dependencies),
    consumeGrantAndAudit(dependencies),
  ];
  return [
    authenticate(dependencies),
    platformValidation(platformSchema, dependencies.introspection),
    ...stages.map((stage) => stagePlugin(stage, platformSchema)),
    signEachFetch(dependencies),
  ];
}

/** Authenticate: the caller and the request's headers become the request's state (before execution). */
function authenticate({ authenticate: verify }: LifecycleDependencies): Plugin {
  return {
    onContextBuilding: async ({ context, extendContext }) => {
      const request = (context as { request: Request }).request;
      const requestId = (context as Partial<LifecycleContext>).requestId;
      if (!requestId) throw new Error('lifecycle: the HTTP edge gave no request id');
      const state = await authenticateRequest((name) => request.headers.get(name) ?? undefined, verify, requestId);
      annotateActor(state.actor);
      extendContext({ healthmesh: state });
    },
  };
}

/**
 * Validation against the API schema with the platform's scalars (a literal `before: "garbage"` is
 * refused as a variable would be), safe string literals, and no introspection outside dev mode.
 */
function platformValidation(platformSchema: (schema: GraphQLSchema) => GraphQLSchema, introspection: boolean): Plugin {
  const extraRules: ValidationRule[] = [SafeStringLiteralsRule, KnownRootTypeRule, ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  // The parse cache hands back the same document for the same text: validate each document once.
  const validated = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();
  return {
    onValidate: ({ setValidationFn }) => {
      setValidationFn((schema, document, rules, _typeInfo, options) => {
        let bySchema = validated.get(schema);
        if (!bySchema) validated.set(schema, (bySchema = new WeakMap()));
        let errors = bySchema.get(document);
        if (!errors) {
          errors = validate(platformSchema(schema), document, [...(rules ?? []), ...extraRules], options).map(codedValidationError);
          bySchema.set(document, errors);
        }
        return errors;
      });
    },
  };
}

/** An operation of a root type the API does not have (no subscriptions here) is invalid, not an execution failure. */
const KnownRootTypeRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) context.reportError(new GraphQLError(`This API has no ${node.operation} operations.`, { nodes: [node] }));
  },
});

const refusalAudit = ({ db, auditSigner, securityLog, declarations }: LifecycleDependencies): Stage => ({
  name: 'refusal-audit',
  /**
   * A refused operation that named residents is audited as DENIED for each of them (fail closed); an
   * anonymous caller's, or one naming residents the platform does not know, goes to the security log.
   */
  after: async ({ state }) => {
    if (!state.refusal || !state.analysis) return;
    const roots = subjectRoots(state.analysis, state.actor, declarations, state.resolvedSubjects);
    if (roots.length === 0) return;
    await commitRefusal(db, auditEventsForRefusal(state, roots, String(state.refusal.extensions['code'] ?? 'REFUSED')), auditSigner, { context: state, securityLog });
  },
});

const checkOperationStage: Stage = {
  name: 'check-operation',
  before: ({ state, schema, document, operationName, variables }) => {
    const operation = getOperationAST(document, operationName) ?? undefined;
    state.operation = checkOperation(schema, operation, operationName, variables);
    const name = state.operation.name?.value;
    annotateRequest({ ...(name ? { operationName: name } : {}), operationType: state.operation.operation });
  },
};

const analyse = ({ limits }: LifecycleDependencies): Stage => ({
  name: 'analyse',
  before: ({ state, schema, document, variables }) => {
    state.analysis = analyseOperation(schema, document, required(state, 'operation', 'analyse'), variables, limits ?? DEFAULT_LIMITS);
  },
});

const checkDeclared = ({ declarations }: LifecycleDependencies): Stage => ({
  name: 'check-declared',
  before: ({ state }) => refuseUndeclaredRoots(required(state, 'analysis', 'check-declared'), declarations),
});

/** The research requests that passed check-registered, by request state. */
const researchRuns = new WeakMap<GatewayRequestContext, ResearchRun>();

const checkRegistered = ({ db, declarations, researchMart, auditSigner }: LifecycleDependencies): Stage => ({
  name: 'check-registered',
  before: async ({ state, document }) => {
    const analysis = required(state, 'analysis', 'check-registered');
    const run = await checkRegisteredDocument({ db, actor: state.actor, analysis, declarations, document });
    if (!run) return;
    researchRuns.set(state, run);
    try {
      await researchMart.ensureBuilt(run.scenario, state.requestId);
      await researchMart.forgetLapsed(run.scenario, state.requestId);
    } catch (error) {
      // Not answered: the reserved query goes back to the quota.
      await releaseResearchQuery(db, run.scenario.id);
      throw error;
    }
  },
  /** Every research query is audited: scenario, document hash, rows or cells returned (no audit, no response). */
  after: async ({ state, result }) => {
    const run = researchRuns.get(state);
    if (!run || !state.actor) return;
    const answered = researchAnswered(result);
    // Only answered queries count: a refusal (the research subgraph's repeat or differencing check) gives its reservation back.
    if (!answered) await releaseResearchQuery(db, run.scenario.id);
    const event = researchQueryAuditEvent(run, { requestId: state.requestId, actor: state.actor, operationName: state.operation?.name?.value, at: new Date() }, (result.data ?? null) as Record<string, unknown> | null, answered);
    // Appended the one way entries are: batched with every other request's by the group commit.
    await (answered ? commitUse : commitRefusal)(db, [event], auditSigner);
  },
});

/**
 * A write declared `@write(reviewsScenario:)` that approved its scenario (the last required approval)
 * builds the scenario's mart before answering (DESIGN §7, "on approval"), so the researcher's first
 * query finds it built. The approval is committed either way: a build that fails is logged and left to
 * the first research query, which builds a mart not yet built (as after a restart).
 */
const buildApprovedMarts = ({ db, declarations, researchMart }: LifecycleDependencies): Stage => ({
  name: 'build-approved-marts',
  after: async ({ state, result }) => {
    if (!state.analysis || state.refusal || !result.data) return;
    for (const field of state.analysis.rootFields) {
      const declaration = rootDeclaration(declarations, state.analysis.operationType, field.name);
      if (declaration?.kind !== 'write' || !declaration.reviewsScenario || !result.data[field.responseKey]) continue;
      const scenarioId = field.arguments[declaration.reviewsScenario];
      if (typeof scenarioId !== 'string') continue;
      const scenario = await scenarioById(db, scenarioId);
      if (scenario?.status !== 'APPROVED') continue;
      try {
        await researchMart.ensureBuilt(scenario, state.requestId);
      } catch (error) {
        requestLogger().error({ scenarioId, error: describeError(error) }, 'building an approved scenario’s mart failed; the first research query builds it');
      }
    }
  },
});

const purpose = ({ declarations }: LifecycleDependencies): Stage => ({
  name: 'purpose',
  before: ({ state }) => {
    const analysis = required(state, 'analysis', 'purpose');
    const readsResidentData = subjectRoots(analysis, state.actor, declarations).length > 0 || looksUpResidents(analysis, declarations);
    const resolved = resolvePurpose(state.actor, state.purpose, state.breakGlassReason, readsResidentData);
    if (resolved) state.purpose = resolved;
  },
});

const resolve = ({ keyring, lookupResident, declarations }: LifecycleDependencies): Stage => ({
  name: 'resolve-subjects',
  before: async ({ state }) => {
    const analysis = required(state, 'analysis', 'resolve-subjects');
    state.resolvedSubjects = await resolveSubjects(analysis, state.actor, state.requestId, (kind, value) => keyring.blindIndex(kind, value), lookupResident, declarations);
  },
});

const decide = ({ db, classifications, declarations }: LifecycleDependencies): Stage => ({
  name: 'decide',
  before: async ({ state }) => {
    state.subjects = await decideSubjects(
      db,
      {
        actor: state.actor,
        ...(state.purpose ? { purpose: state.purpose } : {}),
        ...(state.breakGlassReason ? { breakGlassReason: state.breakGlassReason } : {}),
        ...(state.grantToken ? { grantToken: state.grantToken } : {}),
      },
      required(state, 'analysis', 'decide'),
      classifications,
      declarations,
      required(state, 'resolvedSubjects', 'decide'),
    );
    const scope = rowScopeOf(state.subjects);
    if (scope) state.scope = scope;
  },
});

/**
 * Under roots that read no particular resident (declared platform data, writes, a resident root with
 * no resident to read): a classified field is released as its platform resolver scopes it, an
 * identifying (encrypted) one never (there is no decision about whose it is), and a field without a
 * classification never either (deny by default, as under resident roots).
 */
function outsideResidentRootsDecider(classifications: ClassificationMap): CoordinateDecider {
  return (coordinate) => {
    const classification = classifications.get(coordinate);
    if (!classification) {
      return { effect: 'denied', code: ERROR_CODES.FORBIDDEN, reason: 'This field has no data classification.', missing: { category: 'DEMOGRAPHICS', need: 'role' } };
    }
    if (!classification.encrypted) return { effect: 'clear', basis: 'PUBLIC' };
    return {
      effect: 'denied',
      code: ERROR_CODES.FORBIDDEN,
      reason: 'Identifying fields are only released when reading a resident.',
      missing: { category: classification.category, need: 'role' },
    };
  };
}

const filter = ({ mode, classifications }: LifecycleDependencies): Stage => {
  const intern = filteredDocumentInterner();
  const cached = filteredOperationCache(intern);
  const outsideResidentRoots = outsideResidentRootsDecider(classifications);
  return {
    name: 'filter',
    before: ({ state, schema, changeExecution, skipPlanning }) => {
      const analysis = required(state, 'analysis', 'filter');
      const byRootKey = new Map(required(state, 'subjects', 'filter').map((subject) => [subject.rootKey, subject]));
      const shapes = analysis.rootFields.map((field) => byRootKey.get(field.responseKey)?.shapeKey ?? '');
      const filtered = cached(schema, analysis, shapes, () => filterOperation(schema, analysis, (rootKey) => byRootKey.get(rootKey)?.decide ?? outsideResidentRoots));
      const overrides = new Map([...(state.resolvedSubjects ?? [])].map(([rootKey, subject]) => [rootKey, subject.argument]));
      const rewritten = overrideRootArguments(filtered, overrides);
      state.filtered = rewritten.filtered;
      const [firstRemoval] = state.filtered.removed;
      if (mode === 'reject' && firstRemoval) {
        throw new GraphQLError(`The operation selects data you may not read: ${state.filtered.removed.map((r) => r.path.join('.')).join(', ')}.`, {
          extensions: { code: firstRemoval.decision.code, missing: state.filtered.removed.map((r) => r.decision.missing) },
        });
      }
      if (state.filtered.empty) {
        skipPlanning({ data: {} });
        return;
      }
      // The runtime plans this document under its own text: a plan made for a wider caller is never reused.
      // (A cached filtered document is interned already; one with rewritten root arguments is new.)
      const document = overrides.size > 0 ? intern(state.filtered.document) : state.filtered.document;
      const variables = rewritten.variables;
      changeExecution((args) => ({ ...args, document, variableValues: { ...args.variableValues, ...variables } }));
    },
  };
};

const checkQuality = ({ lookupCatalogue, declarations }: LifecycleDependencies): Stage => ({
  name: 'check-quality',
  before: ({ state }) => checkFeedQuality(required(state, 'analysis', 'check-quality'), state.actor, state.requestId, lookupCatalogue, declarations),
});

const checkReferences = ({ lookupReferences, declarations }: LifecycleDependencies): Stage => ({
  name: 'check-references',
  before: async ({ state, skipPlanning }) => {
    const analysis = required(state, 'analysis', 'check-references');
    await checkFeedReferences(analysis, state.actor, state.requestId, lookupReferences, declarations);
    // A check that passed is answered here: no data key is used, no subgraph asked, nothing written or audited.
    const answer = feedCheckAnswer(analysis, declarations);
    if (!answer) return;
    state.feedCheckOnly = true;
    skipPlanning({ data: answer });
  },
});

const protect = ({ keyring, declarations }: LifecycleDependencies): Stage => ({
  name: 'protect-writes',
  before: async ({ state, variables, changeExecution }) => {
    const analysis = required(state, 'analysis', 'protect-writes');
    if (state.feedCheckOnly) return;
    const overrides = await protectWrites(analysis.operation, analysis.rootFields.map((field) => field.node), variables, keyring, declarations);
    state.variableOverrides = overrides;
    if (Object.keys(overrides).length > 0) changeExecution((args) => ({ ...args, variableValues: { ...args.variableValues, ...overrides } }));
  },
});

const researchContext: Stage = {
  name: 'research-context',
  before: ({ state }) => {
    const run = researchRuns.get(state);
    if (run) state.contextClaims = { ...required(state, 'contextClaims', 'research-context'), scenario: { id: run.scenario.id, use: 'query' } };
  },
};

const signContext: Stage = {
  name: 'sign-context',
  before: ({ state }) => {
    required(state, 'filtered', 'sign-context');
    state.contextClaims = contextClaimsOf(state);
  },
};

/**
 * Sign each fetch: `onFetch` sees the body exactly as it will be sent (after planning, with whatever
 * the planner inlined), so the digest covers those bytes; the fetch has the configured timeout, and a
 * failed one answers as an error at its part of the answer, never naming the subgraph.
 */
function signEachFetch({ fetchSettings, subgraphByUrl }: LifecycleDependencies): Plugin {
  return {
    onFetch: ({ url, options, context, endResponse }) => {
      const subgraph = subgraphByUrl.get(url);
      const claims = (context as Partial<LifecycleContext>).healthmesh?.contextClaims;
      // Fail loudly: an unsigned fetch would only be refused by the subgraph, further from the cause.
      if (!subgraph) throw new Error('a fetch to a URL that is no subgraph of the supergraph');
      if (!claims) throw new Error('sign-context stage did not run before a subgraph fetch');
      if (typeof options.body !== 'string') throw new Error('a subgraph fetch whose body is not a string');
      const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined), 'content-type': 'application/json' };
      delete headers[CONTEXT_HEADER];
      endResponse(fetchSubgraphAnswer(url, { subgraph, body: options.body, claims, headers }, fetchSettings));
    },
  };
}

const shape: Stage = {
  name: 'shape',
  after: ({ state, result, setResult }) => {
    const data = result.data as Record<string, unknown> | null | undefined;
    if (!data) return;
    const denials = nullRemovedSelections(data, required(state, 'filtered', 'shape').removed);
    if (denials.length > 0) setResult({ ...result, errors: [...(result.errors ?? []), ...denials] });
  },
};

const decryptMask = ({ classifications, keyring }: LifecycleDependencies): Stage => ({
  name: 'decrypt-and-mask',
  after: async ({ state, result, setResult }) => {
    const data = result.data as Record<string, unknown> | null | undefined;
    if (!data) return;
    const residentOfRoot = new Map((state.subjects ?? []).map((subject) => [subject.rootKey, subject.residentId]));
    const denials = await decryptAndMask({ data, released: required(state, 'filtered', 'decrypt-and-mask').released, residentOfRoot, classifications, keyring });
    if (denials.length > 0) setResult({ ...result, errors: [...(result.errors ?? []), ...denials] });
  },
});

const consumeGrantAndAudit = ({ db, auditSigner, securityLog, classifications, declarations, lookupAbout }: LifecycleDependencies): Stage => ({
  name: 'consume-grant-and-audit',
  after: async ({ state, result, setResult }) => {
    const data = (result.data ?? null) as Record<string, unknown> | null;
    const subjects = state.subjects ?? [];
    if (subjects.length > 0) {
      const routing = { context: state, securityLog };
      try {
        await commitUse(db, auditEventsForResult(state, data, classifications), auditSigner, routing);
      } catch (error) {
        if (!(error instanceof GrantUseLostError)) throw error;
        await commitRefusal(db, auditEventsForRefusal(state, subjects, 'GRANT_INVALID'), auditSigner, routing);
        // The same refusal as when decide already saw the grant used up: one code, one status, one body.
        setResult({ errors: [grantInvalid('USED_UP')] });
        return;
      }
    }
    await recordFeedWrites(db, state, data, auditSigner, declarations);
    await recordRegistrations(db, state, data, auditSigner, declarations);
    await recordWritesAbout(db, state, data, auditSigner, declarations, lookupAbout);
  },
});
