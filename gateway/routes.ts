/**
 * Plain HTTP routes beside /graphql: the platform CA certificate (public), signed consent receipts
 * (a resident, or their guardian, downloads a PKCS#7 receipt of one consent version and verifies it
 * offline with `openssl smime -verify -in receipt.pem -CAfile ca.pem`), and the audit key's public
 * half, which signed tree heads of the audit log verify with.
 */
import { createPublicKey } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { currentConsents, residentsVisibleTo, type AuditSigner, type Executor } from '../consent/index.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { replyWithError, type ExtraRoute } from '../subgraphs/runtime/http.js';
import { annotateActor } from '../subgraphs/runtime/logging.js';
import { signConsentReceipt, type KeyedCertificate, type PlatformCa } from './pki/index.js';
import type { Authenticator } from './stages/authenticate.js';

export interface ReceiptRouteOptions {
  ca: PlatformCa;
  signer: KeyedCertificate;
  db: Database;
  authenticate: Authenticator;
}

const RECEIPT_PATH = /^\/consents\/([^/]+)\/receipt$/;

export function pkiRoutes(options: ReceiptRouteOptions): ExtraRoute[] {
  const caCertificate: ExtraRoute = (request, response) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/pki/ca.pem') return false;
    response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(options.ca.certPem);
    return true;
  };
  const receipt: ExtraRoute = async (request, response) => {
    const match = RECEIPT_PATH.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (!match || request.method !== 'GET') return false;
    let actor;
    try {
      actor = await options.authenticate(header(request, 'authorization'));
    } catch {
      return replyWithError(response, 'UNAUTHENTICATED', 'The bearer token is invalid or expired.');
    }
    if (!actor) return replyWithError(response, 'UNAUTHENTICATED', 'Sign in as the resident (or their guardian) to download a receipt.');
    annotateActor(actor);
    const consentId = decodedSegment(match[1]!);
    if (consentId === undefined) return replyWithError(response, 'NOT_FOUND', 'No such consent.');
    const db: Executor = options.db;
    for (const residentId of await residentsVisibleTo(db, actor)) {
      const consent = (await currentConsents(db, residentId)).find((c) => c.id === consentId);
      if (consent) {
        response.writeHead(200, {
          'content-type': 'application/pkcs7-mime; smime-type=signed-data',
          'content-disposition': `attachment; filename="consent-${consentId}-v${consent.version}.p7m.pem"`,
        });
        response.end(signConsentReceipt(options.signer, consent));
        return true;
      }
    }
    // Someone else's consent looks exactly like one that does not exist.
    return replyWithError(response, 'NOT_FOUND', 'No such consent.');
  };
  return [caCertificate, receipt];
}

/** Where the audit key's public JWK is served. */
export const AUDIT_PUBLIC_KEY_PATH = '/audit/public-key';

/**
 * GET /audit/public-key: the audit key as a public JWK (RFC 8037 OKP, Ed25519) whose `kid` is the
 * signed heads' `keyId`. Public: anyone checking a head or a proof needs it, and it opens nothing.
 */
export function auditRoutes(signer: AuditSigner): ExtraRoute[] {
  const body = JSON.stringify({ ...createPublicKey(signer.privateKey).export({ format: 'jwk' }), kid: signer.keyId, alg: 'EdDSA', use: 'sig' });
  const publicKey: ExtraRoute = (request, response) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== AUDIT_PUBLIC_KEY_PATH || request.method !== 'GET') return false;
    response.writeHead(200, { 'content-type': 'application/jwk+json' }).end(body);
    return true;
  };
  return [publicKey];
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A path segment as text; a malformed escape (`%E0`) names no consent. */
function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
