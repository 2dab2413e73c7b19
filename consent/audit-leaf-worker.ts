/**
 * A worker thread of full audit verification: hashes the pages it is sent (`pageLeaves`) and sends
 * the leaves back, transferring their bytes (no copy).
 */
import { parentPort } from 'node:worker_threads';
import { pageLeaves } from './audit-leaves.js';

export interface LeafJob {
  id: number;
  page: string;
  firstLeafIndex: number;
}

const port = parentPort;
if (!port) throw new Error('audit-leaf-worker.js runs as a worker thread of full audit verification');
port.on('message', (job: LeafJob) => {
  const result = pageLeaves(job.page, job.firstLeafIndex);
  port.postMessage({ id: job.id, result }, [result.leaves.buffer as ArrayBuffer]);
});
