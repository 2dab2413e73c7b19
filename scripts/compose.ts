/** `npm run compose`: composes the domain subgraphs into schema/supergraph.graphql. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_PATH } from '../schema/supergraph.js';
import { buildServedSdls } from './subgraphs.js';

const sdls = await buildServedSdls();
const supergraph = composeSupergraph(sdls);
writeFileSync(SUPERGRAPH_PATH, supergraph);
process.stdout.write(`Composed ${sdls.length} subgraphs into ${SUPERGRAPH_PATH} (${supergraph.length} bytes).\n`);
