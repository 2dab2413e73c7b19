import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import { isAnyOf } from '../runtime/bulk-insert.js';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { districtName } from '../../schema/districts.js';
import { rootIs } from '../../schema/enforcement.js';
import { boundedPageSize } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { institutions, practitioners, type InstitutionRow, type PractitionerRow } from './tables.js';
import { Institution, Practitioner } from './types.js';

function toInstitution(row: InstitutionRow): Institution {
  return { ...row, districtName: districtName(row.districtCode) ?? row.districtCode };
}

type PractitionerWithInstitutionId = Omit<Practitioner, 'institution'> & { institutionId: string };

function toPractitioner(row: PractitionerRow): PractitionerWithInstitutionId {
  return { id: row.id, name: row.name, title: row.title, department: row.department, institutionId: row.institutionId };
}

export async function loadInstitutions(context: SubgraphContext, ids: readonly string[]): Promise<Map<string, Institution>> {
  if (ids.length === 0) return new Map();
  const rows = await context.db.select().from(institutions).where(inArray(institutions.id, [...ids]));
  return new Map(rows.map((row) => [row.id, toInstitution(row)]));
}

export async function loadPractitioners(context: SubgraphContext, ids: readonly string[]): Promise<Map<string, PractitionerWithInstitutionId>> {
  if (ids.length === 0) return new Map();
  const rows = await context.db.select().from(practitioners).where(isAnyOf(practitioners.id, ids));
  return new Map(rows.map((row) => [row.id, toPractitioner(row)]));
}

@Resolver(() => Institution)
export class InstitutionResolver {
  @Query(() => [Institution], { description: 'Institutions of the region (public), ordered by id; at most 100 per page.' })
  @Directive(rootIs.platform)
  async institutions(
    @Ctx() context: SubgraphContext,
    @Arg('districtCode', () => String, { nullable: true }) districtCode?: string,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Return institutions whose id sorts after this one.' }) after?: string,
  ): Promise<Institution[]> {
    const conditions: SQL[] = [];
    if (districtCode) conditions.push(eq(institutions.districtCode, districtCode));
    if (after) conditions.push(gt(institutions.id, after));
    const rows = await context.db
      .select()
      .from(institutions)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(asc(institutions.id))
      .limit(boundedPageSize(first, 50));
    return rows.map(toInstitution);
  }

  @Query(() => Institution, { nullable: true })
  @Directive(rootIs.platform)
  async institution(@Arg('id', () => ID) id: string, @Ctx() context: SubgraphContext): Promise<Institution | null> {
    return (await loadInstitutions(context, [id])).get(id) ?? null;
  }
}

@Resolver(() => Practitioner)
export class PractitionerResolver {
  @Query(() => Practitioner, { nullable: true })
  @Directive(rootIs.platform)
  async practitioner(@Arg('id', () => ID) id: string, @Ctx() context: SubgraphContext): Promise<PractitionerWithInstitutionId | null> {
    return (await loadPractitioners(context, [id])).get(id) ?? null;
  }

  @FieldResolver(() => Institution)
  async institution(@Root() practitioner: PractitionerWithInstitutionId, @Ctx() context: SubgraphContext): Promise<Institution | null> {
    return (await loadInstitutions(context, [practitioner.institutionId])).get(practitioner.institutionId) ?? null;
  }
}
