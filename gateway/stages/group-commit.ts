/**
 * Group commit of the audit (DESIGN §12): concurrent requests' grant uses and audit entries are
 * written in one transaction, one audit lock and one signed tree head per batch, so throughput is not
 * one lock round trip per request. A batch starts as soon as the previous one finishes (or at once
 * when none is running), taking everything that queued meanwhile.
 *
 * Each request is a unit with its own fate inside the batch: a grant use it lost to a concurrent one
 * refuses that request only (`GrantUseLostError`), and so does text that cannot be audited. Nothing
 * a failed unit did stays: it writes only after everything that can refuse it has passed, and a unit
 * using several grants consumes them under a savepoint. A batch that fails as a whole (the database)
 * fails every request in it; no call returns before the batch holding its entries has committed.
 */
import {
  appendPreparedAuditEntries,
  consumeGrantUse,
  consumeGrantUses,
  prepareAuditEntries,
  queueBreakGlassReviews,
  recordCareRelationships,
  type AuditEvent,
  type AuditSigner,
  type Executor,
  type FedCareRelationship,
  type PreparedAuditEntry,
} from '../../consent/index.js';
import type { Database } from '../../subgraphs/runtime/database.js';
import type { DecidedRequest } from '../request-context.js';
import { recordAuditAppend, recordGrantUse } from '../../subgraphs/runtime/metrics.js';
import { separateProbes, type SecurityEvent, type SecurityLog } from '../security-log/index.js';

/** The grant had a use left when checked, but not any more (a concurrent use took it). */
export class GrantUseLostError extends Error {
  constructor(readonly grantId: string) {
    super(`grant ${grantId} has no use left`);
  }
}

/** The request the events come from and the security log its probes go to. */
export interface ProbeRouting {
  context: DecidedRequest;
  securityLog: SecurityLog;
}

/** One request's share of a batch. */
export interface CommitUnit {
  events: readonly AuditEvent[];
  /** Grants whose use the response relies on: one use each, or the request is refused. */
  grantIds: readonly string[];
  routing?: ProbeRouting;
  /** The care relationships a committed feed write started (DESIGN §8), written with its entries. */
  careRelationships?: readonly FedCareRelationship[];
}

/** How long a batch gathers requests before it commits: the most an idle gateway's answer waits. */
const BATCH_WINDOW_MS = 2;

/** Requests per batch at most: bounds a transaction's size and the wait of its last request. */
const MAX_UNITS_PER_BATCH = 256;

async function consumeAll(executor: Executor, grantIds: readonly string[]): Promise<void> {
  for (const grantId of grantIds) {
    if ((await consumeGrantUse(executor, grantId)) === undefined) throw new GrantUseLostError(grantId);
  }
}

/** What can refuse a unit, checked while nothing of it is written: its probes and its entries' text. */
async function checkUnit(tx: Executor, unit: CommitUnit): Promise<{ prepared: PreparedAuditEntry[]; probe: SecurityEvent | undefined }> {
  const { audited, probe } = unit.routing ? await separateProbes(tx, unit.routing.context, unit.events) : { audited: [...unit.events], probe: undefined };
  return { prepared: prepareAuditEntries(audited), probe };
}

/** Runs one unit inside the batch's transaction; what it returns is appended with the batch. */
export async function stageUnit(tx: Executor & Pick<Database, 'transaction'>, unit: CommitUnit): Promise<PreparedAuditEntry[]> {
  // What can refuse the request, first, while nothing of it is written.
  const { prepared, probe } = await checkUnit(tx, unit);
  if (unit.grantIds.length === 1) await consumeAll(tx, unit.grantIds);
  else if (unit.grantIds.length > 1) await tx.transaction((savepoint) => consumeAll(savepoint, unit.grantIds));
  if (probe) await unit.routing!.securityLog.record(tx, probe);
  return prepared;
}

/**
 * The units of a batch whose grant use is consumed with the others' in one UPDATE: each relies on
 * exactly one grant (the usual case; several units may share it). A unit relying on several grants
 * needs all or none of them and is staged on its own, under a savepoint.
 */
