/**
 * The one place the gateway's request pipeline is assembled, in order:
 *   1 authenticate            (context function, before parsing)
 *   1b check operation        one operation of a known root type; variables fit (platform scalars)
 *   2 analyse                 limits, selected coordinates, root fields
 *   2b check declared         every root field declared in the schema, else FORBIDDEN
 *   3 purpose                 X-Purpose-Of-Use, break-glass reason
 *   3b resolve subjects       a @lookup root → resident id via the blind index
 *   4 decide                  facts → CASL ability → per-field decision and row scope
 *   4b filter                 remove denied selections before planning (or reject the operation)
 *   4c check references       a HIS feed's residents, practitioners and encounters, before any write
 *   4d protect writes         validate, encrypt and blind-index identifying fields pushed by a HIS
 *   6 sign context            the claims every subgraph fetch carries (each fetch is signed on its own)
 *   — plan and fetch —        @apollo/gateway, through EnforcingGateway
 *   7 shape, decrypt and mask null + error at denied paths, masks
 *   5+8 consume grant + audit one transaction; no audit, no response
 * Each stage is a small function in gateway/stages/; a stage reading an earlier stage's output uses
 * `required(...)`, which fails loudly when the order is broken.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { ClassificationMap } from '../schema/classification.js';
import type { EnforcementDeclarations } from '../schema/enforcement.js';
import { PURPOSES_OF_USE, type PurposeOfUse } from '../schema/context.js';
import { ERROR_CODES } from '../schema/errors.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { required, type GatewayRequestContext } from './request-context.js';
import { analyseOperation, DEFAULT_LIMITS, type OperationLimits } from './stages/analyse-operation.js';
import { checkOperation } from './stages/check-operation.js';
import { auditEventsForRefusal } from './stages/audit.js';
import type { Authenticator } from './stages/authenticate.js';
import { commitRefusal } from './stages/consume-grant.js';
import { decideSubjects, rowScopeOf, subjectRoots } from './stages/decide.js';
import { filterOperation, overrideRootArguments, type CoordinateDecider } from './stages/filter-operation.js';
import { looksUpResidents, resolveSubjects, type ResidentIndexLookup } from './stages/resolve-subjects.js';
import { refuseUndeclaredRoots } from './stages/check-declared.js';
import { decodeBreakGlassReason, resolvePurpose } from './stages/purpose.js';
import { contextClaimsOf } from './stages/sign-context.js';
import { protectWrites } from './stages/protect-writes.js';
import { checkFeedReferences, type ReferenceLookup } from './stages/check-references.js';
import type { Keyring } from './keyring/index.js';
import type { AuditSigner } from '../consent/index.js';
import type { SecurityLog } from './security-log/index.js';

export const PURPOSE_HEADER = 'x-purpose-of-use';
export const GRANT_HEADER = 'x-access-grant';
export const BREAK_GLASS_HEADER = 'x-break-glass-reason';

/** `filter` (default) nulls denied fields with an error each; `reject` refuses the whole operation. */
export type EnforcementMode = 'filter' | 'reject';

export interface PipelineDependencies {
  authenticate: Authenticator;
  /** Field keys: blind indexes for lookups, encryption of protected writes. */
  keyring: Keyring;
  /** Signs the audit chain's checkpoints. */
  auditSigner: AuditSigner;
  /** Where refused probes go instead of the audit chain. */
  securityLog: SecurityLog;
  lookupResident: ResidentIndexLookup;
  /** What hospital feed records reference: residents, practitioners, encounters. */
  lookupReferences: ReferenceLookup;
  db: Database;
  classifications: ClassificationMap;
  /** What each root field is, from the supergraph's declarations (readEnforcementDeclarations). */
  declarations: EnforcementDeclarations;
  mode?: EnforcementMode;
  limits?: OperationLimits;
}

type ResolvedRequest = GraphQLRequestContextDidResolveOperation<GatewayRequestContext>;
type Stage = (request: ResolvedRequest, dependencies: PipelineDependencies) => Promise<void> | void;

/** Stage 1: builds the request context from HTTP headers (runs before parsing), under the HTTP exchange's request id. */
export async function authenticateRequest(request: IncomingMessage, authenticate: Authenticator, requestId: string): Promise<GatewayRequestContext> {
  const actor = await authenticate(header(request, 'authorization'));
  const context: GatewayRequestContext = { requestId, actor };
  const purpose = header(request, PURPOSE_HEADER);
  if (purpose !== undefined) context.purpose = parsePurpose(purpose);
  const grant = header(request, GRANT_HEADER)?.trim();
  if (grant) context.grantToken = grant;
  const reason = decodeBreakGlassReason(header(request, BREAK_GLASS_HEADER));
  if (reason) context.breakGlassReason = reason;
  return context;
}

function parsePurpose(value: string): PurposeOfUse {
  const code = value.trim().toUpperCase();
  if (!(PURPOSES_OF_USE as readonly string[]).includes(code)) {
    throw new GraphQLError(`Unknown purpose of use "${value.slice(0, 20)}"; use one of ${PURPOSES_OF_USE.join(', ')}.`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT, http: { status: 400 } },
    });
  }
  return code as PurposeOfUse;
}

const check: Stage = (request) => {
  checkOperation(request.schema, request.operation, request.request.operationName, request.request.variables ?? {});
};

