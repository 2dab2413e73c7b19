/**
 * The ingest benchmark's load process (DESIGN §12: load comes from a separate process, never from
 * inside the process under test): `node dist/bench/ingest-client.js <file.ndjson> <gateway url>
 * <institution>`, the hospital system's token in HEALTHMESH_TOKEN. Runs `npm run import`'s path
 * (scripts/feed-import.ts, all or nothing) and prints one JSON line: the report and the ids written.
 */
import { readFileSync } from 'node:fs';
import { importFeed } from '../scripts/feed-import.js';

const [file, url, institutionId] = process.argv.slice(2);
const token = process.env['HEALTHMESH_TOKEN'];
if (!file || !url || !institutionId || !token) throw new Error('usage: ingest-client.js <file.ndjson> <gateway url> <institution> (HEALTHMESH_TOKEN set)');
const ids: string[] = [];
const report = await importFeed(readFileSync(file, 'utf8'), { url, token, institutionId, acceptValid: false, batchSize: 1000, onStored: (stored) => ids.push(...stored) });
process.stdout.write(`${JSON.stringify({ report, ids })}\n`);
