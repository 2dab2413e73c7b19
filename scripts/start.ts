/** `npm start`: the whole platform in one process. */
import './cli-errors.js';
import 'reflect-metadata';
import { CONFIG_HELP, configOrExit, parseCommandLine } from './cli.js';
import { startPlatform } from './platform.js';

parseCommandLine({
  usage: `usage: npm start   (or node dist/scripts/start.js)

Starts the whole platform in one process: migrates and seeds the embedded database on first start,
then serves the gateway (default http://localhost:4000/graphql) and every subgraph on loopback ports.
On PostgreSQL, HEALTHMESH_GATEWAYS=N runs N gateway processes behind that one port (node:cluster).

${CONFIG_HELP}`,
});
const config = configOrExit();
const startedAt = Date.now();
const log = (line: string) => process.stdout.write(`${line}\n`);
log(`healthmesh: starting on ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite (${config.dataDir}/pglite)`}…`);

const platform = await startPlatform(config, { log });
log('');
log(`  gateway      ${platform.gateway.url.replace('127.0.0.1', 'localhost')}${config.gateways > 1 ? `  (${config.gateways} processes on this port)` : ''}`);
log(`  portal       ${new URL('/', platform.gateway.url).href.replace('127.0.0.1', 'localhost')}  (the resident portal)`);
for (const subgraph of platform.subgraphs) log(`  ${subgraph.name.padEnd(12)} ${subgraph.url}  (refuses requests not signed by the gateway)`);
log('');
log('  demo actors:   node dist/scripts/token.js list');
log('  a token:       TOKEN=$(node dist/scripts/token.js clinician-a)');
log(`  a query:       curl -s ${platform.gateway.url.replace('127.0.0.1', 'localhost')} -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`);
log(`                   -H 'x-purpose-of-use: TREAT' -d '{"query":"{ institutions(first: 3) { name grade } }"}'`);
log('');
log(`healthmesh: ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. Ctrl-C stops it.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log('\nhealthmesh: stopping…');
    platform.stop().then(
      () => {
        log('healthmesh: stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`healthmesh: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
