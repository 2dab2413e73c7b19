/**
 * `npm run --silent token -- list` prints the seeded demo actors as JSON;
 * `npm run --silent token -- <actor>` prints a bearer token for one (embedded-mode local issuer).
 * It reads the issuer key the running platform created and never creates one: a token signed by a
 * fresh key would be refused by the gateway. Imports stay narrow so a token costs well under a second.
 */
import './cli-errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { issueToken } from '../gateway/identity.js';
import { readKeyPair } from '../gateway/keys.js';
import type { Actor } from '../schema/context.js';
import { demoActors } from '../seed/demo.js';
import { CONFIG_HELP, configOrExit, exitWith, parseCommandLine } from './cli.js';

const { positionals } = parseCommandLine({
  usage: `usage: node dist/scripts/token.js list | <actor>    (or npm run --silent token -- ...)

  list      print the seeded demo actors as a JSON array (actor, role, residentId, institutionId, ...)
  <actor>   print a 12-hour bearer token for that demo actor, signed by the platform's local issuer

The issuer key is the one \`npm start\` created in $HEALTHMESH_DATA_DIR/keys; start the platform first.
${CONFIG_HELP}`,
  positionals: { min: 1, max: 1 },
});
const [command] = positionals as [string];
const config = configOrExit();
const actors = demoActors(config.seed);

if (command === 'list') {
  process.stdout.write(`${JSON.stringify(actors, null, 2)}\n`);
} else {
  const demo = actors.find((a) => a.actor === command);
  if (!demo) exitWith(`unknown actor "${command}" (npm run --silent token -- list shows them)`);
  if (!existsSync(join(config.dataDir, 'keys', 'identity-issuer.jwk.json'))) {
    exitWith(`no issuer key in ${config.dataDir}/keys: start the platform first (npm start), then ask for a token`, 1);
  }
  const actor: Actor = { sub: demo.actor, role: demo.role };
  if (demo.residentId) actor.residentId = demo.residentId;
  if (demo.institutionId) actor.institutionId = demo.institutionId;
  if (demo.practitionerId) actor.practitionerId = demo.practitionerId;
  process.stdout.write(`${await issueToken(await readKeyPair(config.dataDir, 'identity-issuer'), actor)}\n`);
}
