/**
 * The data-key cache: lru-cache with a time-to-live from each entry's `set`. An entry is gone once
 * `ttlMs` has passed (at exactly `ttlMs` too); `maxEntries: 0` keeps nothing, which disables caching.
 */
import { LRUCache } from 'lru-cache';

export class LruCache<K extends {}, V extends {}> {
  private readonly entries: LRUCache<K, V> | undefined;

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new Error(`maxEntries must be a non-negative integer, got ${maxEntries}`);
    if (!(ttlMs > 0)) throw new Error(`ttlMs must be positive, got ${ttlMs}`);
    // ttlResolution 0: read the clock on every check (the default caches it for a millisecond). lru-cache
    // takes a start time of 0 for "no TTL", and an injected clock may start at 0: shift it by one.
    this.entries = maxEntries === 0 ? undefined : new LRUCache<K, V>({ max: maxEntries, ttl: ttlMs, ttlResolution: 0, perf: { now: () => now() + 1 } });
  }

  /** The value if present and not expired; marks it most recently used. */
  get(key: K): V | undefined {
    if (!this.entries) return undefined;
    // lru-cache keeps an entry up to and including its last millisecond; ours ends at ttlMs.
    if (this.entries.has(key) && this.entries.getRemainingTTL(key) <= 0) {
      this.entries.delete(key);
      return undefined;
    }
    return this.entries.get(key);
  }

  /** Stores a value for `ttlMs`, evicting the least recently used entries beyond `maxEntries`. */
  set(key: K, value: V): void {
    this.entries?.set(key, value);
  }

  delete(key: K): boolean {
    return this.entries?.delete(key) ?? false;
  }

  clear(): void {
    this.entries?.clear();
  }

  /** Entries held. */
  get size(): number {
    return this.entries?.size ?? 0;
  }
}
