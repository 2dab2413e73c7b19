/**
 * Per-request batching with DataLoader: keys asked for in the same tick — the reference resolutions of
 * one `_entities` call, the nested lists of one page — become one query. A loader lives for one request
 * only and caches nothing (a later read in the same request sees what a mutation wrote before it).
 */
import DataLoader from 'dataloader';

type BatchFunction<Value> = (keys: readonly string[]) => Promise<ReadonlyMap<string, Value>>;

/** The batches of one request, by name. */
export class RequestBatches {
  private readonly loaders = new Map<string, DataLoader<string, unknown>>();

  /** Loads `key` through the batch `name`; `load` receives every distinct key asked for in this tick. */
  load<Value>(name: string, key: string, load: BatchFunction<Value>): Promise<Value | undefined> {
    let loader = this.loaders.get(name) as DataLoader<string, Value | undefined> | undefined;
    if (!loader) {
      loader = new DataLoader<string, Value | undefined>(
        async (keys) => {
          const values = await load([...new Set(keys)]);
          return keys.map((k) => values.get(k));
        },
        { cache: false },
      );
      this.loaders.set(name, loader as DataLoader<string, unknown>);
    }
    return loader.load(key);
  }
}
