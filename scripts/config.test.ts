import { describe, expect, it } from 'vitest';
import { CONTEXT_TTL_SECONDS } from '../schema/context.js';
import { ConfigError, loadConfig } from './config.js';

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

describe('the configuration from the environment', () => {
  it('reads booleans as true/false/1/0/yes/no in any case, and refuses anything else naming the variable', () => {
    const spellings: Array<[string, boolean]> = [['true', true], ['TRUE', true], ['1', true], ['Yes', true], ['false', false], ['0', false], ['no', false], ['NO', false]];
    expect(spellings.length).toBeGreaterThan(0);
    for (const [raw, expected] of spellings) expect(loadConfig({ HEALTHMESH_INTROSPECTION: raw }).introspection, raw).toBe(expected);
    expect(loadConfig({}).introspection).toBe(false);
    expect(() => loadConfig({ HEALTHMESH_INTROSPECTION: 'on' })).toThrow(ConfigError);
    expect(() => loadConfig({ HEALTHMESH_INTROSPECTION: 'on' })).toThrow('HEALTHMESH_INTROSPECTION must be true, false, 1, 0, yes or no, got "on"');
  });

  it('checks numbers, ports, URLs, enumerations and origins, naming the variable', () => {
    expect(loadConfig({ PORT: '8080' }).gatewayPort).toBe(8080);
    expect(() => loadConfig({ PORT: '8080x' })).toThrow(/^PORT must be a non-negative integer/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/^PORT must be between 0 and 65535/);
    expect(() => loadConfig({ HEALTHMESH_CLINICAL_PORT: '-1' })).toThrow(/^HEALTHMESH_CLINICAL_PORT /);
    expect(() => loadConfig({ HEALTHMESH_CLINICAL_URL: 'clinical:4103' })).toThrow(/^HEALTHMESH_CLINICAL_URL must be an http\(s\) URL/);
    expect(() => loadConfig({ HEALTHMESH_ENFORCEMENT_MODE: 'strict' })).toThrow(/^HEALTHMESH_ENFORCEMENT_MODE must be filter or reject/);
    expect(() => loadConfig({ HEALTHMESH_LOG_LEVEL: 'loud' })).toThrow(/^HEALTHMESH_LOG_LEVEL must be one of/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/^DATABASE_URL must be a postgres:\/\/ URL/);
    expect(loadConfig({ HEALTHMESH_CORS_ORIGINS: 'https://app.example.org, http://localhost:5173' }).corsOrigins).toEqual(['https://app.example.org', 'http://localhost:5173']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(() => loadConfig({ HEALTHMESH_CORS_ORIGINS: 'https://app.example.org/path' })).toThrow(/^HEALTHMESH_CORS_ORIGINS /);
  });
});

describe('the number of gateway processes (HEALTHMESH_GATEWAYS)', () => {
  it('is one by default, and up to 32 on PostgreSQL', () => {
    expect(loadConfig({}).gateways).toBe(1);
    expect(loadConfig({ HEALTHMESH_GATEWAYS: '1' }).gateways).toBe(1);
    expect(loadConfig({ HEALTHMESH_GATEWAYS: '4', DATABASE_URL: 'postgres://db/healthmesh' }).gateways).toBe(4);
    expect(() => loadConfig({ HEALTHMESH_GATEWAYS: '0', DATABASE_URL: 'postgres://db/healthmesh' })).toThrow(/^HEALTHMESH_GATEWAYS must be between 1 and 32/);
    expect(() => loadConfig({ HEALTHMESH_GATEWAYS: '33', DATABASE_URL: 'postgres://db/healthmesh' })).toThrow(/^HEALTHMESH_GATEWAYS must be between 1 and 32/);
    expect(() => loadConfig({ HEALTHMESH_GATEWAYS: 'two', DATABASE_URL: 'postgres://db/healthmesh' })).toThrow(/^HEALTHMESH_GATEWAYS must be a non-negative integer/);
  });

  it('refuses more than one on the embedded PGlite, which serves one process', () => {
    expect(() => loadConfig({ HEALTHMESH_GATEWAYS: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ HEALTHMESH_GATEWAYS: '2' })).toThrow('HEALTHMESH_GATEWAYS=2 needs DATABASE_URL (PostgreSQL): the embedded PGlite serves one process, so it runs one gateway');
  });
});

describe('the tracing configuration (the standard OTEL_* variables)', () => {
  it('is off unless an OTLP endpoint is set', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'healthmesh' }).tracing).toBeUndefined();
  });

  it('exports to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or to /v1/traces under OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({ tracesUrl: 'http://collector:4318/v1/traces' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.org/in', OTEL_SERVICE_NAME: 'gw-1' }).tracing).toEqual({
      tracesUrl: 'https://traces.example.org/in',
      serviceName: 'gw-1',
    });
  });

  it('stays off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, and refuses what it cannot honour, naming the variable', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing).toEqual({ tracesUrl: 'http://collector:4318/v1/traces' });
    expect(() => loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/^OTEL_EXPORTER_OTLP_PROTOCOL must be http\/json/);
    expect(() => loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/^OTEL_TRACES_EXPORTER must be otlp or none/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/^OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
    expect(() => loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'maybe' })).toThrow(/^OTEL_SDK_DISABLED must be true, false/);
  });
});
