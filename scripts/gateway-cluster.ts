/**
 * N gateway processes behind one port (`HEALTHMESH_GATEWAYS`, issue 12): node:cluster forks each as
 * `serve.js gateway` and shares the listening socket among them, so clients see one address. It works
 * because a gateway keeps nothing that must be shared in memory: every decision reads consents and
 * grants from PostgreSQL on each request, a grant use is one conditional UPDATE, the audit log is
 * appended under a PostgreSQL advisory lock (each process group-commits its own requests, the lock
 * orders the batches), data-key shredding reaches every process through NOTIFY, and every key is read
 * from the same data directory. The embedded PGlite is one process's own: the configuration refuses
 * HEALTHMESH_GATEWAYS above 1 without DATABASE_URL.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry } from 'prom-client';
import type { RunningHttpService } from '../subgraphs/runtime/http.js';
import { exposeMetricsFrom, metricsRegistry } from '../subgraphs/runtime/metrics.js';
import type { PlatformConfig } from './config.js';

/** Each response of a clustered gateway names the process that answered (the worker's number, 1…N). */
export const GATEWAY_PROCESS_HEADER = 'x-healthmesh-gateway';

/** A worker asks the primary for every gateway's metrics summed (`id` pairs the answer with the ask). */
interface MetricsMessage {
  type: 'healthmesh:gateway-metrics';
  id: number;
  text?: string;
  error?: string;
}

const isMetricsMessage = (message: unknown): message is MetricsMessage => (message as MetricsMessage | null)?.type === 'healthmesh:gateway-metrics';

/**
 * In a clustered gateway: `GET /metrics` answers the sum over every gateway process (prom-client's
 * cluster aggregation, through the primary), so a scrape through the shared port sees the whole
 * gateway, not whichever process took the connection.
 */
export function exposeGatewayClusterMetrics(): void {
  // Constructing one installs this worker's answer to the primary's collection; it aggregates ours.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metricsRegistry]);
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message)) return;
    const asked = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) asked?.resolve(message.text);
    else asked?.reject(new Error(`the gateway's metrics could not be collected: ${message.error}`));
  });
  exposeMetricsFrom(
    () =>
      new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        process.send!({ type: 'healthmesh:gateway-metrics', id } satisfies MetricsMessage);
      }),
  );
}

/** In the primary: answers each worker's ask for the metrics of all of them. */
function answerMetricsAsks(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMetricsMessage(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: message.type, id: message.id, text } satisfies MetricsMessage),
      (error: unknown) => worker.send({ type: message.type, id: message.id, error: String(error) } satisfies MetricsMessage),
    );
  });
}

/** This process is one of a cluster's gateways: its number (1…N), else undefined. */
export function gatewayWorkerNumber(): number | undefined {
  return cluster.isWorker ? Number(process.env['HEALTHMESH_GATEWAY_NUMBER']) : undefined;
}

/**
 * Forks `config.gateways` gateway processes (`serve.js gateway`, this environment plus `env`: the
 * subgraphs' URLs when this process runs them) and resolves once every one listens. A process that
 * dies afterwards is replaced under the same number. One service to the caller: the shared address, and
 * a `stop` that ends them all (SIGTERM, their graceful stop).
 */
export async function startGatewayCluster(config: PlatformConfig, env: Readonly<Record<string, string>>, log: (line: string) => void): Promise<RunningHttpService> {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./serve.js', import.meta.url)), args: ['gateway'] });
  answerMetricsAsks();
  let stopping = false;
  const running = new Map<number, Worker>();
  let port = config.gatewayPort;

  const fork = (number: number): Promise<void> =>
    new Promise((resolve, reject) => {
      // With PORT=0 every worker asks for port 0 too: the primary then hands them all one random port.
      const worker = cluster.fork({ ...env, PORT: String(config.gatewayPort), HEALTHMESH_GATEWAY_NUMBER: String(number) });
      let listened = false;
      running.set(number, worker);
      worker.once('listening', (address) => {
        listened = true;
        port = address.port;
        resolve();
      });
      worker.once('exit', (code, signal) => {
        running.delete(number);
        const how = signal ?? `code ${code}`;
        // Stopped while starting (the cluster is stopping): nothing went wrong.
        if (stopping) return listened ? undefined : resolve();
        // One that never listened has said why on its stderr: starting it again would fail the same way.
        if (!listened) return reject(new Error(`gateway ${number} exited (${how}) before it listened`));
        log(`gateway ${number} exited (${how}); starting it again`);
        fork(number).catch((error: unknown) => log(String(error)));
      });
    });

  const numbers = Array.from({ length: config.gateways }, (_, i) => i + 1);
  try {
    await Promise.all(numbers.map(fork));
  } catch (error) {
    stopping = true;
    await stopAll(running);
    throw error;
  }
  const host = config.gatewayHost !== '0.0.0.0' ? config.gatewayHost : '127.0.0.1';
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    stop: () => {
      stopping = true;
      stopped ??= stopAll(running);
      return stopped;
    },
  };
}

async function stopAll(running: ReadonlyMap<number, Worker>): Promise<void> {
  await Promise.all(
    [...running.values()].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
        }),
    ),
  );
}
