/**
 * The platform's PKI (DESIGN §4), with node-forge: a self-signed platform CA, certificates for
 * institutions (mutual TLS to the platform) and a signer for consent receipts a resident can verify
 * offline with OpenSSL. Field encryption never uses this; it is Node's crypto in gateway/keyring.
 *
 * Files under `<dataDir>/pki/` (private keys mode 0600):
 *   ca/ca.crt.pem, ca/ca.key.pem
 *   receipt-signer/receipt-signer.crt.pem, receipt-signer/receipt-signer.key.pem
 *   institutions/<id>.crt.pem (and <id>.key.pem only when no CSR was given: tests and demos)
 *   revoked.json (serials the CA revoked; the CRL at `GET /pki/crl` lists them)
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

const { pki, asn1 } = forge;

export const CA_COMMON_NAME = 'healthmesh platform CA';
export const ORGANIZATION = 'healthmesh';
const CA_YEARS = 10;
const LEAF_YEARS = 2;
const CA_KEY_BITS = 3072;
const LEAF_KEY_BITS = 2048;
const INSTITUTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A certificate with its private key and where both are stored. */
export interface KeyedCertificate {
  readonly certificate: forge.pki.Certificate;
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly certPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** The platform CA; `directory` is `<dataDir>/pki`. */
export interface PlatformCa extends KeyedCertificate {
  readonly directory: string;
}

/** An institution's certificate (CN and O = its name, serialNumber and OU = its id). */
export interface InstitutionCertificate {
  readonly certificate: forge.pki.Certificate;
  readonly certPem: string;
  readonly certPath: string;
  /** Only when the platform generated the key (no CSR): tests and demos. */
  readonly privateKey?: forge.pki.rsa.PrivateKey;
  readonly keyPem?: string;
  readonly keyPath?: string;
  readonly institutionId: string;
}

/** What the CA issues an institution's certificate for. */
export interface InstitutionCertificateRequest {
  institutionId: string;
  name: string;
  /** The institution's certificate signing request (PEM): it keeps its private key. */
  csrPem?: string;
  /** A DNS name the certificate also serves for TLS (a DNS subjectAltName). */
  hostName?: string;
  /** Re-issue over an existing certificate (the old one is revoked); otherwise an existing one is refused. */
  replace?: boolean;
  /** Where the CA publishes its CRL (the certificate's CRL distribution point). */
  crlUrl?: string;
}

/** A request the CA refuses (bad CSR, bad host name, an existing certificate without `replace`). */
export class CertificateRequestError extends Error {
  override readonly name = 'CertificateRequestError';
}

const HOST_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/i;

function utf8(type: string, value: string): forge.pki.CertificateField {
  return { type, value, valueTagClass: asn1.Type.UTF8 as unknown as forge.pki.CertificateField['valueTagClass'] };
}

/** A positive 128-bit serial number in hex. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, years: number, now: Date): void {
  // Back-dated a little so a verifier with a slightly slow clock accepts a certificate issued just now.
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  cert.validity.notAfter = notAfter;
}

function generateKeyPair(bits: number): forge.pki.rsa.KeyPair {
  // node-forge delegates to Node's native RSA key generation when it is available.
  return pki.rsa.generateKeyPair({ bits, e: 0x10001 });
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Writes a certificate and key into a fresh directory, then renames it into place; false if another process won. */
function publishDirectory(target: string, files: Record<string, { content: string; secret: boolean }>): boolean {
  const staging = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  for (const [name, { content, secret }] of Object.entries(files)) {
    if (secret) writeSecret(join(staging, name), content);
    else writeFileSync(join(staging, name), content, { mode: 0o644 });
  }
  try {
    renameSync(staging, target);
    return true;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

function loadKeyed(certPath: string, keyPath: string): KeyedCertificate {
  const certPem = readFileSync(certPath, 'utf8');
  return { certificate: pki.certificateFromPem(certPem), privateKey: pki.privateKeyFromPem(readFileSync(keyPath, 'utf8')), certPem, certPath, keyPath };
}

/** Whether `certificate` carries a valid signature of the CA. */
export function issuedBy(ca: PlatformCa, certificate: forge.pki.Certificate): boolean {
  try {
    return ca.certificate.verify(certificate);
  } catch {
    return false;
  }
}

/** The platform CA under `<dataDir>/pki/ca/`, created on first use (RSA-3072, SHA-256, 10 years). */
export function loadOrCreatePlatformCa(dataDir: string, now: Date = new Date()): PlatformCa {
  const directory = join(dataDir, 'pki');
  const caDirectory = join(directory, 'ca');
  const certPath = join(caDirectory, 'ca.crt.pem');
  const keyPath = join(caDirectory, 'ca.key.pem');
  if (!existsSync(certPath)) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const keys = generateKeyPair(CA_KEY_BITS);
    const cert = pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serialNumber();
    validity(cert, CA_YEARS, now);
    const subject = [utf8(pki.oids['commonName']!, CA_COMMON_NAME), utf8(pki.oids['organizationName']!, ORGANIZATION)];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: true },
    ]);
    cert.sign(keys.privateKey, forge.md.sha256.create());
    publishDirectory(caDirectory, {
      'ca.crt.pem': { content: pki.certificateToPem(cert), secret: false },
      'ca.key.pem': { content: pki.privateKeyToPem(keys.privateKey), secret: true },
    });
  }
  return { ...loadKeyed(certPath, keyPath), directory };
}

