/**
 * `npm run --silent token -- list` prints the seeded demo actors as JSON;
 * `npm run --silent token -- <actor>` prints a bearer token for one (embedded-mode local issuer).
 */
import 'reflect-metadata';
import { issueToken, loadOrCreateKeyPair } from '../gateway/index.js';
import type { Actor } from '../schema/context.js';
import { demoActors } from '../seed/index.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const actors = demoActors(config.seed);
const [command] = process.argv.slice(2);

if (!command || command === '--help') {
  process.stderr.write('usage: npm run --silent token -- list | <actor>\n');
  process.exit(command ? 0 : 2);
}
if (command === 'list') {
  process.stdout.write(`${JSON.stringify(actors, null, 2)}\n`);
} else {
  const demo = actors.find((a) => a.actor === command);
  if (!demo) {
    process.stderr.write(`Unknown actor "${command}". Known: ${actors.map((a) => a.actor).join(', ')}\n`);
    process.exit(2);
  }
  const actor: Actor = { sub: demo.actor, role: demo.role };
  if (demo.residentId) actor.residentId = demo.residentId;
  if (demo.institutionId) actor.institutionId = demo.institutionId;
  if (demo.practitionerId) actor.practitionerId = demo.practitionerId;
  const issuerKey = await loadOrCreateKeyPair(config.dataDir, 'identity-issuer');
  process.stdout.write(`${await issueToken(issuerKey, actor)}\n`);
}
