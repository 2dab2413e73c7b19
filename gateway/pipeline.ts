/**
 * The one place the gateway's request pipeline is assembled, in order:
 *   1 authenticate (context function) → 2 analyse → 3 purpose → 4 decide → 6 sign context → (plan, fetch)
 * Each stage is a small function in gateway/stages/, testable alone; a stage that needs an earlier
 * stage's output reads it with `required(...)`, which fails loudly when the order is broken.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { PURPOSES_OF_USE, type PurposeOfUse } from '../schema/context.js';
import { ERROR_CODES } from '../schema/errors.js';
import { required, type GatewayRequestContext } from './request-context.js';
import { analyseOperation, DEFAULT_LIMITS, type OperationLimits } from './stages/analyse-operation.js';
import type { Authenticator } from './stages/authenticate.js';
import { decideRowScope, namedSubjects } from './stages/decide.js';
import type { ContextSigner } from './stages/sign-context.js';

export const PURPOSE_HEADER = 'x-purpose-of-use';
export const GRANT_HEADER = 'x-access-grant';
export const BREAK_GLASS_HEADER = 'x-break-glass-reason';

export interface PipelineDependencies {
  authenticate: Authenticator;
  signContext: ContextSigner;
  limits?: OperationLimits;
}

type ResolvedRequest = GraphQLRequestContextDidResolveOperation<GatewayRequestContext>;
type Stage = (request: ResolvedRequest, dependencies: PipelineDependencies) => Promise<void> | void;

/** Stage 1: builds the request context from HTTP headers (runs before parsing). */
export async function authenticateRequest(request: IncomingMessage, authenticate: Authenticator): Promise<GatewayRequestContext> {
  const actor = await authenticate(header(request, 'authorization'));
  const context: GatewayRequestContext = { requestId: randomUUID(), actor };
  const purpose = header(request, PURPOSE_HEADER);
  if (purpose !== undefined) context.purpose = parsePurpose(purpose);
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

const analyse: Stage = (request, { limits }) => {
  // Apollo Server only reaches didResolveOperation with a resolved operation; absence is a bug.
  if (!request.operation) throw new Error('pipeline: analyse ran without a resolved operation');
  request.contextValue.analysis = analyseOperation(
    request.schema,
    request.document,
    request.operation,
    request.request.variables ?? {},
    limits ?? DEFAULT_LIMITS,
  );
};

const decide: Stage = (request) => {
  const { actor } = request.contextValue;
  const analysis = required(request.contextValue, 'analysis', 'decide');
  const scope = decideRowScope(actor, namedSubjects(analysis, actor));
  if (scope) request.contextValue.scope = scope;
};

const signContext: Stage = async (request, { signContext: sign }) => {
  const context = request.contextValue;
  required(context, 'analysis', 'sign-context');
  context.signedContext = await sign({
    requestId: context.requestId,
    actor: context.actor,
    ...(context.purpose ? { purpose: context.purpose } : {}),
    ...(context.scope ? { scope: context.scope } : {}),
  });
};

/** The stages that run once the operation is parsed and validated, in order. */
const STAGES: ReadonlyArray<readonly [string, Stage]> = [
  ['analyse', analyse],
  ['decide', decide],
  ['sign-context', signContext],
];

/** The Apollo Server plugin that runs the stages before the gateway plans the operation. */
export function enforcementPipeline(dependencies: PipelineDependencies): ApolloServerPlugin<GatewayRequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          for (const [, stage] of STAGES) await stage(request, dependencies);
        },
      };
    },
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
