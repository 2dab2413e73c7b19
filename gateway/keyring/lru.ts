/**
 * A small LRU with a time-to-live, over a Map's insertion order (the first key is the least recently
 * used). `maxEntries: 0` keeps nothing, which disables caching.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new Error(`maxEntries must be a non-negative integer, got ${maxEntries}`);
    if (!(ttlMs > 0)) throw new Error(`ttlMs must be positive, got ${ttlMs}`);
  }

  /** The value if present and not expired; marks it most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores a value for `ttlMs`, evicting the least recently used entries beyond `maxEntries`. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    if (this.maxEntries === 0) return;
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Entries held, including expired ones not yet looked up. */
  get size(): number {
    return this.entries.size;
  }
}