interface LeafProfile {
  subject: forge.pki.CertificateField[];
  keyUsage: Record<string, boolean>;
  extKeyUsage: Record<string, boolean>;
  altNames?: Array<{ type: number; value: string }>;
  crlUrl?: string;
}

function issueLeaf(ca: PlatformCa, profile: LeafProfile, now: Date): { cert: forge.pki.Certificate; keys: forge.pki.rsa.KeyPair } {
  const keys = generateKeyPair(LEAF_KEY_BITS);
  return { cert: signLeaf(ca, profile, keys.publicKey, now), keys };
}

function signLeaf(ca: PlatformCa, profile: LeafProfile, publicKey: forge.pki.PublicKey, now: Date): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, LEAF_YEARS, now);
  // Never past the CA's own expiry.
  if (cert.validity.notAfter > ca.certificate.validity.notAfter) cert.validity.notAfter = ca.certificate.validity.notAfter;
  cert.setSubject(profile.subject);
  cert.setIssuer(ca.certificate.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', ...profile.keyUsage, critical: true },
    { name: 'extKeyUsage', ...profile.extKeyUsage },
    ...(profile.altNames ? [{ name: 'subjectAltName', altNames: profile.altNames }] : []),
    ...(profile.crlUrl ? [{ name: 'cRLDistributionPoints', altNames: [{ type: 6, value: profile.crlUrl }] }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.certificate.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());
  return cert;
}

/** The public key of a PEM CSR whose self-signature verifies (its subject is not used: the CA sets its own). */
function csrPublicKey(csrPem: string): forge.pki.PublicKey {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromPem(csrPem);
  } catch {
    throw new CertificateRequestError('the CSR is not a PEM PKCS#10 request with an RSA key');
  }
  if (!csr.publicKey || !csr.verify()) throw new CertificateRequestError('the CSR signature does not verify');
  return csr.publicKey;
}

/**
 * Issues an institution's certificate for TLS client and server use, for the key of its CSR: CN and
 * O = its name, OU and serialNumber = its id, SAN `urn:healthmesh:institution:<id>` (and the DNS name
 * when given), the CA's CRL distribution point. An existing certificate is kept unless `replace`, and
 * then revoked. Without a CSR a key pair is generated here and stored beside it (tests and demos).
 */
export function issueInstitutionCertificate(ca: PlatformCa, request: InstitutionCertificateRequest, now: Date = new Date()): InstitutionCertificate {
  const { institutionId, name, hostName } = request;
  if (!INSTITUTION_ID.test(institutionId)) throw new CertificateRequestError(`invalid institution id "${institutionId.slice(0, 80)}": expected 1-64 of A-Z a-z 0-9 _ -`);
  if (name.trim().length === 0 || name.length > 64) throw new CertificateRequestError('an institution name has 1 to 64 characters (X.509 commonName)');
  if (hostName !== undefined && !HOST_NAME.test(hostName)) throw new CertificateRequestError(`"${hostName.slice(0, 80)}" is not a DNS host name`);
  const directory = join(ca.directory, 'institutions');
  const certPath = join(directory, `${institutionId}.crt.pem`);
  const keyPath = join(directory, `${institutionId}.key.pem`);
  const existing = existsSync(certPath) ? pki.certificateFromPem(readFileSync(certPath, 'utf8')) : undefined;
  if (existing && !request.replace) throw new CertificateRequestError(`${institutionId} already has a certificate (${certPath}); re-issue with --replace`);
  const generated = request.csrPem === undefined ? generateKeyPair(LEAF_KEY_BITS) : undefined;
  const publicKey = generated ? generated.publicKey : csrPublicKey(request.csrPem!);
  const cert = signLeaf(
    ca,
    {
      subject: [
        utf8(pki.oids['commonName']!, name.trim()),
        utf8(pki.oids['organizationName']!, name.trim()),
        utf8(pki.oids['organizationalUnitName']!, institutionId),
        // X.520 serialNumber is a PrintableString.
        { type: pki.oids['serialNumber']!, value: institutionId },
      ],
      keyUsage: { digitalSignature: true, keyEncipherment: true },
      extKeyUsage: { serverAuth: true, clientAuth: true },
      altNames: [{ type: 6, value: `urn:healthmesh:institution:${institutionId}` }, ...(hostName ? [{ type: 2, value: hostName.toLowerCase() }] : [])],
      ...(request.crlUrl ? { crlUrl: request.crlUrl } : {}),
    },
    publicKey,
    now,
  );
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const certPem = pki.certificateToPem(cert);
  const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
  let keyPem: string | undefined;
  if (generated) {
    // Key first, each by rename, so a reader never sees a certificate without its key.
    keyPem = pki.privateKeyToPem(generated.privateKey);
    writeSecret(keyPath + suffix, keyPem);
    renameSync(keyPath + suffix, keyPath);
  } else {
    // A key the platform once generated does not belong to a certificate issued for a CSR.
    rmSync(keyPath, { force: true });
  }
  writeFileSync(certPath + suffix, certPem, { mode: 0o644 });
  renameSync(certPath + suffix, certPath);
  if (existing) revokeSerial(ca, { serial: existing.serialNumber, institutionId, revokedAt: now });
  return { certificate: cert, certPem, certPath, institutionId, ...(generated ? { privateKey: generated.privateKey, keyPem: keyPem!, keyPath } : {}) };
}

