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
import { executedRows, type Database } from '../subgraphs/runtime/database.js';
import type { Executor } from './grants.js';
import { researchScenarios, scenarioMembers } from './scenario-tables.js';

/** The purpose of use of research (HL7 v3 HRESCH). */
export const RESEARCH_PURPOSE = 'HRESCH';

export interface ScenarioCohortKey {
  id: string;
  categories: readonly DataCategory[];
}

/**
 * The residents whose consents permit research for the scenario now, with the earliest end of the
 * consents that permit it (null when none ends), as a query to run or embed: of everyone (a build),
 * or of `among` (a subquery of resident ids: the members due a check before a query).
 */
function consentingResidentsQuery(scenario: ScenarioCohortKey, now: Date, among?: SQL): SQL {
  const at = now.toISOString();
  const amongOnly = among ? sql`where resident_id in (${among})` : sql``;
  const categories = sql.join(scenario.categories.map((c) => sql`${c}`), sql`, `);
  return sql`
    with latest as (
      select distinct on (consent_id) resident_id, categories, provision, status, purposes, recipient_kind, recipient_id, valid_from, valid_until
      from consent.consent_version ${amongOnly} order by consent_id, version desc
    ), research as (
      select resident_id, provision, valid_until, c.category from latest, jsonb_array_elements_text(latest.categories) as c(category)
      where status = 'ACTIVE' and valid_from <= ${at}::timestamptz and (valid_until is null or valid_until > ${at}::timestamptz)
        and purposes @> ${JSON.stringify([RESEARCH_PURPOSE])}::jsonb
        and (recipient_kind = 'ANYONE' or (recipient_kind = 'SCENARIO' and recipient_id = ${scenario.id}))
        and c.category in (${categories})
    ), permitted as (
      select resident_id, min(valid_until) as until from research where provision = 'PERMIT'
      group by resident_id having count(distinct category) = ${scenario.categories.length}::int
    )
    select resident_id, until from permitted where resident_id not in (select resident_id from research where provision = 'DENY')`;
}

/** The residents whose consents permit research for the scenario now, in id order. */
export async function researchConsentingResidents(db: Executor, scenario: ScenarioCohortKey, now = new Date()): Promise<string[]> {
  const result = await db.execute(sql`select resident_id from (${consentingResidentsQuery(scenario, now)}) k order by resident_id`);
  return executedRows<{ resident_id: string }>(result).map((row) => row.resident_id);
}

/** Whether the scenario's mart has been built (and when). */
export async function martBuiltAt(db: Executor, scenarioId: string): Promise<Date | null> {
  const [row] = await db.select({ at: researchScenarios.martBuiltAt }).from(researchScenarios).where(eq(researchScenarios.id, scenarioId));
  return row?.at ?? null;
}

/**
 * The scenario's members after a build, and when it finished (one transaction). Each member starts
 * due a check: a consent changed while the build read the region had no member row to mark yet.
 */
export async function recordMartBuilt(db: Executor, scenarioId: string, residentIds: readonly string[], at = new Date()): Promise<void> {
  await db.delete(scenarioMembers).where(eq(scenarioMembers.scenarioId, scenarioId));
  for (let start = 0; start < residentIds.length; start += 1000) {
    const chunk = residentIds.slice(start, start + 1000);
    if (chunk.length > 0) await db.insert(scenarioMembers).values(chunk.map((residentId) => ({ scenarioId, residentId, addedAt: at, pendingChecks: 1 })));
  }
  await db.update(researchScenarios).set({ martBuiltAt: at }).where(eq(researchScenarios.id, scenarioId));
}

/**
 * A consent of the resident changed (in the same transaction as the change): every scenario they are
 * a member of checks them again before its next query.
 */
export async function markMembersForCheck(db: Executor, residentId: string): Promise<void> {
  await db
    .update(scenarioMembers)
    .set({ pendingChecks: sql`${scenarioMembers.pendingChecks} + 1` })
    .where(eq(scenarioMembers.residentId, residentId));
}

/**
 * Members whose consent no longer permits the scenario. Only members due a check are read: one whose
 * consent changed since its last check (`markMembersForCheck`), or whose permitting consent has ended
 * since (`consent_until`), so the check before every query costs the changes, not the cohort. A member
 * still permitted is cleared of the checks it was due when read (a change committed meanwhile keeps
 * it due); checks of one scenario are serialised, so two gateways never clear each other's.
 */
export async function lapsedScenarioMembers(db: Database, scenario: ScenarioCohortKey, now = new Date()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`scenario-members:${scenario.id}`}))`);
    const rows = executedRows<{ resident_id: string; pending: number | string; permitted: boolean; until: string | Date | null }>(
      await tx.execute(sql`
        with due as (
          select ${scenarioMembers.residentId} as resident_id, ${scenarioMembers.pendingChecks} as pending from ${scenarioMembers}
          where ${scenarioMembers.scenarioId} = ${scenario.id}
            and (${scenarioMembers.pendingChecks} > 0 or ${scenarioMembers.consentUntil} <= ${now.toISOString()}::timestamptz)
        ), consenting as (${consentingResidentsQuery(scenario, now, sql`select resident_id from due`)})
        select due.resident_id, due.pending, consenting.resident_id is not null as permitted, consenting.until
        from due left join consenting on consenting.resident_id = due.resident_id
        order by due.resident_id`),
    );
    const kept = rows.filter((row) => row.permitted);
    if (kept.length > 0) {
      await tx.execute(sql`
        update ${scenarioMembers} set pending_checks = greatest(${scenarioMembers.pendingChecks} - v.seen, 0), consent_until = v.until
        from (values ${sql.join(
          kept.map((row) => sql`(${row.resident_id}::text, ${Number(row.pending)}::int, ${row.until === null ? null : new Date(row.until).toISOString()}::timestamptz)`),
          sql`, `,
        )}) as v(resident_id, seen, until)
        where ${scenarioMembers.scenarioId} = ${scenario.id} and ${scenarioMembers.residentId} = v.resident_id`);
    }
    return rows.filter((row) => !row.permitted).map((row) => row.resident_id);
  });
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
