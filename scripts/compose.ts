/** `npm run compose`: composes the domain subgraphs into schema/supergraph.graphql. */
import './cli-errors.js';
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_PATH } from '../schema/supergraph.js';
import { parseCommandLine } from './cli.js';
import { buildServedSdls } from './subgraphs.js';

parseCommandLine({
  usage: `usage: npm run compose   (or node dist/scripts/compose.js)

Builds every subgraph's SDL and composes them into ${SUPERGRAPH_PATH}, which the gateway serves.
Opens no database and needs no keys.`,
});
const sdls = await buildServedSdls();
const supergraph = composeSupergraph(sdls);
writeFileSync(SUPERGRAPH_PATH, supergraph);
process.stdout.write(`Composed ${sdls.length} subgraphs into ${SUPERGRAPH_PATH} (${supergraph.length} bytes).\n`);
