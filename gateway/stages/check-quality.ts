/**
 * Stage 4b, check quality: every record of a hospital feed passes the quality rules of the catalogue
 * (schema/feed-quality.ts, kept as data: required fields, allowed values, code systems and versions,
 * units, ranges, no future dates, chronology, own institution), before its references are looked up
 * and before anything is written. One refusal names every bad record: BAD_USER_INPUT with the first
 * breach's field and rule, and `violations` listing each `{ field, rule }`; nothing is written.
 *
 * KNOWN_ITEM and UNIT read the catalogue the steward maintains (the results subgraph's), looked up once
 * per operation for the codes its records name, never cached: an item the steward adds or changes holds
 * for the next batch on every gateway replica, with nothing to invalidate, for one indexed query per
 * batch of up to hundreds of records (a batch's write costs far more).
 */
import { feedInstitutionOf, mayFeedFor } from '../../consent/index.js';
import type { Actor } from '../../schema/context.js';
import type { EnforcementDeclarations } from '../../schema/enforcement.js';
import { catalogueCodesOf, feedCatalogue, FEED_RECORD_KINDS, qualityRule, qualityViolations, type FeedCatalogueItem, type FeedMutation } from '../../schema/feed-quality.js';
import { MAX_REFERENCE_LOOKUP } from '../../subgraphs/runtime/reference-lookup.js';
import type { OperationAnalysis } from './analyse-operation.js';
import { badInput, MAX_REPORTED_VIOLATIONS, type LookupCaller } from './check-references.js';
import { feedCallsOf } from './feed-writes.js';

/** The steward's catalogue entries whose code or LOINC is one of `codes`. */
export type CatalogueLookup = (codes: readonly string[], caller: LookupCaller) => Promise<readonly FeedCatalogueItem[]>;

/** Refuses the operation when one of its feed records breaks a quality rule. */
export async function checkFeedQuality(analysis: OperationAnalysis, actor: Actor | null, requestId: string, lookupCatalogue: CatalogueLookup, declarations: EnforcementDeclarations): Promise<void> {
  const calls = feedCallsOf(analysis, declarations);
  // Who may push feeds at all is check-references' refusal (FORBIDDEN), which follows: nothing is reported to anyone else.
  if (calls.length === 0 || !actor || !feedInstitutionOf(actor)) return;
  const batches = calls.flatMap(({ field, write, records }) => (Object.hasOwn(FEED_RECORD_KINDS, field.name) ? [{ kind: FEED_RECORD_KINDS[field.name as FeedMutation], write, records }] : []));
  const codes = new Set(batches.flatMap(({ kind, records }) => records.flatMap((record) => catalogueCodesOf(kind, record))));
  if (codes.size > MAX_REFERENCE_LOOKUP) throw badInput(`One operation names at most ${MAX_REFERENCE_LOOKUP} distinct catalogue codes.`);
  const catalogue = feedCatalogue(codes.size > 0 ? await lookupCatalogue([...codes], { actor, requestId }) : []);
  const context = { now: new Date(), mayWriteFor: (institutionId: string) => mayFeedFor(actor, institutionId), catalogue };
  const violations: Array<{ field: string; rule: string }> = [];
  for (const { kind, write, records } of batches) {
    records.forEach((record, index) => {
      const at = `${write.argument}[${index}]`;
      for (const breach of qualityViolations(kind, record, context)) violations.push({ field: breach.field ? `${at}.${breach.field}` : at, rule: breach.rule });
    });
  }
  const [first] = violations;
  if (!first) return;
  const others = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
  throw badInput(`${first.field}: ${qualityRule(first.rule).message}${others}; nothing was written.`, {
    field: first.field,
    rule: first.rule,
    violations: violations.slice(0, MAX_REPORTED_VIOLATIONS),
  });
}
