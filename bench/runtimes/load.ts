/**
 * Load from a separate process: autocannon run by a child (`load-child.ts`), so the load generator's
 * own work never shares an event loop with the gateway it measures (DESIGN's benchmark rule, issue 8).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadSettings {
  connections: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** Seconds of the same load before measuring (plans cached, connections open, JIT warm); discarded. */
  warmUpSeconds: number;
}

/** One request of the load: its JSON body and headers (content-type is added). */
export interface LoadRequest {
  body: string;
  headers: Readonly<Record<string, string>>;
}

export interface LoadTarget extends LoadRequest {
  url: string;
  /**
   * Requests each connection sends in turn, round and round (residents sampled across a region);
   * absent, every request is `body` with `headers`, the same bytes each time.
   */
  rotation?: readonly LoadRequest[];
}

export interface LoadResult {
  requests: number;
  /** Mean requests per second over the measured seconds. */
  rps: number;
  p50: number;
  p99: number;
  /** Answers with a status other than 2xx, and requests that failed or timed out: a run with any is invalid. */
  non2xx: number;
  errors: number;
  /**
   * CPU time this process spent per measured request (user + system, all its threads). When the server
   * under test runs in this process (the runtimes benchmark: gateway and subgraphs), it is the cost of
   * a request there, steadier than req/s on a machine others share: contention stretches wall time,
   * hardly CPU time. The database's own CPU is not in it.
   */
  processCpuMsPerRequest: number;
}

/** The fields of autocannon's report this module reads. */
export interface AutocannonReport {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** What the child is told to do: autocannon's own options, as JSON. */
export interface LoadChildOptions {
  url: string;
  connections: number;
  duration: number;
  requests: Array<{ method: 'POST'; body: string; headers: Record<string, string> }>;
}

const CHILD = fileURLToPath(new URL('./load-child.js', import.meta.url));

/** Warms up, then measures; throws when any answer was not a 2xx or any request failed. */
export async function generateLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  if (settings.warmUpSeconds > 0) await runAutocannon(target, settings.connections, settings.warmUpSeconds);
  const cpuBefore = process.cpuUsage();
  const report = await runAutocannon(target, settings.connections, settings.durationSeconds);
  const cpu = process.cpuUsage(cpuBefore);
  const result: LoadResult = {
    requests: report.requests.total,
    rps: report.requests.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    non2xx: report.non2xx,
    errors: report.errors + report.timeouts,
    processCpuMsPerRequest: report.requests.total > 0 ? (cpu.user + cpu.system) / 1000 / report.requests.total : 0,
  };
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run against ${target.url} had ${result.non2xx} non-2xx answers and ${result.errors} failed requests`);
  return result;
}

async function runAutocannon(target: LoadTarget, connections: number, seconds: number): Promise<AutocannonReport> {
  const requests = (target.rotation ?? [target]).map(({ body, headers }) => ({ method: 'POST' as const, body, headers: { 'content-type': 'application/json', ...headers } }));
  const options: LoadChildOptions = { url: target.url, connections, duration: seconds, requests };
  // A file rather than argv: a rotation of hundreds of tokens is longer than a command line may be.
  const dir = mkdtempSync(join(tmpdir(), 'healthmesh-load-'));
  const file = join(dir, 'options.json');
  writeFileSync(file, JSON.stringify(options));
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => {
        if (code !== 0) return reject(new Error(`the load generator exited with ${code}: ${stderr.slice(0, 500)}`));
        try {
          resolve(JSON.parse(stdout) as AutocannonReport);
        } catch {
          reject(new Error(`the load generator printed no JSON report: ${stdout.slice(0, 300)}`));
        }
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
