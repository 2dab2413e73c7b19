/**
 * The hospital-feed import behind `npm run import`: NDJSON records (one `{"kind": …, …record}` per
 * line) checked against the quality rules (schema/feed-quality.ts) before anything is sent, then
 * pushed through the gateway's bulk feed mutations in batches, where the same rules and the reference
 * rules are checked again and every batch is written all or nothing.
 *
 * By default one bad record anywhere means nothing is sent (a file whose records all pass the local
 * checks can still be refused by a reference rule: the refused batch writes nothing, the import stops,
 * and the report names what was committed before). With `acceptValid` the bad records are left out
 * and reported, the good ones stored.
 */
import { FEED_RECORD_KINDS, qualityRule, qualityViolations, type FeedMutation, type FeedRecordKind } from '../schema/feed-quality.js';

const MUTATION_OF: Readonly<Record<FeedRecordKind, FeedMutation>> = { encounter: 'recordEncounters', labReport: 'recordLabReports', immunization: 'recordImmunizations' };
const INPUT_TYPE_OF: Readonly<Record<FeedMutation, string>> = { recordEncounters: 'EncounterInput', recordLabReports: 'LabReportInput', recordImmunizations: 'ImmunizationInput' };
/** The largest batch each mutation takes. */
export const MAX_BATCH: Readonly<Record<FeedMutation, number>> = { recordEncounters: 500, recordLabReports: 200, recordImmunizations: 500 };

/** A line the import could not use, or a record a rule refused. */
export interface Rejection {
  /** 1-based line of the file. */
  line: number;
  kind: FeedRecordKind | null;
  /** The field at fault inside the record (`items[0].unit`), or '' for the whole line. */
  field: string;
  rule: string;
  message: string;
}

export interface ImportReport {
  mode: 'all-or-nothing' | 'accept-valid';
  records: number;
  stored: number;
  storedByKind: Record<FeedRecordKind, number>;
  rejected: Rejection[];
  /** Set when the import stopped before the end (a refused batch in all-or-nothing mode, or an error). */
  stoppedAt?: { line: number; reason: string };
  elapsedMs: number;
  recordsPerSecond: number;
}

export interface ImportOptions {
  /** The gateway's GraphQL endpoint. */
  url: string;
  /** Bearer token of the hospital system. */
  token: string;
  /** The sender's institution, for the local OWN_INSTITUTION check (the gateway's policy decides in the end). */
  institutionId: string | undefined;
  acceptValid: boolean;
  /** Records per request, at most each mutation's maximum. */
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
  /** Called with the ids of each batch written. */
  onStored?: (ids: readonly string[]) => void;
  now?: Date;
}

interface ParsedLine {
  line: number;
  kind: FeedRecordKind;
  record: Record<string, unknown>;
}

const KINDS = new Set<string>(Object.values(FEED_RECORD_KINDS));

/** Parses the file's lines: blank lines are skipped, anything else is a record or a rejection. */
export function parseFeedLines(text: string): { records: ParsedLine[]; rejected: Rejection[] } {
  const records: ParsedLine[] = [];
  const rejected: Rejection[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      rejected.push({ line, kind: null, field: '', rule: 'NOT_A_RECORD', message: 'the line is not JSON' });
      return;
    }
    const { kind, ...record } = (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
    if (typeof kind !== 'string' || !KINDS.has(kind)) {
      rejected.push({ line, kind: null, field: 'kind', rule: 'NOT_A_RECORD', message: `"kind" must be one of ${[...KINDS].join(', ')}` });
      return;
    }
    records.push({ line, kind: kind as FeedRecordKind, record });
  });
  return { records, rejected };
}

