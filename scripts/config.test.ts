import { describe, expect, it } from 'vitest';
import { CONTEXT_TTL_SECONDS } from '../schema/context.js';
import { loadConfig } from './config.js';

describe('the subgraph fetch settings of the configuration', () => {
  it('default to a 5 s fetch timeout and a replay cache of 100,000 context ids', () => {
    const config = loadConfig({});
    expect(config.subgraphTimeoutMs).toBe(5_000);
    expect(config.replayCacheSize).toBe(100_000);
  });

  it('take HEALTHMESH_SUBGRAPH_TIMEOUT_MS and HEALTHMESH_REPLAY_CACHE_SIZE from the environment', () => {
    const config = loadConfig({ HEALTHMESH_SUBGRAPH_TIMEOUT_MS: '1500', HEALTHMESH_REPLAY_CACHE_SIZE: '2000' });
    expect(config.subgraphTimeoutMs).toBe(1_500);
    expect(config.replayCacheSize).toBe(2_000);
  });

  it('refuse a timeout a signed context would not outlive, and an empty replay cache', () => {
    expect(() => loadConfig({ HEALTHMESH_SUBGRAPH_TIMEOUT_MS: String(CONTEXT_TTL_SECONDS * 1000 + 1) })).toThrow(/HEALTHMESH_SUBGRAPH_TIMEOUT_MS must be between 1 and 10000/);
    expect(() => loadConfig({ HEALTHMESH_SUBGRAPH_TIMEOUT_MS: '0' })).toThrow(/HEALTHMESH_SUBGRAPH_TIMEOUT_MS/);
    expect(() => loadConfig({ HEALTHMESH_REPLAY_CACHE_SIZE: '0' })).toThrow(/HEALTHMESH_REPLAY_CACHE_SIZE/);
    expect(() => loadConfig({ HEALTHMESH_REPLAY_CACHE_SIZE: 'many' })).toThrow(/HEALTHMESH_REPLAY_CACHE_SIZE/);
  });
});