/** One revoked certificate as the CA records it. */
export interface RevokedCertificate {
  serial: string;
  institutionId: string;
  revokedAt: Date;
}

function revokedFile(ca: PlatformCa): string {
  return join(ca.directory, 'revoked.json');
}

/** The certificates this CA revoked, oldest first. */
export function revokedCertificates(ca: PlatformCa): RevokedCertificate[] {
  const file = revokedFile(ca);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as Array<{ serial: string; institutionId: string; revokedAt: string }>).map((r) => ({ ...r, revokedAt: new Date(r.revokedAt) }));
}

function revokeSerial(ca: PlatformCa, revoked: RevokedCertificate): void {
  const all = revokedCertificates(ca);
  if (all.some((r) => r.serial === revoked.serial)) return;
  all.push(revoked);
  const file = revokedFile(ca);
  const suffix = `.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(file + suffix, JSON.stringify(all.map((r) => ({ ...r, revokedAt: r.revokedAt.toISOString() })), null, 2), { mode: 0o644 });
  renameSync(file + suffix, file);
}

/** Revokes an institution's current certificate (it stays on disk, listed in the CRL); false when it has none. */
export function revokeInstitutionCertificate(ca: PlatformCa, institutionId: string, now: Date = new Date()): { serial: string } | undefined {
  if (!INSTITUTION_ID.test(institutionId)) throw new CertificateRequestError(`invalid institution id "${institutionId.slice(0, 80)}"`);
  const certPath = join(ca.directory, 'institutions', `${institutionId}.crt.pem`);
  if (!existsSync(certPath)) return undefined;
  const serial = pki.certificateFromPem(readFileSync(certPath, 'utf8')).serialNumber;
  revokeSerial(ca, { serial, institutionId, revokedAt: now });
  return { serial };
}

/**
 * The consent-receipt signer under `<dataDir>/pki/receipt-signer/`, created on first use: a leaf of the
 * platform CA with digitalSignature + nonRepudiation and the emailProtection EKU (what S/MIME
 * verification, `openssl smime -verify`, requires of a signer).
 */
export function loadOrCreateReceiptSigner(ca: PlatformCa, now: Date = new Date()): KeyedCertificate {
  const directory = join(ca.directory, 'receipt-signer');
  const certPath = join(directory, 'receipt-signer.crt.pem');
  const keyPath = join(directory, 'receipt-signer.key.pem');
  if (!existsSync(certPath)) {
    const { cert, keys } = issueLeaf(
      ca,
      {
        subject: [utf8(pki.oids['commonName']!, 'healthmesh consent receipts'), utf8(pki.oids['organizationName']!, ORGANIZATION)],
        keyUsage: { digitalSignature: true, nonRepudiation: true },
        extKeyUsage: { emailProtection: true },
      },
      now,
    );
    publishDirectory(directory, {
      'receipt-signer.crt.pem': { content: pki.certificateToPem(cert), secret: false },
      'receipt-signer.key.pem': { content: pki.privateKeyToPem(keys.privateKey), secret: true },
    });
  }
  const signer = loadKeyed(certPath, keyPath);
  if (!issuedBy(ca, signer.certificate)) {
    throw new Error(`the receipt signer in ${directory} was not issued by the platform CA in ${join(ca.directory, 'ca')}; move it away to issue a new one`);
  }
  return signer;
}
