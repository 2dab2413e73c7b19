/**
 * `GET /ready`: 200 when every dependency answers, else 503 with a JSON body naming what is not ready.
 * Each check reports only a fixed word (`ok`, `unreachable`, `timeout`, `status 503`): a driver's
 * message can quote a connection string, so none is ever passed on.
 */
import { sql } from 'drizzle-orm';
import type { Database } from './database.js';
import type { ExtraRoute } from './http.js';

/** One dependency; `check` throws (or rejects) when it is not ready, with a `ReadinessProblem` to say how. */
export interface ReadinessCheck {
  name: string;
  check: (signal: AbortSignal) => Promise<void>;
}

/** A check's failure as reported: a short fixed phrase, never a message from elsewhere. */
export class ReadinessProblem extends Error {
  override readonly name = 'ReadinessProblem';
}

const CHECK_TIMEOUT_MS = 2_000;

/** The database answers a trivial query. */
export function databaseCheck(db: Database): ReadinessCheck {
  return {
    name: 'database',
    check: async () => {
      await db.execute(sql`select 1`);
    },
  };
}

/** An HTTP service's `/health` (beside its GraphQL path) answers 200. */
export function healthCheck(name: string, graphqlUrl: string): ReadinessCheck {
  const url = new URL('/health', graphqlUrl);
  return {
    name,
    check: async (signal) => {
      const response = await fetch(url, { signal });
      await response.body?.cancel();
      if (response.status !== 200) throw new ReadinessProblem(`status ${response.status}`);
    },
  };
}

async function outcome(check: ReadinessCheck): Promise<string> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.check(controller.signal).then(() => 'ok'), timedOut]);
  } catch (error) {
    return error instanceof ReadinessProblem ? error.message : 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/** The `/ready` route over `checks` (all run at once, each bounded by a 2 s timeout). */
export function readinessRoute(checks: readonly ReadinessCheck[]): ExtraRoute {
  return async (request, response) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/ready') return false;
    const results = await Promise.all(checks.map(async (c) => [c.name, await outcome(c)] as const));
    const notReady = results.filter(([, result]) => result !== 'ok').map(([name]) => name);
    const body = JSON.stringify({ status: notReady.length === 0 ? 'ready' : 'not ready', checks: Object.fromEntries(results), ...(notReady.length ? { notReady } : {}) });
    response.writeHead(notReady.length === 0 ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(body);
    return true;
  };
}