const analyse: Stage = (request, { limits }) => {
  // check-operation refused a request without a resolved operation; absence here is a bug.
  if (!request.operation) throw new Error('pipeline: analyse ran without a resolved operation');
  request.contextValue.analysis = analyseOperation(request.schema, request.document, request.operation, request.request.variables ?? {}, limits ?? DEFAULT_LIMITS);
};

const checkDeclared: Stage = (request, { declarations }) => {
  refuseUndeclaredRoots(required(request.contextValue, 'analysis', 'check-declared'), declarations);
};

const purpose: Stage = (request, { declarations }) => {
  const context = request.contextValue;
  const analysis = required(context, 'analysis', 'purpose');
  const readsResidentData = subjectRoots(analysis, context.actor, declarations).length > 0 || looksUpResidents(analysis, declarations);
  const resolved = resolvePurpose(context.actor, context.purpose, context.breakGlassReason, readsResidentData);
  if (resolved) context.purpose = resolved;
};

const resolve: Stage = async (request, { keyring, lookupResident, declarations }) => {
  const context = request.contextValue;
  const analysis = required(context, 'analysis', 'resolve-subjects');
  context.resolvedSubjects = await resolveSubjects(analysis, context.actor, context.requestId, (kind, value) => keyring.blindIndex(kind, value), lookupResident, declarations);
};

const protect: Stage = async (request, { keyring, declarations }) => {
  const context = request.contextValue;
  const analysis = required(context, 'analysis', 'protect-writes');
  const overrides = await protectWrites(analysis.operation, analysis.rootFields.map((field) => field.node), request.request.variables ?? {}, keyring, declarations);
  context.variableOverrides = { ...context.variableOverrides, ...overrides };
};

const checkReferences: Stage = async (request, { lookupReferences, declarations }) => {
  const context = request.contextValue;
  await checkFeedReferences(required(context, 'analysis', 'check-references'), context.actor, context.requestId, lookupReferences, declarations);
};

const decide: Stage = async (request, { db, classifications, declarations }) => {
  const context = request.contextValue;
  const analysis = required(context, 'analysis', 'decide');
  context.subjects = await decideSubjects(
    db,
    {
      actor: context.actor,
      ...(context.purpose ? { purpose: context.purpose } : {}),
      ...(context.breakGlassReason ? { breakGlassReason: context.breakGlassReason } : {}),
      ...(context.grantToken ? { grantToken: context.grantToken } : {}),
    },
    analysis,
    classifications,
    declarations,
    required(context, 'resolvedSubjects', 'decide'),
  );
  const scope = rowScopeOf(context.subjects);
  if (scope) context.scope = scope;
};

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

const filter: Stage = (request, { mode, classifications }) => {
  const context = request.contextValue;
  const analysis = required(context, 'analysis', 'filter');
  const subjects = required(context, 'subjects', 'filter');
  const byRootKey = new Map(subjects.map((subject) => [subject.rootKey, subject]));
  const outsideResidentRoots = outsideResidentRootsDecider(classifications);
  const filtered = filterOperation(request.schema, analysis, (rootKey) => byRootKey.get(rootKey)?.decide ?? outsideResidentRoots);
  const overrides = new Map([...(context.resolvedSubjects ?? [])].map(([rootKey, subject]) => [rootKey, subject.argument]));
  const rewritten = overrideRootArguments(filtered, overrides);
  context.filtered = rewritten.filtered;
  context.variableOverrides = { ...context.variableOverrides, ...rewritten.variables };
  const [firstRemoval] = context.filtered.removed;
  if (mode === 'reject' && firstRemoval) {
    throw new GraphQLError(`The operation selects data you may not read: ${context.filtered.removed.map((r) => r.path.join('.')).join(', ')}.`, {
      extensions: { code: firstRemoval.decision.code, missing: context.filtered.removed.map((r) => r.decision.missing), http: { status: 403 } },
    });
  }
};

const signContext: Stage = (request) => {
  const context = request.contextValue;
  required(context, 'filtered', 'sign-context');
  context.contextClaims = contextClaimsOf(context);
};

/** The stages that run once the operation is parsed and validated, in order. */
const STAGES: ReadonlyArray<readonly [string, Stage]> = [
  ['check-operation', check],
  ['analyse', analyse],
  ['check-declared', checkDeclared],
  ['purpose', purpose],
  ['resolve-subjects', resolve],
  ['decide', decide],
  ['filter', filter],
  ['check-references', checkReferences],
  ['protect-writes', protect],
  ['sign-context', signContext],
];

/** The Apollo Server plugin that runs the stages before the gateway plans the operation. */
export function enforcementPipeline(dependencies: PipelineDependencies): ApolloServerPlugin<GatewayRequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          try {
            for (const [, stage] of STAGES) await stage(request, dependencies);
          } catch (error) {
            await auditRefusal(request, dependencies, error);
            throw error;
          }
        },
      };
    },
  };
}

/**
 * A refused operation that named residents is audited as DENIED for each of them (fail closed);
 * an anonymous caller's, or one naming residents the platform does not know, is a probe for the
 * security log instead.
 */
async function auditRefusal(request: ResolvedRequest, dependencies: PipelineDependencies, error: unknown): Promise<void> {
  const { db, auditSigner, securityLog } = dependencies;
  const context = request.contextValue;
  if (!(error instanceof GraphQLError) || !context.analysis) return;
  const roots = subjectRoots(context.analysis, context.actor, dependencies.declarations, context.resolvedSubjects);
  if (roots.length === 0) return;
  await commitRefusal(db, auditEventsForRefusal(context, roots, String(error.extensions['code'] ?? 'REFUSED')), auditSigner, { context, securityLog });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
