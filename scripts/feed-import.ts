/**
 * The hospital-feed import behind `npm run import`: NDJSON records (one `{"kind": …, …record}` per
 * line) checked against the quality rules (schema/feed-quality.ts) before anything is sent, then
 * pushed through the gateway's bulk feed mutations in batches, where the same rules and the reference
 * rules are checked again and every batch is written all or nothing.
 *
 * By default the whole file is all or nothing: one bad record anywhere means nothing is written. The
 * local checks run first; then every batch is sent as a check only (`checkOnly: true`: the gateway
 * runs the quality and reference rules and writes nothing), and only when the whole file passed are
 * the batches written. (Records reference only what the platform already holds: ids are the
 * platform's, so a record cannot name another record of the same file.) With `acceptValid` the bad
 * records are left out and reported, the good ones stored. Batches travel a few at a time
 * (`concurrency`), each written all or nothing.
 *
 * Between the check and the writes the reference rules cannot flip: no API removes or changes a
 * resident, a practitioner or an encounter, and ids are never reused. The catalogue rules can (a
 * steward edits an item), and a connection, a token or a subgraph can fail; each batch is its own
 * transaction, so the batches written before such a stop stay stored. The report then says exactly
 * which lines were (`storedLines`) and which batch's outcome is unknown (`unconfirmedLines`).
 */
import { FEED_CHECK_ONLY } from '../schema/enforcement.js';
import { DEFAULT_MAX_BODY_BYTES } from '../subgraphs/runtime/http.js';
import { feedCatalogue, FEED_RECORD_KINDS, MAX_FEED_BATCH, qualityRule, qualityViolations, type FeedCatalogue, type FeedCatalogueItem, type FeedMutation, type FeedRecordKind } from '../schema/feed-quality.js';

const MUTATION_OF = Object.fromEntries(Object.entries(FEED_RECORD_KINDS).map(([mutation, kind]) => [kind, mutation])) as Readonly<Record<FeedRecordKind, FeedMutation>>;
const INPUT_TYPE_OF: Readonly<Record<FeedMutation, string>> = {
  recordEncounters: 'EncounterInput',
  recordLabReports: 'LabReportInput',
  recordImagingReports: 'ImagingReportInput',
  recordImmunizations: 'ImmunizationInput',
};
/**
 * The records of one request at most this many bytes of JSON, below the gateway's body limit by
 * room for the query text and the variables' envelope.
 */
const BATCH_BODY_BYTES = DEFAULT_MAX_BODY_BYTES - 64_000;
/** Batches in flight at once: the gateway checks one while the database writes another. */
export const DEFAULT_CONCURRENCY = 3;

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

/** Lines `from` to `to` of the file (both included). */
export interface LineRange {
  from: number;
  to: number;
}

export interface ImportReport {
  mode: 'all-or-nothing' | 'accept-valid';
  records: number;
  stored: number;
  storedByKind: Record<FeedRecordKind, number>;
  /** Exactly the lines stored, as ranges: after a stop in the write phase, what the file left on the platform. */
  storedLines: LineRange[];
  /** Lines of batches sent for writing whose answer was an error other than a refusal naming records, or never came: not confirmed either way. */
  unconfirmedLines?: LineRange[];
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
  /** Batches in flight at once (default DEFAULT_CONCURRENCY); each is still written all or nothing. */
  concurrency?: number;
  /** Records checked (all-or-nothing mode checks the whole file first) or written so far, of all. */
  onProgress?: (done: number, total: number, phase: 'checking' | 'writing') => void;
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
  const context = { now: options.now ?? new Date(), mayWriteFor: (id: string) => id === options.institutionId, catalogue: await readCatalogue(options) };
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
    storedByKind: { encounter: 0, labReport: 0, immunization: 0, imagingReport: 0 },
    storedLines: [],
    rejected,
    elapsedMs: 0,
    recordsPerSecond: 0,
  };
  const storedLines: number[] = [];
  const unconfirmedLines: number[] = [];
  const finish = (): ImportReport => {
    report.rejected.sort((a, b) => a.line - b.line);
    report.storedLines = lineRanges(storedLines);
    if (unconfirmedLines.length > 0) report.unconfirmedLines = lineRanges(unconfirmedLines);
    report.elapsedMs = performance.now() - started;
    report.recordsPerSecond = report.elapsedMs > 0 ? Math.round((report.stored * 1000) / report.elapsedMs) : 0;
    return report;
  };
  const reject = (batch: readonly ParsedLine[], refusal: Refusal): Set<number> => {
    const named = new Set<number>();
    for (const { index, field, rule } of refusal) {
      const parsed = batch[index];
      if (!parsed) continue;
      named.add(index);
      report.rejected.push({ line: parsed.line, kind: parsed.kind, field, rule, message: messageOf(rule) });
    }
    return named;
  };
  if (!options.acceptValid && rejected.length > 0) {
    report.stoppedAt = { line: rejected[0]!.line, reason: 'a record breaks a quality rule: nothing was sent' };
    return finish();
  }
  const planned = [...batches(good, options.batchSize)];
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);

  if (!options.acceptValid) {
    // The whole file is checked (quality and reference rules, at the gateway) before anything is written:
    // a bad reference in the last batch must not leave the first ones stored.
    let checked = 0;
    let unnamed: ParsedLine | undefined;
    await eachConcurrently(planned, concurrency, async (batch) => {
      const { refusal } = await sendBatch(batch, options, true);
      if (refusal && reject(batch, refusal).size === 0) unnamed ??= batch[0];
      checked += batch.length;
      options.onProgress?.(checked, report.records, 'checking');
    });
    if (unnamed) {
      report.stoppedAt = { line: unnamed.line, reason: 'the gateway refused a batch without naming its records: nothing was written' };
      return finish();
    }
    if (report.rejected.length > 0) {
      report.stoppedAt = { line: Math.min(...report.rejected.map((r) => r.line)), reason: 'a record breaks a reference rule: nothing was written' };
      return finish();
    }
  }

  let done = rejected.length;
  options.onProgress?.(done, report.records, 'writing');
  await eachConcurrently(planned, concurrency, async (batch) => {
    // After a refusal in all-or-nothing mode no further batch starts (those already sent finish).
    if (report.stoppedAt) return;
    let pending = batch;
    // A refused batch wrote nothing: drop the records it names and send the rest again (accept-valid only).
    while (pending.length > 0) {
      let answer: Awaited<ReturnType<typeof sendBatch>>;
      try {
        answer = await sendBatch(pending, options, false);
      } catch (error) {
        // Earlier batches are stored: say exactly which lines, and that this one's fate is unknown, instead of losing the report.
        unconfirmedLines.push(...pending.map((p) => p.line));
        report.stoppedAt ??= { line: pending[0]!.line, reason: `${(error as Error).message}: the batches not yet sent were not written; see storedLines for what was` };
        return;
      }
      const { refusal, ids } = answer;
      if (!refusal) {
        options.onStored?.(ids);
        storedLines.push(...pending.map((p) => p.line));
        report.stored += pending.length;
        report.storedByKind[pending[0]!.kind] += pending.length;
        break;
      }
      const named = reject(pending, refusal);
      if (!options.acceptValid || named.size === 0) {
        // Checked a moment ago, refused now: the reference rules cannot flip (no resident, practitioner or
        // encounter is ever removed or changed), but a steward may have changed the catalogue in between.
        report.stoppedAt ??= {
          line: pending[0]!.line,
          reason:
            named.size === 0
              ? 'the gateway refused a batch without naming its records'
              : 'a batch that passed the check was refused when written (the catalogue changed in between): it and the batches not yet sent were not written; see storedLines for what was',
        };
        return;
      }
      pending = pending.filter((_, i) => !named.has(i));
    }
    done += batch.length;
    options.onProgress?.(done, report.records, 'writing');
  });
  return finish();
}

