/**
 * Key management for operators.
 *
 *   node dist/scripts/keys.js rotate                   new KEK; re-wraps every data key (data untouched)
 *   node dist/scripts/keys.js rewrap                   re-wraps data keys not under the current KEK (after a KMS rotation)
 *   node dist/scripts/keys.js shred <residentId>       destroys a resident's data key (crypto-shredding)
 *   node dist/scripts/keys.js issue-cert <institutionId> --csr FILE [--host NAME] [--replace]
 *                                                      issues an institution certificate for its CSR from the platform CA
 *   node dist/scripts/keys.js revoke-cert <institutionId>  revokes it (the CRL at GET /pki/crl lists it)
 *   node dist/scripts/keys.js ca                       prints the platform CA certificate's path (creating the CA)
 *
 * Database: DATABASE_URL, or the embedded PGlite in $HEALTHMESH_DATA_DIR/pglite (stop `npm start`
 * first: an embedded database has one process at a time). Keys: $HEALTHMESH_DATA_DIR/keys and /pki,
 * or HEALTHMESH_KEK / HEALTHMESH_BLIND_INDEX_KEY from the environment.
 */
import './cli-errors.js';
import 'reflect-metadata';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { keyringFromConfig } from '../gateway/keyring/index.js';
import { readFileSync } from 'node:fs';
import { CertificateRequestError, CRL_PATH, issueInstitutionCertificate, loadOrCreatePlatformCa, revokeInstitutionCertificate } from '../gateway/pki/index.js';
import { institutions } from '../subgraphs/resources/tables.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../subgraphs/runtime/database.js';
import { configOrExit, exitWith, parseCommandLine } from './cli.js';
import type { PlatformConfig } from './config.js';

const USAGE = `usage: node dist/scripts/keys.js <command>

  rotate                    create a new key-encryption key and re-wrap every resident's data key under it
  rewrap                    re-wrap data keys not yet under the current key-encryption key (after rotating in a KMS)
  shred <residentId>        destroy a resident's data key: all their encrypted fields become unreadable, for good
  issue-cert <institutionId> --csr FILE [--host NAME] [--replace]
                            issue a certificate for the institution's CSR (PEM; it keeps its key), signed by the
                            platform CA: CN and O = its name, a DNS subjectAltName for --host, the CRL distribution
                            point; an existing certificate is kept unless --replace (which revokes it)
  revoke-cert <institutionId>  revoke the institution's certificate (listed in the CRL at GET ${CRL_PATH})
  ca                        print the path of the platform CA certificate (created on first use)

Make a CSR: openssl req -new -newkey rsa:2048 -nodes -keyout inst.key -subj "/CN=inst-01" -out inst.csr
`;

async function withDatabase<T>(config: PlatformConfig, run: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pglite') });
  try {
    await migrateAll(handle);
    return await run(handle);
  } finally {
    await handle.close();
  }
}

async function institutionName(config: PlatformConfig, institutionId: string): Promise<string> {
  const name = await withDatabase(config, async (handle) => {
    const [row] = await handle.db.select({ name: institutions.name }).from(institutions).where(eq(institutions.id, institutionId)).limit(1);
    return row?.name;
  });
  if (name === undefined) exitWith(`no institution "${institutionId}" in the region; nothing was issued`, 1);
  return name;
}

const TAKES_ARGUMENT: Record<string, boolean> = { rotate: false, rewrap: false, shred: true, 'issue-cert': true, 'revoke-cert': true, ca: false };

async function main(): Promise<void> {
  const { positionals, values } = parseCommandLine({
    usage: USAGE,
    options: { csr: { type: 'string' }, host: { type: 'string' }, replace: { type: 'boolean', default: false } },
    positionals: { min: 1, max: 2 },
  });
  const [command, argument] = positionals as [string, string | undefined];
  const takesArgument = TAKES_ARGUMENT[command];
  if (takesArgument === undefined) exitWith(`unknown command "${command}" (see --help)`);
  if (takesArgument && argument === undefined) exitWith(`${command} needs an argument (see --help)`);
  if (!takesArgument && argument !== undefined) exitWith(`${command} takes no argument, got "${argument}"`);
  if (command !== 'issue-cert' && (values.csr !== undefined || values.host !== undefined || values.replace)) exitWith('--csr, --host and --replace are options of issue-cert');
  if (command === 'issue-cert' && values.csr === undefined) exitWith('issue-cert needs the institution\'s CSR: --csr FILE (see --help)');
  const config = configOrExit();
  switch (command) {
    case 'rotate':
    case 'rewrap': {
      const { kekId, rewrapped } = await withDatabase(config, (handle) => {
        const keyring = keyringFromConfig(handle.db, config);
        return command === 'rotate' ? keyring.rotateKek() : keyring.rewrap();
      });
      process.stdout.write(`current KEK: ${kekId}\nre-wrapped data keys: ${rewrapped}\n`);
      return;
    }
    case 'shred': {
      const destroyed = await withDatabase(config, (handle) => keyringFromConfig(handle.db, config).shred(argument!));
      process.stdout.write(
        destroyed
          ? `destroyed the data key of resident ${argument}: their encrypted fields can no longer be read\n`
          : `no data key was destroyed: resident ${argument} had none or it was already destroyed (none will be created for them)\n`,
      );
      return;
    }
    case 'issue-cert': {
      let csrPem: string;
      try {
        csrPem = readFileSync(values.csr!, 'utf8');
      } catch {
        exitWith(`cannot read the CSR file ${values.csr}`);
      }
      const name = await institutionName(config, argument!);
      try {
        const issued = issueInstitutionCertificate(loadOrCreatePlatformCa(config.dataDir), {
          institutionId: argument!,
          name,
          csrPem,
          ...(values.host !== undefined ? { hostName: values.host } : {}),
          replace: values.replace === true,
          crlUrl: `${config.publicUrl}${CRL_PATH}`,
        });
        process.stdout.write(`certificate: ${issued.certPath}\nsubject: CN=${name}, O=${name}, OU=${argument}\nserial: ${issued.certificate.serialNumber}\n`);
      } catch (error) {
        if (error instanceof CertificateRequestError) exitWith(error.message, 1);
        throw error;
      }
      return;
    }
    case 'revoke-cert': {
      const revoked = revokeInstitutionCertificate(loadOrCreatePlatformCa(config.dataDir), argument!);
      if (!revoked) exitWith(`${argument} has no certificate to revoke`, 1);
      process.stdout.write(`revoked certificate ${revoked.serial} of ${argument}: the CRL at ${config.publicUrl}${CRL_PATH} lists it\n`);
      return;
    }
    case 'ca':
      process.stdout.write(`${loadOrCreatePlatformCa(config.dataDir).certPath}\n`);
      return;
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  const cause = (error as { cause?: unknown }).cause;
  exitWith(cause instanceof Error ? cause.message : (error as Error).message, 1);
}
