/**
 * Stage 2c, check registered (DESIGN §7, §10): an operation on the research roots (declared
 * `@research(scenario:)` in the schema) runs only as one of its scenario's registered documents, by
 * the scenario's researcher, while the scenario is approved and within its period, and within its
 * quota (reserved atomically, one conditional UPDATE; given back when the query is then refused, so
 * only answered queries count). Anything else is refused before planning:
 * OPERATION_NOT_REGISTERED, SCENARIO_NOT_APPROVED, QUOTA_EXCEEDED, or FORBIDDEN by the policy.
 */
import { GraphQLError, type DocumentNode } from 'graphql';
import { countResearchQuery, decidePlatform, documentId, RESEARCH_PURPOSE, scenarioById, type AuditEvent, type Executor, type ScenarioRecord } from '../../consent/index.js';
import type { Actor } from '../../schema/context.js';
import { rootDeclaration, type EnforcementDeclarations } from '../../schema/enforcement.js';
import { ERROR_CODES } from '../../schema/errors.js';
import type { OperationAnalysis } from './analyse-operation.js';

/** A research request that passed: its scenario and the registered document it runs. */
export interface ResearchRun {
  scenario: ScenarioRecord;
  documentId: string;
}

export interface RegisteredDocumentCheck {
  db: Executor;
  actor: Actor | null;
  analysis: Pick<OperationAnalysis, 'operationType' | 'rootFields'>;
  declarations: EnforcementDeclarations;
  /** The request's document, as sent (its text is what was registered). */
  document: DocumentNode;
  now?: Date;
}

function refuse(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** Undefined for an operation without research roots; the run when it may go ahead; else throws. */
export async function checkRegisteredDocument({ db, actor, analysis, declarations, document, now = new Date() }: RegisteredDocumentCheck): Promise<ResearchRun | undefined> {
  const roots = analysis.rootFields.map((field) => ({ field, declaration: rootDeclaration(declarations, analysis.operationType, field.name) }));
  const research = roots.filter((root) => root.declaration?.kind === 'research');
  if (research.length === 0) return undefined;
  if (research.length !== roots.length) throw refuse(ERROR_CODES.OPERATION_NOT_REGISTERED, 'A research document selects research roots only; send one of your scenario’s registered documents.');
  if (!actor) throw refuse(ERROR_CODES.UNAUTHENTICATED, 'Sign in to run a research scenario’s documents.');
  const scenarioIds = new Set(research.map(({ field, declaration }) => field.arguments[(declaration as { argument: string }).argument]));
  const [scenarioId] = scenarioIds;
  if (scenarioIds.size !== 1 || typeof scenarioId !== 'string') throw refuse(ERROR_CODES.OPERATION_NOT_REGISTERED, 'A research document runs under one scenario.');
  const scenario = await scenarioById(db, scenarioId, now);
  // Unknown and someone else's scenario get the same answer: the policy's reason, nothing about the scenario.
  const ownership = decidePlatform(actor, 'read', { type: 'ResearchField', attributes: { researcherSub: scenario?.applicantSub ?? '', scenarioStatus: 'APPROVED' } });
  if (!scenario || !ownership.allowed) throw refuse(ERROR_CODES.FORBIDDEN, ownership.allowed ? 'Research fields are for the researcher of an approved scenario.' : ownership.reason);
  const text = document.loc?.source.body;
  const id = text === undefined ? undefined : documentId(text);
  if (!id || !scenario.documentIds.includes(id)) {
    throw refuse(ERROR_CODES.OPERATION_NOT_REGISTERED, 'This document is not registered for the scenario; send one of its registered documents unchanged, or its SHA-256 as extensions.persistedQuery.sha256Hash.');
  }
  if (scenario.status !== 'APPROVED') throw refuse(ERROR_CODES.SCENARIO_NOT_APPROVED, `The scenario is ${scenario.status}; its documents run only while it is approved and before its end date.`);
  const refusal = await countResearchQuery(db, scenario.id, now);
  if (refusal === 'QUOTA_EXCEEDED') throw refuse(ERROR_CODES.QUOTA_EXCEEDED, `The scenario’s query quota (${scenario.queryQuota}) is used up.`);
  if (refusal) throw refuse(ERROR_CODES.SCENARIO_NOT_APPROVED, 'The scenario is no longer approved or has ended.');
  return { scenario, documentId: id };
}

/** Whether a research request was answered: data for every root (a refusal leaves its root null). */
export function researchAnswered(result: { data?: Record<string, unknown> | null; errors?: readonly unknown[] | undefined }): boolean {
  if (!result.data || (result.errors?.length ?? 0) > 0) return false;
  return Object.values(result.data).every((value) => value !== null && value !== undefined);
}

/** What a research query's audit entry records: scenario, document hash, and the rows or cells returned (no resident). */
export function researchQueryAuditEvent(
  run: ResearchRun,
  request: { requestId: string; actor: Actor; operationName?: string | undefined; at: Date },
  data: Record<string, unknown> | null,
  answered: boolean,
): AuditEvent {
  let returned = 0;
  for (const value of Object.values(data ?? {})) {
    const answer = value as { edges?: unknown[]; cells?: unknown[] } | null;
    returned += answer?.edges?.length ?? answer?.cells?.length ?? 0;
  }
  return {
    requestId: request.requestId,
    actorSub: request.actor.sub,
    actorRole: request.actor.role,
    institutionId: request.actor.institutionId ?? null,
    residentId: null,
    purpose: RESEARCH_PURPOSE,
    scenarioId: run.scenario.id,
    operationHash: run.documentId,
    operationName: request.operationName ?? null,
    fieldsByCategory: { RESEARCH: run.scenario.fields },
    deniedByCategory: {},
    rowsReturned: returned,
    outcome: answered ? 'ALLOWED' : 'DENIED',
    at: request.at,
  };
}
