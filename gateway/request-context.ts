/** What the gateway knows about one request as it moves through the pipeline's stages. */
import type { GraphQLError, OperationDefinitionNode } from 'graphql';
import type { Actor, GatewayContextClaims, PurposeOfUse, RowScope } from '../schema/context.js';
import type { OperationAnalysis } from './stages/analyse-operation.js';
import type { SubjectDecision } from './stages/decide.js';
import type { FilteredOperation } from './stages/filter-operation.js';
import type { ResolvedSubject } from './stages/resolve-subjects.js';

export interface GatewayRequestContext {
  requestId: string;
  /** Set by authenticate; `null` for an anonymous caller. */
  actor: Actor | null;
  purpose?: PurposeOfUse;
  /** `X-Access-Grant`, as presented. */
  grantToken?: string;
  /** `X-Break-Glass-Reason`, decoded. */
  breakGlassReason?: string;
  /** Set by check-operation: the operation the request runs. */
  operation?: OperationDefinitionNode;
  /** Set when a stage refused the operation (the refusal audit records it). */
  refusal?: GraphQLError;
  /** Set by analyse. */
  analysis?: OperationAnalysis;
  /** Set by resolve-subjects: residents found by identifier, by root response key. */
  resolvedSubjects?: Map<string, ResolvedSubject>;
  /** Set by check-references: the operation only checks feed records (`@feed(checkOnly:)`), so nothing is protected, planned or written. */
  feedCheckOnly?: boolean;
  /** Set by protect-writes: the input values the gateway substitutes (ciphertexts, blind indexes, minted ids). */
  variableOverrides?: Record<string, unknown>;
  /** Set by decide: one decision per root field that reads a resident. */
  subjects?: SubjectDecision[];
  /** Set by filter: the operation the gateway actually plans. */
  filtered?: FilteredOperation;
  /** Set by decide; absent means public data only. */
  scope?: RowScope;
  /** Set by sign-context; every subgraph fetch carries them, signed for that fetch alone. */
  contextClaims?: GatewayContextClaims;
}

/** Reads a stage's output, failing loudly when an earlier stage did not run. */
export function required<Key extends keyof GatewayRequestContext>(
  context: GatewayRequestContext,
  key: Key,
  stage: string,
): NonNullable<GatewayRequestContext[Key]> {
  const value = context[key];
  if (value === undefined || value === null) throw new Error(`pipeline: ${stage} needs "${String(key)}" from an earlier stage`);
  return value as NonNullable<GatewayRequestContext[Key]>;
}

/** What every audit entry of a request says about who asked, why and with which operation. */
export type AuditedRequest = Pick<GatewayRequestContext, 'requestId' | 'actor' | 'purpose' | 'breakGlassReason' | 'analysis'>;

/** What the result's audit needs besides: the decisions and what the filter kept and removed. */
export type DecidedRequest = AuditedRequest & Pick<GatewayRequestContext, 'subjects' | 'filtered'>;
