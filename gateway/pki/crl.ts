/**
 * The CA's certificate revocation list (RFC 5280 §5, v2, SHA-256 with RSA), built as ASN.1 with
 * node-forge (which signs but has no CRL builder), and the `GET /pki/crl` route that publishes it (DER,
 * `application/pkix-crl`, as a CRL distribution point is fetched). `openssl crl -CAfile ca.pem` checks it.
 */
import forge from 'node-forge';
import type { ExtraRoute } from '../../subgraphs/runtime/http.js';
import { revokedCertificates, type PlatformCa } from './ca.js';

const { asn1, pki } = forge;

/** Where the CRL is served, relative to the gateway's origin. */
export const CRL_PATH = '/pki/crl';
/** How long a CRL is fresh: a relying party fetches again after this. */
const NEXT_UPDATE_MS = 24 * 3_600_000;

const sequence = (value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
const oid = (name: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(name).getBytes());
const integerFromHex = (hex: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, forge.util.hexToBytes(hex.length % 2 ? `0${hex}` : hex));
const utcTime = (date: Date) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date));
const sha256WithRsa = () => sequence([oid(pki.oids['sha256WithRSAEncryption']!), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]);

/** The DER bytes of the CA's current CRL, numbered by the count of revocations. */
export function currentCrlDer(ca: PlatformCa, now: Date = new Date()): Buffer {
  const revoked = revokedCertificates(ca);
  const keyIdentifier = ca.certificate.generateSubjectKeyIdentifier().getBytes();
  const extensions = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
    sequence([
      // authorityKeyIdentifier: which CA key signed this list.
      sequence([oid('2.5.29.35'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(sequence([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyIdentifier)])).getBytes())]),
      // cRLNumber: grows with every revocation, so a newer list is recognisable.
      sequence([oid('2.5.29.20'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(integerFromHex((revoked.length + 1).toString(16))).getBytes())]),
    ]),
  ]);
  const tbs = sequence([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(1)),
    sha256WithRsa(),
    pki.distinguishedNameToAsn1(ca.certificate.subject),
    utcTime(now),
    utcTime(new Date(now.getTime() + NEXT_UPDATE_MS)),
    ...(revoked.length > 0 ? [sequence(revoked.map((r) => sequence([integerFromHex(r.serial), utcTime(r.revokedAt)])))] : []),
    extensions,
  ]);
  const md = forge.md.sha256.create();
  md.update(asn1.toDer(tbs).getBytes());
  const signature = ca.privateKey.sign(md);
  const list = sequence([tbs, sha256WithRsa(), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature)]);
  return Buffer.from(asn1.toDer(list).getBytes(), 'binary');
}

/** `GET /pki/crl`: the CA's current CRL, DER. */
export function crlRoute(ca: PlatformCa): ExtraRoute {
  return (request, response) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== CRL_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
    const der = currentCrlDer(ca);
    response.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': String(der.length), 'cache-control': 'max-age=300' }).end(request.method === 'HEAD' ? undefined : der);
    return true;
  };
}