/** Imports the NDJSON text; never throws for bad records (they are in the report), only for a gateway it cannot talk to. */
export async function importFeed(text: string, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const { records, rejected } = parseFeedLines(text);
  const context = { now: options.now ?? new Date(), mayWriteFor: (id: string) => id === options.institutionId };
  const good: ParsedLine[] = [];
  for (const parsed of records) {
    const breaches = qualityViolations(parsed.kind, parsed.record, context);
    for (const { field, rule } of breaches) rejected.push({ line: parsed.line, kind: parsed.kind, field, rule, message: qualityRule(rule).message });
    if (breaches.length === 0) good.push(parsed);
  }
  const report: ImportReport = {
    mode: options.acceptValid ? 'accept-valid' : 'all-or-nothing',
    records: records.length + new Set(rejected.filter((r) => r.kind === null).map((r) => r.line)).size,
    stored: 0,
    storedByKind: { encounter: 0, labReport: 0, immunization: 0 },
    rejected,
    elapsedMs: 0,
    recordsPerSecond: 0,
  };
  const finish = (): ImportReport => {
    report.rejected.sort((a, b) => a.line - b.line);
    report.elapsedMs = performance.now() - started;
    report.recordsPerSecond = report.elapsedMs > 0 ? Math.round((report.stored * 1000) / report.elapsedMs) : 0;
    return report;
  };
  if (!options.acceptValid && rejected.length > 0) {
    report.stoppedAt = { line: rejected[0]!.line, reason: 'a record breaks a quality rule: nothing was sent' };
    return finish();
  }
  let done = rejected.length;
  options.onProgress?.(done, report.records);
  for (const batch of batches(good, options.batchSize)) {
    let pending = batch;
    // A refused batch wrote nothing: drop the records it names and send the rest again (accept-valid only).
    while (pending.length > 0) {
      const { refusal, ids } = await sendBatch(pending, options);
      if (!refusal) {
        options.onStored?.(ids);
        report.stored += pending.length;
        report.storedByKind[pending[0]!.kind] += pending.length;
        break;
      }
      const named = new Set<number>();
      for (const { index, field, rule } of refusal) {
        const parsed = pending[index];
        if (!parsed) continue;
        named.add(index);
        report.rejected.push({ line: parsed.line, kind: parsed.kind, field, rule, message: messageOf(rule) });
      }
      if (!options.acceptValid || named.size === 0) {
        report.stoppedAt = { line: pending[0]!.line, reason: named.size === 0 ? 'the gateway refused a batch without naming its records' : 'a batch was refused: it and everything after it were not written' };
        return finish();
      }
      pending = pending.filter((_, i) => !named.has(i));
    }
    done += batch.length;
    options.onProgress?.(done, report.records);
  }
  return finish();
}

function messageOf(rule: string): string {
  try {
    return qualityRule(rule).message;
  } catch {
    return rule;
  }
}

/**
 * Batches of one kind, at most `size` (and the mutation's maximum) each: encounters first (a lab report
 * may reference an encounter of the same file), then lab reports, then doses, each kind in file order.
 */
function* batches(records: readonly ParsedLine[], size: number): Generator<ParsedLine[]> {
  const order: readonly FeedRecordKind[] = ['encounter', 'labReport', 'immunization'];
  const sorted = order.flatMap((kind) => records.filter((record) => record.kind === kind));
  let current: ParsedLine[] = [];
  for (const record of sorted) {
    const limit = Math.min(size, MAX_BATCH[MUTATION_OF[record.kind]]);
    if (current.length > 0 && (current[0]!.kind !== record.kind || current.length >= limit)) {
      yield current;
      current = [];
    }
    current.push(record);
  }
  if (current.length > 0) yield current;
}

/** The ids written, or the refusal's breaches by position in the batch. */
async function sendBatch(batch: readonly ParsedLine[], options: ImportOptions): Promise<{ ids: string[]; refusal?: Array<{ index: number; field: string; rule: string }> }> {
  const mutation = MUTATION_OF[batch[0]!.kind];
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
    body: JSON.stringify({ query: `mutation($input: [${INPUT_TYPE_OF[mutation]}!]!) { ${mutation}(input: $input) }`, variables: { input: batch.map((b) => b.record) } }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  const ids = body.data?.[mutation];
  if (!body.errors && Array.isArray(ids) && ids.length === batch.length) return { ids: ids.map(String) };
  const [error] = body.errors ?? [];
  const code = error?.extensions?.['code'];
  if (code !== 'BAD_USER_INPUT') throw new Error(`the gateway refused the batch: ${String(code ?? response.status)} ${error?.message ?? ''}`.trim());
  const violations = (error!.extensions!['violations'] as Array<{ field: string; rule: string }> | undefined) ?? [{ field: String(error!.extensions!['field'] ?? ''), rule: String(error!.extensions!['rule'] ?? 'REFUSED') }];
  const refusal = violations.flatMap(({ field, rule }) => {
    const match = /^input\[(\d+)\]\.?(.*)$/.exec(field);
    return match ? [{ index: Number(match[1]), field: match[2]!, rule }] : [];
  });
  return { ids: [], refusal };
}