/** Sorted line numbers as ranges of consecutive lines. */
function lineRanges(lines: readonly number[]): LineRange[] {
  const ranges: LineRange[] = [];
  for (const line of [...lines].sort((a, b) => a - b)) {
    const last = ranges.at(-1);
    if (last && line === last.to + 1) last.to = line;
    else ranges.push({ from: line, to: line });
  }
  return ranges;
}

/** Runs `work` over the items with at most `concurrency` at a time, in order of start; the first failure fails all. */
async function eachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function messageOf(rule: string): string {
  try {
    return qualityRule(rule).message;
  } catch {
    return rule;
  }
}

/**
 * Batches of one kind, at most `size` (and the mutation's maximum) each, and small enough for the
 * gateway's body limit (a batch of large reports is split, never refused as a whole): encounters first (a lab report
 * may reference an encounter of the same file), then lab reports, then doses, each kind in file order.
 */
function* batches(records: readonly ParsedLine[], size: number): Generator<ParsedLine[]> {
  const order: readonly FeedRecordKind[] = ['encounter', 'labReport', 'imagingReport', 'immunization'];
  const sorted = order.flatMap((kind) => records.filter((record) => record.kind === kind));
  let current: ParsedLine[] = [];
  let bytes = 0;
  for (const record of sorted) {
    const limit = Math.min(size, MAX_FEED_BATCH[MUTATION_OF[record.kind]]);
    // A comma between records; the JSON of one record is what it adds to the request body.
    const recordBytes = Buffer.byteLength(JSON.stringify(record.record)) + 1;
    if (current.length > 0 && (current[0]!.kind !== record.kind || current.length >= limit || bytes + recordBytes > BATCH_BODY_BYTES)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += recordBytes;
  }
  if (current.length > 0) yield current;
}

/**
 * The steward's catalogue as the gateway checks it (KNOWN_ITEM, UNIT), read once through the public
 * `recognitionCatalogue`, so that a file naming an unknown examination or a wrong unit is refused here,
 * before anything is sent. The gateway checks again against the catalogue of the moment.
 */
async function readCatalogue(options: ImportOptions): Promise<FeedCatalogue> {
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
    body: JSON.stringify({ query: '{ recognitionCatalogue { code loinc modality bodyPart unit } }' }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: { recognitionCatalogue?: FeedCatalogueItem[] } | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  const items = body.data?.recognitionCatalogue;
  if (!Array.isArray(items)) throw new Error(`the gateway did not give the catalogue: ${String(body.errors?.[0]?.extensions?.['code'] ?? response.status)} ${body.errors?.[0]?.message ?? ''}`.trim());
  return feedCatalogue(items);
}

/** A refusal's breaches by position in the batch. */
type Refusal = Array<{ index: number; field: string; rule: string }>;

/** The ids written (none for a check), or the refusal's breaches by position in the batch. */
async function sendBatch(batch: readonly ParsedLine[], options: ImportOptions, checkOnly: boolean): Promise<{ ids: string[]; refusal?: Refusal }> {
  const mutation = MUTATION_OF[batch[0]!.kind];
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
    body: JSON.stringify({
      query: `mutation($input: [${INPUT_TYPE_OF[mutation]}!]!, $checkOnly: Boolean!) { ${mutation}(input: $input, ${FEED_CHECK_ONLY.argument}: $checkOnly) }`,
      variables: { input: batch.map((b) => b.record), checkOnly },
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  const ids = body.data?.[mutation];
  if (!body.errors && Array.isArray(ids) && ids.length === (checkOnly ? 0 : batch.length)) return { ids: ids.map(String) };
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
