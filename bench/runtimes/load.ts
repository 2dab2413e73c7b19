/**
 * Load from a separate process: autocannon's CLI as a child, so the load generator's own work never
 * shares an event loop with the gateway it measures (DESIGN's benchmark rule, issue 8).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

export interface LoadSettings {
  connections: number;
  /** Measured seconds. */
  durationSeconds: number;
  /** Seconds of the same load before measuring (plans cached, connections open, JIT warm); discarded. */
  warmUpSeconds: number;
}

export interface LoadTarget {
  url: string;
  /** The JSON request body, the same bytes on every request. */
  body: string;
  headers: Readonly<Record<string, string>>;
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
}

/** The fields of autocannon's `--json` report this module reads. */
interface AutocannonReport {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** Warms up, then measures; throws when any answer was not a 2xx or any request failed. */
export async function generateLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  if (settings.warmUpSeconds > 0) await runAutocannon(target, settings.connections, settings.warmUpSeconds);
  const report = await runAutocannon(target, settings.connections, settings.durationSeconds);
  const result: LoadResult = {
    requests: report.requests.total,
    rps: report.requests.average,
    p50: report.latency.p50,
    p99: report.latency.p99,
    non2xx: report.non2xx,
    errors: report.errors + report.timeouts,
  };
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run against ${target.url} had ${result.non2xx} non-2xx answers and ${result.errors} failed requests`);
  return result;
}

function runAutocannon(target: LoadTarget, connections: number, seconds: number): Promise<AutocannonReport> {
  const headers = Object.entries({ 'content-type': 'application/json', ...target.headers }).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  const args = [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-m', 'POST', ...headers, '-b', target.body, '--json', target.url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${stderr.slice(0, 500)}`));
      try {
        resolve(JSON.parse(stdout) as AutocannonReport);
      } catch {
        reject(new Error(`autocannon printed no JSON report: ${stdout.slice(0, 300)}`));
      }
    });
  });
}
