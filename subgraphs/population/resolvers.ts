import { authorize, feedInstitutionOf, isAllowed, ownResidentIdOf } from '../../consent/policy.js';
import { eq, inArray } from 'drizzle-orm';
import { isAnyOf } from '../runtime/bulk-insert.js';
import { GraphQLError } from 'graphql';
import { Arg, Ctx, Directive, ID, Mutation, Query, Resolver } from 'type-graphql';
import { districtName, isKnownAreaCode } from '../../schema/districts.js';
import { ERROR_CODES, InvalidInputError } from '../../schema/errors.js';
import { looksLikeBlindIndex, looksLikeFieldCiphertext } from '../../schema/protected-value.js';
import { rootIs } from '../../schema/enforcement.js';
import { lookupIds } from '../runtime/reference-lookup.js';
import { mayReachResident, mayReadResidentCategory } from '../runtime/row-filter.js';
import type { SubgraphContext } from '../runtime/server.js';
import { residents, type ResidentRow } from './tables.js';
import { Resident, ResidentInput } from './types.js';


/** Maps a stored row to the GraphQL type; encrypted columns pass through as stored (the gateway decrypts). */
export function toResident(row: ResidentRow): Resident {
  return {
    id: row.id,
    name: row.name,
    sex: row.sex,
    birthDate: row.birthDate,
    idCardNumber: row.idCardNumber,
    healthCardNumber: row.healthCardNumber,
    phone: row.phone,
    address: row.address,
    district: { code: row.districtCode, name: districtName(row.districtCode) ?? row.districtCode },
    guardianId: row.guardianId,
  };
}

/**
 * Loads the residents the context reaches; others are indistinguishable from nonexistent. A resident
 * reached only through other categories (a clinical grant) comes back as its key alone: demographic
 * columns leave this subgraph only when DEMOGRAPHICS is open.
 */
export async function loadResidents(context: SubgraphContext, ids: readonly string[]): Promise<Map<string, Resident>> {
  const allowed = ids.filter((id) => mayReachResident(context.request, id));
  if (allowed.length === 0) return new Map();
  const rows = await context.db.select().from(residents).where(inArray(residents.id, allowed));
  return new Map(
    rows.map((row) => [row.id, mayReadResidentCategory(context.request, 'DEMOGRAPHICS', row.id) ? toResident(row) : { id: row.id }]),
  );
}

/** The resident whose blind-index column holds `index`, if the context reaches them. */
async function residentByIndex(context: SubgraphContext, column: typeof residents.idCardIndex | typeof residents.healthCardIndex, index: string): Promise<Resident | null> {
  const [row] = await context.db.select({ id: residents.id }).from(residents).where(eq(column, index));
  return row ? ((await loadResidents(context, [row.id])).get(row.id) ?? null) : null;
}

@Resolver(() => Resident)
export class ResidentResolver {
  @Query(() => Resident, { nullable: true, description: 'One resident by platform id (clinician; resident: self).' })
  @Directive(rootIs.subject('id'))
  async resident(@Arg('id', () => ID) id: string, @Ctx() context: SubgraphContext): Promise<Resident | null> {
    return (await loadResidents(context, [id])).get(id) ?? null;
  }

  @Query(() => Resident, {
    nullable: true,
    description: 'Finds a resident by ID-card number (clinician). The gateway replaces the number by its blind index before it reaches this subgraph, which matches on the index only.',
  })
  @Directive(rootIs.lookup('idCardNumber', 'ID_CARD'))
  async findResident(@Arg('idCardNumber', () => String) idCardIndex: string, @Ctx() context: SubgraphContext): Promise<Resident | null> {
    return residentByIndex(context, residents.idCardIndex, idCardIndex);
  }

  @Query(() => Resident, {
    nullable: true,
    description: 'Finds a resident by electronic health card number (电子健康卡; clinician). Like findResident, the gateway replaces the number by its blind index.',
  })
  @Directive(rootIs.lookup('healthCardNumber', 'HEALTH_CARD'))
  async findResidentByHealthCard(@Arg('healthCardNumber', () => String) healthCardIndex: string, @Ctx() context: SubgraphContext): Promise<Resident | null> {
    return residentByIndex(context, residents.healthCardIndex, healthCardIndex);
  }

