/**
 * Imported first by every command: a mistake the user can fix (another process holds the embedded
 * database) ends the command with one line and exit code 1, not a stack trace.
 */
import { DataDirectoryInUseError } from '../subgraphs/runtime/database.js';

function handle(error: unknown): void {
  if (error instanceof DataDirectoryInUseError) {
    process.stderr.write(`healthmesh: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

process.on('uncaughtException', handle);
process.on('unhandledRejection', handle);
