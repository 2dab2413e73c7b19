import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirectoryInUseError, openDatabase } from './database.js';

const run = promisify(execFile);

describe('the embedded database directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-lock-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is held by one process at a time: a second opening fails at once, and succeeds once the first closed', async () => {
    const pglite = join(dataDir, 'pglite');
    const first = await openDatabase({ dataDir: pglite });
    await expect(openDatabase({ dataDir: pglite })).rejects.toBeInstanceOf(DataDirectoryInUseError);
    await first.close();
    const second = await openDatabase({ dataDir: pglite });
    expect(await second.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
    await second.close();
  });

  it('stops another command (keys rotate) with one line naming the directory while the platform holds it', async () => {
    const held = await openDatabase({ dataDir: join(dataDir, 'pglite') });
    try {
      const { DATABASE_URL: _ignored, ...env } = process.env;
      void _ignored;
      const failed = await run(process.execPath, ['dist/scripts/keys.js', 'rotate'], { env: { ...env, HEALTHMESH_DATA_DIR: dataDir } }).then(
        () => undefined,
        (error: { code: number; stderr: string; stdout: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr.trim().split('\n')).toEqual([`keys: The embedded database in ${join(dataDir, 'pglite')} is in use by another healthmesh process (is npm start running?). Stop it first, or use its gateway.`]);
    } finally {
      await held.close();
    }
  });
});
