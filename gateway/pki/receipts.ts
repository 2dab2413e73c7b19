/**
 * Signed consent receipts: a PKCS#7 / CMS SignedData (PEM) carrying the canonical JSON of one consent
 * version, signed by the platform's receipt signer with authenticated attributes (contentType,
 * signingTime, messageDigest) and the signer certificate included. A resident verifies it offline:
 *
 *   openssl smime -verify -in receipt.pem -inform PEM -CAfile ca.pem     (prints the JSON)
 *
 * node-forge can sign PKCS#7 but not verify it, so `verifyConsentReceipt` walks the ASN.1 itself.
 */
import canonicalize from 'canonicalize';
import forge from 'node-forge';
import { toFhirConsent, type ConsentRecord, type FhirConsent } from '../../consent/consents.js';
import type { KeyedCertificate } from './ca.js';

const { pki, asn1 } = forge;

const OID = {
  signedData: pki.oids['signedData']!,
  data: pki.oids['data']!,
  contentType: pki.oids['contentType']!,
  messageDigest: pki.oids['messageDigest']!,
  signingTime: pki.oids['signingTime']!,
  sha256: pki.oids['sha256']!,
  rsaEncryption: pki.oids['rsaEncryption']!,
  sha256WithRSAEncryption: pki.oids['sha256WithRSAEncryption']!,
};

/** What a receipt attests: the consent version as FHIR R4, its version number and when it was recorded. */
export interface ConsentReceiptContent {
  consent: FhirConsent;
  recordedAt: string;
  version: number;
}

/** RFC 8785 (JCS) canonical JSON: one byte sequence per value, as any JCS implementation computes it. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('canonical JSON needs a JSON value');
  return text;
}

/** The receipt's content for a consent version. */
export function consentReceiptContent(consent: ConsentRecord): ConsentReceiptContent {
  return { consent: toFhirConsent(consent), recordedAt: consent.recordedAt.toISOString(), version: consent.version };
}

/** The exact bytes (as a string) a receipt signs. */
export function consentReceiptJson(consent: ConsentRecord): string {
  return canonicalJson(consentReceiptContent(consent));
}

/** Signs a consent version: a PEM `PKCS7` SignedData with the JSON attached. */
export function signConsentReceipt(signer: KeyedCertificate, consent: ConsentRecord, now: Date = new Date()): string {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(consentReceiptJson(consent), 'utf8');
  p7.addCertificate(signer.certificate);
  p7.addSigner({
    key: signer.privateKey,
    certificate: signer.certificate,
    digestAlgorithm: OID.sha256,
    // In DER order of their encodings (a SET OF is sorted), so strict verifiers re-encode identically.
    authenticatedAttributes: [
      { type: OID.contentType, value: OID.data },
      { type: OID.signingTime, value: now as unknown as string },
      { type: OID.messageDigest },
    ],
  });
  p7.sign();
  return forge.pkcs7.messageToPem(p7);
}

/** A receipt that does not verify; the message says which check failed. */
export class ReceiptVerificationError extends Error {
  constructor(message: string) {
    super(`consent receipt does not verify: ${message}`);
    this.name = 'ReceiptVerificationError';
  }
}

type Node = forge.asn1.Asn1;

function fail(message: string): never {
  throw new ReceiptVerificationError(message);
}

function children(node: Node | undefined, what: string): Node[] {
  if (!node || !Array.isArray(node.value)) fail(`malformed ${what}`);
  return node.value as Node[];
}

function bytes(node: Node | undefined, what: string): string {
  if (!node) fail(`missing ${what}`);
  if (typeof node.value === 'string') return node.value;
  // A constructed (BER) string: the concatenation of its parts.
  return children(node, what)
    .map((part) => bytes(part, what))
    .join('');
}

function oid(node: Node | undefined, what: string): string {
  if (!node || node.tagClass !== asn1.Class.UNIVERSAL || node.type !== asn1.Type.OID) fail(`missing ${what}`);
  return asn1.derToOid(bytes(node, what));
}

function isContext(node: Node, tag: number): boolean {
  return node.tagClass === asn1.Class.CONTEXT_SPECIFIC && node.type === tag;
}

function sha256(data: string): string {
  return forge.md.sha256.create().update(data).digest().getBytes();
}

/**
 * Verifies a receipt against the platform CA certificate: one signer, certified by the CA for
 * S/MIME signing and valid at `now`; SHA-256 message digest over the content; the RSA signature over
 * the authenticated attributes. Returns the attested JSON; throws `ReceiptVerificationError`.
 */
