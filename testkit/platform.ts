/** Starts the whole platform for an integration test: random ports, a temporary data directory, a small region. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../gateway/index.js';
import type { Actor } from '../schema/context.js';
import { demoActors, type DemoActor } from '../seed/index.js';
import { anyFreeSubgraphPorts, loadConfig, type PlatformConfig } from '../scripts/config.js';
import { startPlatform, type RunningPlatform } from '../scripts/platform.js';
import type { DatabaseOptions } from '../subgraphs/runtime/database.js';
import type { DestinationStream } from '../subgraphs/runtime/logging.js';
import type { TestBackend } from './databases.js';

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  body: { data?: Data | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }> };
}

export interface TestPlatform {
  platform: RunningPlatform;
  config: PlatformConfig;
  actors: DemoActor[];
  actor(name: string): DemoActor;
  token(name: string): Promise<string>;
  /** POSTs one GraphQL request to the gateway as `actorName` (or anonymously with `null`). */
  query<Data = Record<string, unknown>>(
    actorName: string | null,
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
    gatewayUrl?: string,
  ): Promise<GraphQLResponse<Data>>;
  /** The PostgreSQL URL of the test database (absent on PGlite). */
  databaseUrl?: string;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  residents?: number;
  env?: NodeJS.ProcessEnv;
  /** Captures the JSON log (tests that read it set HEALTHMESH_LOG_LEVEL in `env`; the default is silent). */
  logDestination?: DestinationStream;
  /** Sees every statement the platform sends to its database (see DatabaseOptions.onQuery). */
  onQuery?: DatabaseOptions['onQuery'];
}

export async function startTestPlatform(backend: TestBackend, options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-test-'));
  const zeroPorts = anyFreeSubgraphPorts();
  const config = loadConfig({
    HEALTHMESH_DATA_DIR: dataDir,
    PORT: '0',
    HEALTHMESH_RESIDENTS: String(options.residents ?? 40),
    HEALTHMESH_LOG_LEVEL: 'silent',
    ...zeroPorts,
    ...options.env,
  });
  const database = await backend.open(options.onQuery ? { onQuery: options.onQuery } : {});
  let platform: RunningPlatform;
  try {
    platform = await startPlatform(config, { database: database.handle, ...(options.logDestination ? { logDestination: options.logDestination } : {}) });
  } catch (error) {
    await database.dispose();
    throw error;
  }
  const actors = demoActors(config.seed);
  const tokens = new Map<string, string>();
  const find = (name: string) => {
    const found = actors.find((a) => a.actor === name);
    if (!found) throw new Error(`no demo actor ${name}`);
    return found;
  };
  const token = async (name: string) => {
    let value = tokens.get(name);
    if (!value) {
      const demo = find(name);
      const actor: Actor = { sub: demo.actor, role: demo.role };
      if (demo.residentId) actor.residentId = demo.residentId;
      if (demo.institutionId) actor.institutionId = demo.institutionId;
      if (demo.practitionerId) actor.practitionerId = demo.practitionerId;
      value = await issueToken(platform.issuerKey, actor);
      tokens.set(name, value);
    }
    return value;
  };
  return {
    platform,
    config,
    actors,
    actor: find,
    token,
    ...(database.url ? { databaseUrl: database.url } : {}),
    async query(actorName, query, variables, headers, gatewayUrl) {
      const response = await fetch(gatewayUrl ?? platform.gateway.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(actorName ? { authorization: `Bearer ${await token(actorName)}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GraphQLResponse['body'] } as never;
    },
    async stop() {
      await platform.stop();
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
