/**
 * Stage 4c, check references: a hospital feed (declared `@feed`, its references `@reference`) writes only for residents the platform knows, with
 * practitioners and encounters of the sender's own institution (DESIGN §8). These references cross
 * domains (population, resources, clinical), and a subgraph never reads another's tables, so they are
 * checked here, before anything is written or a data key is made: one lookup per kind for the whole
 * operation, never one per record. A bad reference refuses the batch with BAD_USER_INPUT naming the
 * record's position and the rule (the reference rules of the quality catalogue, schema/feed-quality.ts),
 * and `violations` listing every breach.
 */
import { GraphQLError } from 'graphql';
import { feedInstitutionOf } from '../../consent/index.js';
import { qualityRule, type QualityRule } from '../../schema/feed-quality.js';
import type { Actor } from '../../schema/context.js';
import { sensitivityOfDepartment } from '../../schema/sensitivity.js';
import type { EnforcementDeclarations } from '../../schema/enforcement.js';
import { ERROR_CODES } from '../../schema/errors.js';
import { MAX_REFERENCE_LOOKUP } from '../../subgraphs/runtime/reference-lookup.js';
import type { OperationAnalysis } from './analyse-operation.js';
import { feedCallsOf, referenceOf, type FeedWrite, type ReferenceKind } from './feed-writes.js';

/** Who a lookup is made for: the sending system, under the request's id. */
export interface LookupCaller {
  actor: Actor;
  requestId: string;
}

/** The gateway's lookups of what feed records reference (each call answers for many ids). */
export interface ReferenceLookup {
  /** The ids, of these, that are residents the platform knows. */
  knownResidents(ids: readonly string[], caller: LookupCaller): Promise<ReadonlySet<string>>;
  /** Practitioner id → their institution and department, for the practitioners that exist. */
  practitioners(ids: readonly string[], caller: LookupCaller): Promise<ReadonlyMap<string, PractitionerFacts>>;
  /** Encounter id → its resident, for the encounters of the caller's own institution only. */
  ownEncounterResidents(ids: readonly string[], caller: LookupCaller): Promise<ReadonlyMap<string, string>>;
}

/** What a feed check needs to know about a referenced practitioner. */
export interface PractitionerFacts {
  institutionId: string;
  department: string;
}

/**
 * The catalogue rule each kind of reference must meet. A record attended by a practitioner of a
 * sensitive department (psychiatry, STD/HIV, reproductive medicine, genetics) must be recorded in a
 * sensitive department too (SENSITIVE_PRACTITIONER_DEPARTMENT): otherwise the record would be stored
 * below level 5 while its practitioner's department, shown with it, reveals what level 5 hides.
 */
const REFERENCE_RULES: Readonly<Record<ReferenceKind | 'practitionerDepartment', QualityRule>> = {
  resident: qualityRule('KNOWN_RESIDENT'),
  practitioner: qualityRule('OWN_PRACTITIONER'),
  encounter: qualityRule('OWN_ENCOUNTER'),
  practitionerDepartment: qualityRule('SENSITIVE_PRACTITIONER_DEPARTMENT'),
};

/** At most this many breaches are listed in `extensions.violations` (a whole batch's); the first is in the message. */
export const MAX_REPORTED_VIOLATIONS = 2_000;

export function badInput(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT, ...extensions, http: { status: 400 } } });
}

/** Refuses the operation when one of its feed records references what its sender may not write for. */
export async function checkFeedReferences(
  analysis: OperationAnalysis,
  actor: Actor | null,
  requestId: string,
  lookup: ReferenceLookup,
  declarations: EnforcementDeclarations,
): Promise<void> {
  const calls = feedCallsOf(analysis, declarations);
  if (calls.length === 0) return;
  if (!actor || !feedInstitutionOf(actor)) {
    throw new GraphQLError('Only a hospital system can push feed records.', { extensions: { code: ERROR_CODES.FORBIDDEN, http: { status: 403 } } });
  }
  // Alone, a batch's outcome is its operation's: a committed batch always returns its ids and is audited.
  if (analysis.rootFields.length > 1) throw badInput(`Send ${calls[0]!.field.name} as the only field of its operation.`);

  const wanted: Record<ReferenceKind, Set<string>> = { resident: new Set(), practitioner: new Set(), encounter: new Set() };
  for (const { write, records } of calls) {
    for (const record of records) {
      for (const [field, kind] of Object.entries(write.references)) {
        const value = referenceOf(record, field);
        if (value !== undefined) wanted[kind].add(value);
      }
    }
  }
  for (const [kind, ids] of Object.entries(wanted)) {
    if (ids.size > MAX_REFERENCE_LOOKUP) throw badInput(`One operation references at most ${MAX_REFERENCE_LOOKUP} distinct ${kind}s.`);
  }
  const caller = { actor, requestId };
  const [residents, practitioners, encounters] = await Promise.all([
    wanted.resident.size > 0 ? lookup.knownResidents([...wanted.resident], caller) : new Set<string>(),
    wanted.practitioner.size > 0 ? lookup.practitioners([...wanted.practitioner], caller) : new Map<string, PractitionerFacts>(),
    wanted.encounter.size > 0 ? lookup.ownEncounterResidents([...wanted.encounter], caller) : new Map<string, string>(),
  ]);
  const holds: Record<ReferenceKind, (value: string, record: unknown, write: FeedWrite) => boolean> = {
    resident: (value) => residents.has(value),
    practitioner: (value) => practitioners.get(value)?.institutionId === actor.institutionId,
    encounter: (value, record, write) => encounters.get(value) === referenceOf(record, write.residentField),
  };

  const violations: Array<{ field: string; rule: string; breach: string }> = [];
  for (const { write, records } of calls) {
    records.forEach((record, index) => {
      for (const [field, kind] of Object.entries(write.references)) {
        const value = referenceOf(record, field);
        if (value === undefined) continue;
        const rule = !holds[kind](value, record, write)
          ? REFERENCE_RULES[kind]
          : kind === 'practitioner' && revealsSensitiveDepartment(practitioners.get(value)!, record)
            ? REFERENCE_RULES.practitionerDepartment
            : undefined;
        if (rule) violations.push({ field: `${write.argument}[${index}].${field}`, rule: rule.id, breach: rule.message });
      }
    });
  }
  const [first] = violations;
  if (!first) return;
  const others = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
  throw badInput(`${first.field} ${first.breach}${others}; nothing was written.`, {
    field: first.field,
    rule: first.rule,
    violations: violations.slice(0, MAX_REPORTED_VIOLATIONS).map(({ field, rule }) => ({ field, rule })),
  });
}

function revealsSensitiveDepartment(practitioner: PractitionerFacts, record: unknown): boolean {
  if (sensitivityOfDepartment(practitioner.department) === 'NONE') return false;
  const department = referenceOf(record, 'department');
  return department === undefined || sensitivityOfDepartment(department) === 'NONE';
}
