/**
 * Who is in a scenario's mart, as the trust core knows it (DESIGN §7): residents whose current consent
 * permits research for every category the scenario reads (a consent naming the scenario, or research
 * by anyone, for purpose HRESCH) and none of whose research consents denies one of them. The mart
 * holds only pseudonyms; the members are kept here so that a withdrawn consent removes the resident
 * before the next research query, whichever gateway answers it.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DataCategory } from '../schema/classification.js';
import type { Actor } from '../schema/context.js';
import { appendAuditEntries, type AuditSigner } from './audit.js';
import { executedRows } from '../subgraphs/runtime/database.js';
import type { Executor } from './grants.js';
import { researchScenarios, scenarioMembers } from './scenario-tables.js';

/** The purpose of use of research (HL7 v3 HRESCH). */
export const RESEARCH_PURPOSE = 'HRESCH';

export interface ScenarioCohortKey {
  id: string;
  categories: readonly DataCategory[];
}

/**
 * The residents whose consents permit research for the scenario now, as a query to run or embed: of
 * everyone (a build), or of the mart's members only (the check before every query, which then reads
 * the consents of the members, not of the whole region).
 */
function consentingResidentsQuery(scenario: ScenarioCohortKey, now: Date, among: 'everyone' | 'members'): SQL {
  const at = now.toISOString();
  const amongMembers = among === 'members' ? sql`where resident_id in (select resident_id from consent.scenario_member where scenario_id = ${scenario.id})` : sql``;
  const categories = sql.join(scenario.categories.map((c) => sql`${c}`), sql`, `);
  return sql`
    with latest as (
      select distinct on (consent_id) resident_id, categories, provision, status, purposes, recipient_kind, recipient_id, valid_from, valid_until
      from consent.consent_version ${amongMembers} order by consent_id, version desc
    ), research as (
      select resident_id, provision, c.category from latest, jsonb_array_elements_text(latest.categories) as c(category)
      where status = 'ACTIVE' and valid_from <= ${at}::timestamptz and (valid_until is null or valid_until > ${at}::timestamptz)
        and purposes @> ${JSON.stringify([RESEARCH_PURPOSE])}::jsonb
        and (recipient_kind = 'ANYONE' or (recipient_kind = 'SCENARIO' and recipient_id = ${scenario.id}))
        and c.category in (${categories})
    )
    select resident_id from research where provision = 'PERMIT' group by resident_id having count(distinct category) = ${scenario.categories.length}::int
    except select resident_id from research where provision = 'DENY'`;
}

/** The residents whose consents permit research for the scenario now, in id order. */
export async function researchConsentingResidents(db: Executor, scenario: ScenarioCohortKey, now = new Date(), among: 'everyone' | 'members' = 'everyone'): Promise<string[]> {
  const result = await db.execute(sql`${consentingResidentsQuery(scenario, now, among)} order by resident_id`);
  return executedRows<{ resident_id: string }>(result).map((row) => row.resident_id);
}

/** Whether the scenario's mart has been built (and when). */
export async function martBuiltAt(db: Executor, scenarioId: string): Promise<Date | null> {
  const [row] = await db.select({ at: researchScenarios.martBuiltAt }).from(researchScenarios).where(eq(researchScenarios.id, scenarioId));
  return row?.at ?? null;
}

/** The scenario's members after a build, and when it finished (one transaction). */
export async function recordMartBuilt(db: Executor, scenarioId: string, residentIds: readonly string[], at = new Date()): Promise<void> {
  await db.delete(scenarioMembers).where(eq(scenarioMembers.scenarioId, scenarioId));
  for (let start = 0; start < residentIds.length; start += 1000) {
    const chunk = residentIds.slice(start, start + 1000);
    if (chunk.length > 0) await db.insert(scenarioMembers).values(chunk.map((residentId) => ({ scenarioId, residentId, addedAt: at })));
  }
  await db.update(researchScenarios).set({ martBuiltAt: at }).where(eq(researchScenarios.id, scenarioId));
}

/** Members whose consent no longer permits the scenario: one statement, only the lapsed come back. */
export async function lapsedScenarioMembers(db: Executor, scenario: ScenarioCohortKey, now = new Date()): Promise<string[]> {
  const result = await db.execute(sql`
    select resident_id from consent.scenario_member where scenario_id = ${scenario.id}
    except (${consentingResidentsQuery(scenario, now, 'members')})
    order by resident_id`);
  return executedRows<{ resident_id: string }>(result).map((row) => row.resident_id);
}

export async function removeScenarioMembers(db: Executor, scenarioId: string, residentIds: readonly string[]): Promise<void> {
  if (residentIds.length === 0) return;
  await db.delete(scenarioMembers).where(and(eq(scenarioMembers.scenarioId, scenarioId), inArray(scenarioMembers.residentId, [...residentIds])));
}

/**
 * One access-log entry per resident whose data went into the scenario's mart: research use, named by
 * the scenario's title (not the researcher's query), filed under the categories it read.
 */
export async function auditResearchUse(
  tx: Executor,
  signer: AuditSigner,
  use: { scenarioId: string; title: string; applicant: Actor; fieldsByCategory: Record<string, string[]>; requestId: string; at: Date },
  residentIds: readonly string[],
): Promise<void> {
  const operationHash = createHash('sha256').update(`research-mart:${use.scenarioId}`, 'utf8').digest('hex');
  for (let start = 0; start < residentIds.length; start += 1000) {
    await appendAuditEntries(
      tx,
      residentIds.slice(start, start + 1000).map((residentId) => ({
        requestId: use.requestId,
        actorSub: use.applicant.sub,
        actorRole: use.applicant.role,
        institutionId: use.applicant.institutionId ?? null,
        residentId,
        purpose: RESEARCH_PURPOSE,
        scenarioId: use.scenarioId,
        operationHash,
        operationName: use.title,
        fieldsByCategory: use.fieldsByCategory,
        deniedByCategory: {},
        rowsReturned: 1,
        outcome: 'ALLOWED',
        at: use.at,
      })),
      signer,
    );
  }
}
