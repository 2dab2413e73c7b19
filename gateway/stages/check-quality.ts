/**
 * Stage 4b, check quality: every record of a hospital feed passes the quality rules of the catalogue
 * (schema/feed-quality.ts, kept as data: required fields, allowed values, code systems and versions,
 * units, ranges, no future dates, chronology, own institution), before its references are looked up
 * and before anything is written. One refusal names every bad record: BAD_USER_INPUT with the first
 * breach's field and rule, and `violations` listing each `{ field, rule }`; nothing is written.
 */
import { feedInstitutionOf, mayFeedFor } from '../../consent/index.js';
import type { Actor } from '../../schema/context.js';
import type { EnforcementDeclarations } from '../../schema/enforcement.js';
import { FEED_RECORD_KINDS, qualityRule, qualityViolations, type FeedMutation } from '../../schema/feed-quality.js';
import type { OperationAnalysis } from './analyse-operation.js';
import { badInput, MAX_REPORTED_VIOLATIONS } from './check-references.js';
import { feedCallsOf } from './feed-writes.js';

/** Refuses the operation when one of its feed records breaks a quality rule. */
export function checkFeedQuality(analysis: OperationAnalysis, actor: Actor | null, declarations: EnforcementDeclarations): void {
  const calls = feedCallsOf(analysis, declarations);
  // Who may push feeds at all is check-references' refusal (FORBIDDEN), which follows: nothing is reported to anyone else.
  if (calls.length === 0 || !feedInstitutionOf(actor)) return;
  const context = { now: new Date(), mayWriteFor: (institutionId: string) => mayFeedFor(actor, institutionId) };
  const violations: Array<{ field: string; rule: string }> = [];
  for (const { field, write, records } of calls) {
    if (!Object.hasOwn(FEED_RECORD_KINDS, field.name)) continue;
    const kind = FEED_RECORD_KINDS[field.name as FeedMutation];
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