function consumableTogether(units: readonly CommitUnit[]): Set<CommitUnit> {
  return new Set(units.filter((unit) => unit.grantIds.length === 1));
}

/** Uses asked of each grant by the units consumed together. */
function usesWanted(units: ReadonlyArray<{ waiting: Waiting }>): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const { waiting } of units) {
    const grantId = waiting.unit.grantIds[0]!;
    wanted.set(grantId, (wanted.get(grantId) ?? 0) + 1);
  }
  return wanted;
}

interface Waiting {
  unit: CommitUnit;
  resolve: () => void;
  reject: (error: unknown) => void;
}

class GroupCommit {
  private queue: Waiting[] = [];
  private running = false;

  constructor(
    private readonly db: Database,
    private readonly signer: AuditSigner,
  ) {}

  submit(unit: CommitUnit): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      if (!this.running) {
        this.running = true;
        // The batch gathers for a moment: under load, one transaction and one signed head for many
        // requests, instead of about one each (its statements cost more than the request's own).
        setTimeout(() => void this.drain(), BATCH_WINDOW_MS);
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_UNITS_PER_BATCH));
    this.running = false;
  }

  private async commit(batch: Waiting[]): Promise<void> {
    const staged: Array<{ waiting: Waiting; prepared: PreparedAuditEntry[] }> = [];
    const refused: Array<{ waiting: Waiting; error: unknown }> = [];
    let appended = 0;
    try {
      await this.db.transaction(async (tx) => {
        const together = consumableTogether(batch.map((waiting) => waiting.unit));
        const checked: Array<{ waiting: Waiting; prepared: PreparedAuditEntry[]; probe: SecurityEvent | undefined }> = [];
        for (const waiting of batch) {
          try {
            if (together.has(waiting.unit)) checked.push({ waiting, ...(await checkUnit(tx, waiting.unit)) });
            else staged.push({ waiting, prepared: await stageUnit(tx, waiting.unit) });
          } catch (error) {
            refused.push({ waiting, error });
          }
        }
        // A grant with fewer uses left than asked serves the batch's first askers, in arrival order.
        const usesLeft = await consumeGrantUses(tx, usesWanted(checked));
        for (const { waiting, prepared, probe } of checked) {
          const grantId = waiting.unit.grantIds[0]!;
          const left = usesLeft.get(grantId) ?? 0;
          if (left === 0) {
            refused.push({ waiting, error: new GrantUseLostError(grantId) });
            continue;
          }
          usesLeft.set(grantId, left - 1);
          if (probe) await waiting.unit.routing!.securityLog.record(tx, probe);
          staged.push({ waiting, prepared });
        }
        // Sent together (pipelined on PostgreSQL): the care relationships need nothing the append reads.
        const care = staged.flatMap(({ waiting }) => waiting.unit.careRelationships ?? []);
        const [entries] = await Promise.all([
          appendPreparedAuditEntries(
            tx,
            staged.flatMap(({ prepared }) => prepared),
            this.signer,
          ),
          care.length > 0 ? recordCareRelationships(tx, care) : undefined,
        ]);
        await queueBreakGlassReviews(tx, entries);
        appended = entries.length;
      });
    } catch (error) {
      // Fail closed: nothing of the batch is committed, so no request in it may answer.
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    // Counted once committed: what /metrics shows happened.
    recordAuditAppend(appended);
    recordGrantUse(staged.reduce((uses, { waiting }) => uses + waiting.unit.grantIds.length, 0));
    for (const { waiting } of staged) waiting.resolve();
    for (const { waiting, error } of refused) waiting.reject(error);
  }
}

const groups = new WeakMap<Database, WeakMap<AuditSigner, GroupCommit>>();

/** Commits the unit in the next batch of this database and signer; resolves once that batch has committed. */
export function commitInBatch(db: Database, signer: AuditSigner, unit: CommitUnit): Promise<void> {
  let bySigner = groups.get(db);
  if (!bySigner) groups.set(db, (bySigner = new WeakMap()));
  let group = bySigner.get(signer);
  if (!group) bySigner.set(signer, (group = new GroupCommit(db, signer)));
  return group.submit(unit);
}
