/**
 * Imported first by every command: a mistake the user can fix (another process holds the embedded
 * database, a bad configuration value, a bad argument) ends the command with one line and a non-zero
 * exit code, not a stack trace.
 */
// Before anything that loads type-graphql classes (the configuration reads the subgraph registry).
import 'reflect-metadata';
import { DataDirectoryInUseError } from '../subgraphs/runtime/database.js';
import { exitWith, UsageError } from './cli.js';
import { ConfigError } from './config.js';

function handle(error: unknown): void {
  if (error instanceof DataDirectoryInUseError) exitWith(error.message, 1);
  if (error instanceof ConfigError || error instanceof UsageError) exitWith(error.message, 2);
  throw error;
}

process.on('uncaughtException', handle);
process.on('unhandledRejection', handle);
