/**
 * The leaves of one page of stored audit entries, for full verification (audit-log-verify.ts): the
 * page as the database sends it (one JSON text), each entry's canonical bytes and RFC 9162 leaf
 * hash, and the first entry that cannot be a leaf where it stands: a pure function of the text, while
 * the database builds the next pages.
 */
import { canonicalEntryBytes } from './audit.js';
import { leafHash } from './merkle/index.js';
import { tableRowMapper } from '../subgraphs/runtime/database.js';
import { auditEntries, type AuditEntryRow } from './tables.js';

/** Why an entry of the page cannot be the leaf at its position. */
export type PageProblem = 'MISSING_ENTRIES' | 'REORDERED' | 'ALTERED';

export interface PageLeaves {
  /** The leaf hashes of the page's entries up to the first problem, 32 bytes each, concatenated. */
  leaves: Uint8Array;
  /** Entries of the page (intact or not). */
  entries: number;
  /** The first entry's seq (compared with the previous page's last). */
  firstSeq: number;
  lastSeq: number;
  /** The first entry that is not the next leaf: its offset in the page and why. */
  problem?: { offset: number; kind: PageProblem };
}

const toRow = tableRowMapper(auditEntries);

/** The leaf hash of a stored entry, or undefined when its content lost the entry's shape. */
function leafOf(row: AuditEntryRow): Buffer | undefined {
  try {
    // The row itself: canonicalEntryBytes reads the content fields only (no copy per entry).
    return leafHash(canonicalEntryBytes(row));
  } catch {
    return undefined;
  }
}

/**
 * Hashes a page whose first entry should be leaf `firstLeafIndex`: entries in leaf order, each at its
 * own index and in seq order (an entry out of seq order is the second of a swapped pair).
 */
export function pageLeaves(pageJson: string, firstLeafIndex: number): PageLeaves {
  const rows = (JSON.parse(pageJson) as Array<Record<string, unknown>>).map(toRow);
  const leaves = new Uint8Array(rows.length * 32);
  let previousSeq = rows[0]?.seq ?? 0;
  let problem: PageLeaves['problem'];
  for (const [offset, row] of rows.entries()) {
    if (row.leafIndex !== firstLeafIndex + offset) problem = { offset, kind: 'MISSING_ENTRIES' };
    else if (offset > 0 && row.seq <= previousSeq) problem = { offset, kind: 'REORDERED' };
    const leaf = problem ? undefined : leafOf(row);
    if (!problem && !leaf) problem = { offset, kind: 'ALTERED' };
    if (problem) return { leaves: leaves.subarray(0, offset * 32), entries: rows.length, firstSeq: rows[0]!.seq, lastSeq: previousSeq, problem };
    leaves.set(leaf!, offset * 32);
    previousSeq = row.seq;
  }
  return { leaves, entries: rows.length, firstSeq: rows[0]?.seq ?? 0, lastSeq: previousSeq };
}
