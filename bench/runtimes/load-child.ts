/**
 * The load generator's process (spawned by `load.ts`): runs autocannon with the options in the JSON
 * file named by its argument and prints autocannon's report as JSON on standard output.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AutocannonReport, LoadChildOptions } from './load.js';

type Autocannon = (options: LoadChildOptions) => Promise<AutocannonReport>;
// autocannon ships no types; the options and report are the parts load.ts declares.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const options = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadChildOptions;
const report = await autocannon(options);
process.stdout.write(JSON.stringify(report));
