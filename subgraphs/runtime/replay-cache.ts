/**
 * The ids (`jti`) of signed contexts a subgraph has already answered, each kept until its context
 * expires, so a captured context opens nothing a second time. Bounded: at most `maxEntries` ids.
 */
import { LRUCache } from 'lru-cache';

/** Ids held per subgraph: about 8,000 fetches a second for a context's whole lifetime (10 s + clock tolerance). */
export const DEFAULT_REPLAY_CACHE_SIZE = 100_000;

export class ReplayCache {
  /** id → the time (ms since the epoch) after which its context is refused anyway. */
  private readonly seen: LRUCache<string, number>;
  /**
   * The latest deadline of an id pushed out by the bound while its context was still valid. A context
   * living no longer than that can no longer be told apart from a replay, so it is refused: under
   * more traffic than the cache was sized for, the subgraph fails closed rather than open.
   */
  private evictedLiveUntil = 0;

  constructor(maxEntries: number = DEFAULT_REPLAY_CACHE_SIZE) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`the replay cache size must be a positive integer, got ${maxEntries}`);
    this.seen = new LRUCache<string, number>({
      max: maxEntries,
      dispose: (deadline, _id, reason) => {
        if (reason === 'evict' && deadline > Date.now()) this.evictedLiveUntil = Math.max(this.evictedLiveUntil, deadline);
      },
    });
  }

  /**
   * Records `id` as used by a context valid until `deadline` (ms since the epoch). True the first time;
   * false when the id was seen before, may have been (see `evictedLiveUntil`), or the context is over.
   */
  claim(id: string, deadline: number): boolean {
    const remaining = deadline - Date.now();
    if (remaining <= 0 || deadline <= this.evictedLiveUntil || this.seen.has(id)) return false;
    this.seen.set(id, deadline, { ttl: remaining });
    return true;
  }

  /** Ids held (expired ones may linger until they are pushed out). */
  get size(): number {
    return this.seen.size;
  }
}
