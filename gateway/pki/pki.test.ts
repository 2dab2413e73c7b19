import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentRecord } from '../../consent/consents.js';
import {
  issueInstitutionCertificate,
  loadOrCreatePlatformCa,
  loadOrCreateReceiptSigner,
  revokedCertificates,
  revokeInstitutionCertificate,
  type InstitutionCertificateRequest,
  type KeyedCertificate,
  type PlatformCa,
} from './ca.js';
import { currentCrlDer } from './crl.js';
import { consentReceiptJson, signConsentReceipt, verifyConsentReceipt } from './receipts.js';

const OPENSSL = '/usr/bin/openssl';

function openssl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(OPENSSL, args, { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const consent: ConsentRecord = {
  id: 'consent-7f3a',
  versionId: 'cv-91b2',
  version: 2,
  residentId: 'res-000042',
  categories: ['CLINICAL', 'RESULTS'],
  recipient: { kind: 'INSTITUTION', id: 'inst-110105-01' },
  purposes: ['TREAT'],
  provision: 'PERMIT',
  status: 'ACTIVE',
  validFrom: new Date('2026-03-01T00:00:00.000Z'),
  validUntil: new Date('2027-03-01T00:00:00.000Z'),
  noticeVersion: '2026-01',
  autoApprove: false,
  guardianId: null,
  recordedBy: 'sub-res-000042',
  recordedAt: new Date('2026-03-01T09:30:00.000Z'),
};

/** The receipt with one byte of its signed content changed ("permit" becomes "qermit"). */
function tamper(pem: string): string {
  const der = Buffer.from(forge.pem.decode(pem)[0]!.body, 'binary');
  const at = der.indexOf(Buffer.from('"type":"permit"', 'utf8')) + '"type":"'.length;
  expect(String.fromCharCode(der[at]!)).toBe('p');
  der[at] = der[at]! ^ 0x01;
  return forge.pem.encode({ type: 'PKCS7', body: der.toString('binary') });
}

describe('the platform PKI', () => {
  let dataDir: string;
  let ca: PlatformCa;
  let signer: KeyedCertificate;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'healthmesh-pki-'));
    ca = loadOrCreatePlatformCa(dataDir);
    signer = loadOrCreateReceiptSigner(ca);
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates the platform CA once, as a 10-year SHA-256 CA certificate with a private key file, and reuses it', () => {
    expect(loadOrCreatePlatformCa(dataDir).certPem).toBe(ca.certPem);
    expect(ca.certPath).toBe(join(dataDir, 'pki', 'ca', 'ca.crt.pem'));
    expect(statSync(ca.keyPath).mode & 0o777).toBe(0o600);
    const cert = ca.certificate;
    expect(cert.subject.getField('CN').value).toBe('healthmesh platform CA');
    expect(cert.siginfo.algorithmOid).toBe(forge.pki.oids['sha256WithRSAEncryption']);
    expect(cert.getExtension('basicConstraints')).toMatchObject({ cA: true, critical: true });
    expect(cert.getExtension('keyUsage')).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
    expect(cert.validity.notAfter.getUTCFullYear() - cert.validity.notBefore.getUTCFullYear()).toBe(10);
    expect(openssl('x509', '-in', ca.certPath, '-noout', '-subject').stdout.trim()).toBe('subject=CN = healthmesh platform CA, O = healthmesh');
  });

  it('issues an institution certificate that `openssl verify` accepts against the CA, for TLS client and server', () => {
    const issued = issueInstitutionCertificate(ca, { institutionId: 'inst-110105-01', name: '北京市朝阳区第一人民医院' });
    expect(issued.certPath).toBe(join(dataDir, 'pki', 'institutions', 'inst-110105-01.crt.pem'));
    expect(statSync(issued.keyPath!).mode & 0o777).toBe(0o600);
    expect(readFileSync(issued.certPath, 'utf8')).toBe(issued.certPem);
    expect(openssl('verify', '-CAfile', ca.certPath, issued.certPath)).toEqual({ status: 0, stdout: `${issued.certPath}: OK\n`, stderr: '' });
    expect(openssl('verify', '-purpose', 'sslclient', '-CAfile', ca.certPath, issued.certPath).status).toBe(0);
    expect(openssl('verify', '-purpose', 'sslserver', '-CAfile', ca.certPath, issued.certPath).status).toBe(0);
    expect(openssl('x509', '-in', issued.certPath, '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus_space').stdout.trim()).toBe(
      'subject=CN=北京市朝阳区第一人民医院, O=北京市朝阳区第一人民医院, OU=inst-110105-01, serialNumber=inst-110105-01',
    );
  });

  it('issues for a CSR without ever holding the institution key: CN and O its name, a DNS SAN, the CRL distribution point', () => {
    const keyFile = join(dataDir, 'inst-csr.key');
    const csrFile = join(dataDir, 'inst-csr.csr');
    expect(openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', '/CN=whatever the institution typed', '-out', csrFile).status).toBe(0);
    const issued = issueInstitutionCertificate(ca, {
      institutionId: 'inst-csr',
      name: '杭州市中心医院',
      csrPem: readFileSync(csrFile, 'utf8'),
      hostName: 'his.hzch.example.cn',
      crlUrl: 'http://localhost:4000/pki/crl',
    });
    expect(issued.keyPath).toBeUndefined();
    expect(existsSync(join(dataDir, 'pki', 'institutions', 'inst-csr.key.pem'))).toBe(false);
    expect(openssl('verify', '-purpose', 'sslserver', '-CAfile', ca.certPath, issued.certPath).status).toBe(0);
    // The certificate is for the institution's own key.
    const certKey = openssl('x509', '-in', issued.certPath, '-noout', '-pubkey').stdout;
    const ownKey = openssl('pkey', '-in', keyFile, '-pubout').stdout;
    expect(certKey).toBe(ownKey);
    const text = openssl('x509', '-in', issued.certPath, '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space').stdout;
    expect(text).toContain('Subject: CN=杭州市中心医院, O=杭州市中心医院, OU=inst-csr, serialNumber=inst-csr');
    expect(text).toContain('DNS:his.hzch.example.cn');
    expect(text).toContain('URI:urn:healthmesh:institution:inst-csr');
    expect(text).toMatch(/X509v3 CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/localhost:4000\/pki\/crl/);
  });

  it('refuses a CSR whose signature does not verify, a bad host name, and re-issuing without replace', () => {
    const csrFile = join(dataDir, 'inst-csr.csr');
    const csrPem = readFileSync(csrFile, 'utf8');
    const before = readFileSync(join(dataDir, 'pki', 'institutions', 'inst-csr.crt.pem'), 'utf8');
    const refusals: Array<[InstitutionCertificateRequest, RegExp]> = [
      [{ institutionId: 'inst-new', name: 'N', csrPem: 'not a csr' }, /not a PEM PKCS#10/],
      [{ institutionId: 'inst-new', name: 'N', csrPem, hostName: 'bad host!' }, /not a DNS host name/],
      [{ institutionId: 'inst-csr', name: '杭州市中心医院', csrPem }, /already has a certificate .*--replace/],
    ];
    expect(refusals.length).toBe(3);
    for (const [request, message] of refusals) expect(() => issueInstitutionCertificate(ca, request)).toThrow(message);
    expect(readFileSync(join(dataDir, 'pki', 'institutions', 'inst-csr.crt.pem'), 'utf8')).toBe(before);
    expect(existsSync(join(dataDir, 'pki', 'institutions', 'inst-new.crt.pem'))).toBe(false);
  });

  it('revokes a certificate (and a replaced one) into a CRL that openssl verifies against the CA', () => {
    const csrPem = readFileSync(join(dataDir, 'inst-csr.csr'), 'utf8');
    const first = forge.pki.certificateFromPem(readFileSync(join(dataDir, 'pki', 'institutions', 'inst-csr.crt.pem'), 'utf8')).serialNumber;
    const replaced = issueInstitutionCertificate(ca, { institutionId: 'inst-csr', name: '杭州市中心医院', csrPem, replace: true });
    expect(replaced.certificate.serialNumber).not.toBe(first);
    expect(revokedCertificates(ca).map((r) => r.serial)).toEqual([first]);
    expect(revokeInstitutionCertificate(ca, 'inst-csr')).toEqual({ serial: replaced.certificate.serialNumber });
    expect(revokeInstitutionCertificate(ca, 'inst-never')).toBeUndefined();
    const crlFile = join(dataDir, 'ca.crl');
    writeFileSync(crlFile, currentCrlDer(ca));
    const checked = openssl('crl', '-in', crlFile, '-inform', 'DER', '-CAfile', ca.certPath, '-noout', '-text');
    expect(checked.stderr).toContain('verify OK');
    expect(checked.status).toBe(0);
    for (const serial of [first, replaced.certificate.serialNumber]) expect(checked.stdout.toLowerCase()).toContain(serial.toLowerCase().replace(/^0+/, ''));
    // A chain check with the CRL now fails for the revoked certificate.
    const crlPem = join(dataDir, 'ca.crl.pem');
    expect(openssl('crl', '-in', crlFile, '-inform', 'DER', '-out', crlPem).status).toBe(0);
    const withCrl = openssl('verify', '-crl_check', '-CAfile', ca.certPath, '-CRLfile', crlPem, replaced.certPath);
    expect(withCrl.status).not.toBe(0);
    expect(withCrl.stdout + withCrl.stderr).toContain('certificate revoked');
  });

  it('issues no certificate that verifies against another CA', () => {
    const other = loadOrCreatePlatformCa(mkdtempSync(join(tmpdir(), 'healthmesh-pki-other-')));
    const issued = issueInstitutionCertificate(other, { institutionId: 'inst-x', name: 'Other' });
    expect(openssl('verify', '-CAfile', ca.certPath, issued.certPath).status).toBe(2);
    rmSync(join(other.directory, '..'), { recursive: true, force: true });
  });

  it('signs a consent receipt that `openssl smime -verify` accepts and prints as the signed JSON', () => {
    const pem = signConsentReceipt(signer, consent);
    const file = join(dataDir, 'receipt.pem');
    writeFileSync(file, pem);
    const json = consentReceiptJson(consent);
    expect(JSON.parse(json)).toEqual({
      consent: expect.objectContaining({ resourceType: 'Consent', id: 'consent-7f3a', status: 'active', patient: { reference: 'Patient/res-000042' } }),
      recordedAt: '2026-03-01T09:30:00.000Z',
      version: 2,
    });
    const smime = openssl('smime', '-verify', '-in', file, '-inform', 'PEM', '-CAfile', ca.certPath);
    expect(smime).toEqual({ status: 0, stdout: json, stderr: 'Verification successful\n' });
    const cms = openssl('cms', '-verify', '-in', file, '-inform', 'PEM', '-CAfile', ca.certPath);
    expect(cms).toEqual({ status: 0, stdout: json, stderr: 'CMS Verification successful\n' });
    expect(verifyConsentReceipt(pem, ca.certPem)).toEqual(JSON.parse(json));
  });

  it('carries contentType, signingTime and messageDigest as authenticated attributes', () => {
    const file = join(dataDir, 'receipt-attributes.pem');
    writeFileSync(file, signConsentReceipt(signer, consent, new Date('2026-03-01T09:31:00.000Z')));
    const printed = openssl('cms', '-cmsout', '-print', '-in', file, '-inform', 'PEM').stdout;
    expect(printed).toMatch(/object: contentType \(1\.2\.840\.113549\.1\.9\.3\)/);
    expect(printed).toMatch(/object: signingTime \(1\.2\.840\.113549\.1\.9\.5\)[\s\S]*?UTCTIME:Mar  1 09:31:00 2026 GMT/);
    expect(printed).toMatch(/object: messageDigest \(1\.2\.840\.113549\.1\.9\.4\)/);
  });

  it('fails a receipt with one byte changed, in openssl and in our own verification', () => {
    const tampered = tamper(signConsentReceipt(signer, consent));
    const file = join(dataDir, 'tampered.pem');
    writeFileSync(file, tampered);
    const result = openssl('smime', '-verify', '-in', file, '-inform', 'PEM', '-CAfile', ca.certPath);
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/Verification failure/);
    expect(() => verifyConsentReceipt(tampered, ca.certPem)).toThrow('consent receipt does not verify: message digest does not match the content');
  });

  it('refuses, in our own verification, a receipt checked against another CA', () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'healthmesh-pki-other-'));
    const other = loadOrCreatePlatformCa(otherDir);
    const pem = signConsentReceipt(signer, consent);
    expect(() => verifyConsentReceipt(pem, other.certPem)).toThrow(/^consent receipt does not verify: the signer certificate is not certified by this CA/);
    expect(openssl('smime', '-verify', '-in', join(dataDir, 'receipt.pem'), '-inform', 'PEM', '-CAfile', other.certPath).status).toBe(4);
    rmSync(otherDir, { recursive: true, force: true });
  });
});