  @Query(() => ID, {
    nullable: true,
    description:
      "Master patient index lookup by the blind index of an ID-card or a health card number (its kind is part of the index), for the gateway's subject resolution only (not in the API schema).",
  })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async residentIdByIdCardIndex(@Arg('index', () => String) index: string, @Ctx() context: SubgraphContext): Promise<string | null> {
    // Only the gateway can reach this (it is @inaccessible), on behalf of a clinician it authenticated.
    if (!isAllowed(context.request.actor, 'lookup', 'ResidentIndex')) return null;
    const column = looksLikeBlindIndex(index, 'healthCard') ? residents.healthCardIndex : residents.idCardIndex;
    const [row] = await context.db.select({ id: residents.id }).from(residents).where(eq(column, index));
    return row?.id ?? null;
  }

  @Query(() => [ID], {
    description: "Of these resident ids, the ones the platform knows: the gateway's check of a hospital feed's references only (not in the API schema).",
  })
  @Directive('@inaccessible')
  @Directive(rootIs.internal)
  async knownResidentIds(@Arg('ids', () => [ID]) ids: string[], @Ctx() context: SubgraphContext): Promise<string[]> {
    // A feed may only write for residents the platform knows, so its sender learns which ids exist, and nobody else.
    if (!feedInstitutionOf(context.request.actor)) return [];
    const distinct = lookupIds(ids);
    if (distinct.length === 0) return [];
    const rows = await context.db.select({ id: residents.id }).from(residents).where(isAnyOf(residents.id, distinct));
    return rows.map((row) => row.id);
  }

  @Query(() => Resident, { nullable: true, description: "The calling resident's own whole record." })
  @Directive(rootIs.ownRecord)
  async myArchive(@Ctx() context: SubgraphContext): Promise<Resident | null> {
    const self = ownResidentIdOf(context.request.actor);
    if (!self) return null;
    return (await loadResidents(context, [self])).get(self) ?? null;
  }

  @Mutation(() => Resident, {
    description: 'Registers a resident (HIS feed). The gateway validates the ID-card number and sex and encrypts the identifying fields.',
  })
  @Directive(rootIs.write({ newResident: 'id' }))
  async registerResident(@Arg('input', () => ResidentInput) input: ResidentInput, @Ctx() context: SubgraphContext): Promise<Resident> {
    const actor = context.request.actor;
    if (!actor) throw new GraphQLError('Only a hospital system can register residents.', { extensions: { code: ERROR_CODES.FORBIDDEN } });
    authorize(actor, 'register', 'Resident');
    // Plaintext identifiers are refused here: only the gateway's protected form is ever stored.
    const protectedFields = [input.name, input.idCardNumber, input.healthCardNumber, input.phone, input.address].filter((v) => v !== undefined && v !== null);
    const birthDate = input.birthDate ?? '';
    if (!input.id || !looksLikeBlindIndex(input.idCardIndex, 'idCard') || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate) || !protectedFields.every(looksLikeFieldCiphertext)) {
      throw new InvalidInputError('Identifying fields must arrive encrypted by the gateway.', { field: 'input' });
    }
    if (input.phone && !looksLikeBlindIndex(input.phoneIndex, 'phone')) throw new InvalidInputError('A phone needs its blind index.', { field: 'phone' });
    if (input.healthCardNumber && !looksLikeBlindIndex(input.healthCardIndex, 'healthCard')) {
      throw new InvalidInputError('A health card number needs its blind index.', { field: 'healthCardNumber' });
    }
    if (!['0', '1', '2', '9'].includes(input.sex)) throw new InvalidInputError('sex is a GB/T 2261.1 code: 0, 1, 2 or 9.', { field: 'sex' });
    if (!isKnownAreaCode(input.districtCode)) throw new InvalidInputError(`Unknown GB/T 2260 district code ${input.districtCode}.`, { field: 'districtCode' });
    // One statement: a concurrent registration of the same number loses on the unique index, not with a raw error.
    const [row] = await context.db
      .insert(residents)
      .values({
        id: input.id,
        name: input.name,
        sex: input.sex,
        birthDate,
        idCardNumber: input.idCardNumber,
        idCardIndex: input.idCardIndex,
        healthCardNumber: input.healthCardNumber ?? null,
        healthCardIndex: input.healthCardNumber ? (input.healthCardIndex ?? null) : null,
        phone: input.phone ?? null,
        phoneIndex: input.phone ? (input.phoneIndex ?? null) : null,
        address: input.address ?? null,
        districtCode: input.districtCode,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new InvalidInputError('A resident with this ID-card or health card number is already registered.', { field: 'idCardNumber' });
    return toResident(row);
  }
}
