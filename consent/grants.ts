/**
 * Per-use grants: a bearer token for a bounded number of uses within a time window. Only the token's
 * SHA-256 is stored. Consumption is one conditional UPDATE, so two concurrent uses of a one-use grant
 * cannot both succeed; the caller runs it in the same transaction as the audit write.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { and, eq, gt, isNull, sql, type Placeholder } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import type { DataCategory, SensitivityLevel } from '../schema/classification.js';
import type { PurposeOfUse } from '../schema/context.js';
import { executedRows, type Database } from '../subgraphs/runtime/database.js';
import { accessGrants, type AccessGrantRow } from './tables.js';

/** A transaction or the database: grant and audit writes compose inside one transaction. */
export type Executor = Pick<Database, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

export const GRANT_TOKEN_PREFIX = 'hmg_';

export function hashGrantToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Grant tokens are derived from the grant id with a platform secret (HMAC-SHA-256), so the requester
 * can fetch theirs again from `AccessRequest.grantToken` while the database holds only its hash.
 */
export function grantTokenFor(secret: Uint8Array, grantId: string): string {
  return `${GRANT_TOKEN_PREFIX}${createHmac('sha256', secret).update(grantId, 'utf8').digest('base64url')}`;
}

export interface NewGrant {
  requestId: string;
  residentId: string;
  granteeSub: string;
  granteeInstitutionId: string;
  categories: DataCategory[];
  purpose: PurposeOfUse;
  maxLevel: SensitivityLevel;
  uses: number;
  validFrom: Date;
  validUntil: Date;
  consentId?: string | null;
}

/** Issues a grant; returns the row and the bearer token (derived, never stored). */
export async function issueGrant(db: Executor, secret: Uint8Array, grant: NewGrant): Promise<{ row: AccessGrantRow; token: string }> {
  const id = `grant-${randomUUID()}`;
  const token = grantTokenFor(secret, id);
  const [row] = await db
    .insert(accessGrants)
    .values({
      id,
      tokenHash: hashGrantToken(token),
      requestId: grant.requestId,
      residentId: grant.residentId,
      granteeSub: grant.granteeSub,
      granteeInstitutionId: grant.granteeInstitutionId,
      categories: grant.categories,
      purpose: grant.purpose,
      maxLevel: grant.maxLevel,
      usesAllowed: grant.uses,
      usesRemaining: grant.uses,
      validFrom: grant.validFrom,
      validUntil: grant.validUntil,
      consentId: grant.consentId ?? null,
    })
    .returning();
  return { row: row!, token };
}

/** Why a presented grant cannot be used; each maps to GRANT_INVALID. */
export type GrantProblem = 'UNKNOWN' | 'REVOKED' | 'EXPIRED' | 'NOT_YET_VALID' | 'USED_UP' | 'OTHER_RESIDENT' | 'OTHER_GRANTEE' | 'OTHER_PURPOSE';

export type GrantCheck = { ok: true; grant: AccessGrantRow } | { ok: false; problem: GrantProblem; grant?: AccessGrantRow };

/** The grant a token's hash names (at most one row): a query to await or to embed in another. */
export function grantByTokenHashQuery(db: Executor, tokenHash: string | Placeholder) {
  return db.select().from(accessGrants).where(eq(accessGrants.tokenHash, tokenHash));
}

/** Looks a presented token up and checks it against this use (read-only; consumption comes later). */
export async function checkGrant(
  db: Executor,
  token: string,
  use: { residentId: string; granteeSub: string; purpose: PurposeOfUse | undefined; now?: Date },
): Promise<GrantCheck> {
  const [grant] = await grantByTokenHashQuery(db, hashGrantToken(token));
  return judgeGrant(grant, use);
}