export function verifyConsentReceipt(pem: string, caPem: string, now: Date = new Date()): ConsentReceiptContent {
  let root: Node;
  try {
    const [message] = forge.pem.decode(pem);
    if (!message || (message.type !== 'PKCS7' && message.type !== 'CMS')) fail('not a PEM PKCS7 message');
    root = asn1.fromDer(message.body, true);
  } catch (error) {
    if (error instanceof ReceiptVerificationError) throw error;
    fail(`cannot parse: ${(error as Error).message}`);
  }
  const [contentTypeNode, explicitContent] = children(root, 'ContentInfo');
  if (oid(contentTypeNode, 'content type') !== OID.signedData) fail('not a SignedData');
  const signedData = children(children(explicitContent, 'SignedData wrapper')[0], 'SignedData');
  const encapsulated = children(signedData[2], 'encapsulated content');
  if (oid(encapsulated[0], 'encapsulated content type') !== OID.data) fail('content is not of type data');
  if (!encapsulated[1] || !isContext(encapsulated[1], 0)) fail('no attached content');
  const content = bytes(children(encapsulated[1], 'content')[0], 'content');

  const certificates: forge.pki.Certificate[] = [];
  let signerInfos: Node[] | undefined;
  for (const node of signedData.slice(3)) {
    if (isContext(node, 0)) for (const cert of children(node, 'certificates')) certificates.push(pki.certificateFromAsn1(cert));
    else if (node.tagClass === asn1.Class.UNIVERSAL && node.type === asn1.Type.SET) signerInfos = children(node, 'signer infos');
  }
  if (!signerInfos || signerInfos.length !== 1) fail(`expected exactly one signer, found ${signerInfos?.length ?? 0}`);
  const signerInfo = children(signerInfos[0], 'SignerInfo');
  const [issuerName, serial] = children(signerInfo[1], 'issuerAndSerialNumber');
  const issuerHash = forge.md.sha1.create().update(asn1.toDer(issuerName!).getBytes()).digest().toHex();
  const serialHex = forge.util.bytesToHex(bytes(serial, 'serial number'));
  const signerCert = certificates.find((cert) => cert.serialNumber === serialHex && cert.issuer.hash === issuerHash);
  if (!signerCert) fail('the signer certificate is not included');

  let caStore: forge.pki.CAStore;
  try {
    caStore = pki.createCaStore([caPem]);
  } catch (error) {
    fail(`cannot read the CA certificate: ${(error as Error).message}`);
  }
  try {
    pki.verifyCertificateChain(caStore, [signerCert], { validityCheckDate: now });
  } catch (error) {
    fail(`the signer certificate is not certified by this CA: ${(error as { message?: string }).message ?? String(error)}`);
  }
  const eku = signerCert.getExtension('extKeyUsage') as { emailProtection?: boolean } | undefined;
  const keyUsage = signerCert.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean } | undefined;
  if (eku && !eku.emailProtection) fail('the signer certificate is not for signing messages (no emailProtection)');
  if (keyUsage && !keyUsage.digitalSignature && !keyUsage.nonRepudiation) fail('the signer certificate may not sign');

  if (oid(children(signerInfo[2], 'digest algorithm')[0], 'digest algorithm') !== OID.sha256) fail('digest algorithm is not SHA-256');
  const attributesNode = signerInfo[3];
  if (!attributesNode || !isContext(attributesNode, 0)) fail('no authenticated attributes');
  const attributes = new Map<string, Node[]>();
  for (const attribute of children(attributesNode, 'authenticated attributes')) {
    const [type, values] = children(attribute, 'attribute');
    attributes.set(oid(type, 'attribute type'), children(values, 'attribute values'));
  }
  if (oid(attributes.get(OID.contentType)?.[0], 'contentType attribute') !== OID.data) fail('contentType attribute is not data');
  const digest = attributes.get(OID.messageDigest)?.[0];
  if (!digest || bytes(digest, 'messageDigest attribute') !== sha256(content)) fail('message digest does not match the content');

  const signatureAlgorithm = oid(children(signerInfo[4], 'signature algorithm')[0], 'signature algorithm');
  if (signatureAlgorithm !== OID.rsaEncryption && signatureAlgorithm !== OID.sha256WithRSAEncryption) fail(`unsupported signature algorithm ${signatureAlgorithm}`);
  // The signature covers the attributes DER-encoded as a SET, not as the [0] they are stored in.
  const signedAttributes = asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, children(attributesNode, 'authenticated attributes'))).getBytes();
  let valid = false;
  try {
    valid = (signerCert.publicKey as forge.pki.rsa.PublicKey).verify(sha256(signedAttributes), bytes(signerInfo[5], 'signature'));
  } catch {
    valid = false;
  }
  if (!valid) fail('the signature does not match');

  let parsed: unknown;
  try {
    parsed = JSON.parse(forge.util.decodeUtf8(content));
  } catch {
    fail('the signed content is not JSON');
  }
  const receipt = parsed as Partial<ConsentReceiptContent>;
  if (!receipt || typeof receipt !== 'object' || receipt.consent?.resourceType !== 'Consent' || typeof receipt.version !== 'number') {
    fail('the signed content is not a consent receipt');
  }
  return receipt as ConsentReceiptContent;
}
