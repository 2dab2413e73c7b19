/**
 * Per-request batching (the DataLoader idea, in 40 lines): keys asked for in the same tick — the
 * reference resolutions of one `_entities` call, the nested lists of one page — become one query.
 * A loader lives for one request only, so nothing is cached across callers with different scopes.
 */
type BatchFunction<Value> = (keys: readonly string[]) => Promise<ReadonlyMap<string, Value>>;

class Batch<Value> {
  private pending = new Map<string, Array<{ resolve: (value: Value | undefined) => void; reject: (error: unknown) => void }>>();
  private scheduled = false;

  constructor(private readonly load: BatchFunction<Value>) {}

  get(key: string): Promise<Value | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key) ?? [];
      waiting.push({ resolve, reject });
      this.pending.set(key, waiting);
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    try {
      const values = await this.load([...batch.keys()]);
      for (const [key, waiting] of batch) for (const { resolve } of waiting) resolve(values.get(key));
    } catch (error) {
      for (const waiting of batch.values()) for (const { reject } of waiting) reject(error);
    }
  }
}

/** The batches of one request, by name. */
export class RequestBatches {
  private readonly batches = new Map<string, Batch<unknown>>();

  /** Loads `key` through the batch `name`; `load` receives every key asked for in this tick. */
  load<Value>(name: string, key: string, load: BatchFunction<Value>): Promise<Value | undefined> {
    let batch = this.batches.get(name) as Batch<Value> | undefined;
    if (!batch) {
      batch = new Batch(load);
      this.batches.set(name, batch as Batch<unknown>);
    }
    return batch.get(key);
  }
}