/** Whether the grant a token named (or none) serves this use, and if not why. */
export function judgeGrant(grant: AccessGrantRow | undefined, use: { residentId: string; granteeSub: string; purpose: PurposeOfUse | undefined; now?: Date }): GrantCheck {
  if (!grant) return { ok: false, problem: 'UNKNOWN' };
  const now = use.now ?? new Date();
  const fail = (problem: GrantProblem): GrantCheck => ({ ok: false, problem, grant });
  if (grant.granteeSub !== use.granteeSub) return fail('OTHER_GRANTEE');
  if (grant.revokedAt) return fail('REVOKED');
  if (grant.validFrom > now) return fail('NOT_YET_VALID');
  if (grant.validUntil <= now) return fail('EXPIRED');
  if (grant.usesRemaining <= 0) return fail('USED_UP');
  if (grant.residentId !== use.residentId) return fail('OTHER_RESIDENT');
  if (use.purpose && grant.purpose !== use.purpose) return fail('OTHER_PURPOSE');
  return { ok: true, grant };
}

/** A grant that can give a use at `now`: unrevoked, in its window, a use left (checked in the UPDATE itself). */
function hasUseLeft(now: Date) {
  return and(
    gt(accessGrants.usesRemaining, 0),
    isNull(accessGrants.revokedAt),
    sql`${accessGrants.validFrom} <= ${now.toISOString()}::timestamptz`,
    sql`${accessGrants.validUntil} > ${now.toISOString()}::timestamptz`,
  );
}

/**
 * Consumes one use atomically: succeeds only if the grant is still unrevoked, in its window and has a
 * use left at the moment of the UPDATE. Returns the remaining uses, or `undefined` if it could not.
 */
export async function consumeGrantUse(db: Executor, grantId: string, now = new Date()): Promise<number | undefined> {
  const rows = await db
    .update(accessGrants)
    .set({ usesRemaining: sql`${accessGrants.usesRemaining} - 1` })
    .where(and(eq(accessGrants.id, grantId), hasUseLeft(now)))
    .returning({ usesRemaining: accessGrants.usesRemaining });
  return rows[0]?.usesRemaining;
}

/**
 * Consumes uses of several grants in one statement, on the same conditions as `consumeGrantUse`:
 * `wanted` maps each grant to the uses asked of it; the answer maps each grant that gave any to how
 * many it gave (at most what it had left). The grants' rows are locked first (`for update`), so
 * under concurrent consumers (another gateway's batch) each takes only what the committed row still
 * holds: no use is given twice, none is lost.
 */
export async function consumeGrantUses(db: Executor, wanted: ReadonlyMap<string, number>, now = new Date()): Promise<Map<string, number>> {
  const asked = [...wanted].filter(([, uses]) => uses > 0);
  if (asked.length === 0) return new Map();
  for (const [grantId, uses] of asked) if (!Number.isInteger(uses)) throw new RangeError(`consumeGrantUses: ${uses} uses of ${grantId}`);
  const rows = executedRows<{ id: string; taken: number | string }>(
    await db.execute(sql`
      with wanted(id, uses) as (values ${sql.join(
        asked.map(([grantId, uses]) => sql`(${grantId}::text, ${uses}::int)`),
        sql`, `,
      )}),
      locked as (
        select ${accessGrants.id} as id, ${accessGrants.usesRemaining} as remaining, wanted.uses
        from ${accessGrants} join wanted on wanted.id = ${accessGrants.id}
        where ${hasUseLeft(now)}
        for update of ${sql.identifier(ACCESS_GRANT_TABLE_NAME)})
      update ${accessGrants} set uses_remaining = locked.remaining - least(locked.remaining, locked.uses)
      from locked where ${accessGrants.id} = locked.id
      returning ${accessGrants.id} as id, least(locked.remaining, locked.uses) as taken`),
  );
  return new Map(rows.map((row) => [row.id, Number(row.taken)]));
}

/** `for update of` names the table as the query's FROM does: unqualified. */
const ACCESS_GRANT_TABLE_NAME = getTableConfig(accessGrants).name;

/** Revokes grants (by id, or every grant a consent auto-approved); takes effect on the next request. */
export async function revokeGrants(db: Executor, where: { grantId: string } | { consentId: string }, now = new Date()): Promise<number> {
  const condition = 'grantId' in where ? eq(accessGrants.id, where.grantId) : eq(accessGrants.consentId, where.consentId);
  const rows = await db
    .update(accessGrants)
    .set({ revokedAt: now })
    .where(and(condition, isNull(accessGrants.revokedAt)))
    .returning({ id: accessGrants.id });
  return rows.length;
}
