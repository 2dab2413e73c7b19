import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLAY_CACHE_SIZE, ReplayCache } from './replay-cache.js';

const inTenSeconds = () => Date.now() + 10_000;

describe('the replay cache of signed-context ids', () => {
  it('accepts an id once and refuses it the second time', () => {
    const cache = new ReplayCache(10);
    expect(cache.claim('jti-1', inTenSeconds())).toBe(true);
    expect(cache.claim('jti-1', inTenSeconds())).toBe(false);
    expect(cache.claim('jti-2', inTenSeconds())).toBe(true);
  });

  it('never holds more ids than its size, however many contexts arrive', () => {
    const cache = new ReplayCache(100);
    const ids = Array.from({ length: 1_000 }, (_, i) => `jti-${i}`);
    expect(ids.length).toBe(1_000);
    for (const id of ids) cache.claim(id, inTenSeconds());
    expect(cache.size).toBe(100);
  });

  it('refuses an id pushed out while its context was still valid, rather than forgetting it (fail closed)', () => {
    const cache = new ReplayCache(2);
    const deadline = inTenSeconds();
    expect(cache.claim('oldest', deadline)).toBe(true);
    expect(cache.claim('second', deadline)).toBe(true);
    expect(cache.claim('third', deadline)).toBe(true);
    // 'oldest' was evicted, but a context living no longer than it can no longer be told apart from a replay.
    expect(cache.claim('oldest', deadline)).toBe(false);
    expect(cache.claim('never-seen-same-lifetime', deadline)).toBe(false);
    // A context that outlives everything evicted is still accepted.
    expect(cache.claim('later', deadline + 1_000)).toBe(true);
  });

  it('lets ids of expired contexts make room without refusing anything new', async () => {
    const cache = new ReplayCache(2);
    expect(cache.claim('short-1', Date.now() + 50)).toBe(true);
    expect(cache.claim('short-2', Date.now() + 50)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cache.claim('fresh-1', inTenSeconds())).toBe(true);
    expect(cache.claim('fresh-2', inTenSeconds())).toBe(true);
    expect(cache.size).toBe(2);
  });

  it('refuses an id whose context has already expired', () => {
    const cache = new ReplayCache(2);
    expect(cache.claim('late', Date.now() - 1)).toBe(false);
  });

  it('refuses a size below one', () => {
    expect(() => new ReplayCache(0)).toThrow(/positive integer/);
    expect(() => new ReplayCache(1.5)).toThrow(/positive integer/);
    expect(DEFAULT_REPLAY_CACHE_SIZE).toBeGreaterThanOrEqual(10_000);
  });
});
