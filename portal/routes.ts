/**
 * The portal's routes on the gateway: the built web app (with the client-route fallback), how to sign
 * in (`GET /portal/config.json`), demo sign-in in embedded mode (`POST /portal/demo-token`), and the
 * FHIR export (`GET /fhir/export`). Every response carries the portal's security headers.
 */
import type { IncomingMessage } from 'node:http';
import { replyWithError, type ExtraRoute } from '../subgraphs/runtime/http.js';
import { FHIR_EXPORT_PATH, serveFhirExport } from './export.js';
import { portalSecurityHeaders } from './headers.js';
import { defaultPublicDir, loadPublicFiles, serveStatic } from './static.js';

/** A seeded demo resident one can sign in as (embedded mode only). */
export interface PortalDemoResident {
  actor: string;
  displayName: string;
}

/** Production sign-in: OpenID Connect authorisation code + PKCE, in the browser, against this issuer. */
export interface PortalOidcOptions {
  issuer: string;
  clientId: string;
  /** The resource indicator (RFC 8707) the access token is for: the gateway's token audience. */
  resource: string;
  scope?: string;
}

export interface PortalOptions {
  /** Where the built app is (default dist/portal/public). */
  publicDir?: string;
  /** Embedded mode: demo residents and how to mint a token for one (the local issuer). */
  demo?: { residents: readonly PortalDemoResident[]; issueToken(actor: string): Promise<string> };
  oidc?: PortalOidcOptions;
}

const CONFIG_PATH = '/portal/config.json';
const DEMO_TOKEN_PATH = '/portal/demo-token';
const MAX_DEMO_BODY = 1024;

export function portalRoutes(options: PortalOptions): ExtraRoute[] {
  const publicDir = options.publicDir ?? defaultPublicDir();
  // Built after the server started (a first `npm run build:portal`): picked up on the next request.
  let files = loadPublicFiles(publicDir);
  const headers = portalSecurityHeaders(options.oidc ? { identityProviderOrigin: new URL(options.oidc.issuer).origin } : {});
  const config = JSON.stringify(
    options.oidc
      ? { signIn: 'oidc', issuer: options.oidc.issuer, clientId: options.oidc.clientId, resource: options.oidc.resource, scope: options.oidc.scope ?? 'openid' }
      : { signIn: 'demo', residents: options.demo?.residents ?? [] },
  );

  const route: ExtraRoute = async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === CONFIG_PATH && request.method === 'GET') {
      response.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(config);
      return true;
    }
    if (url.pathname === DEMO_TOKEN_PATH) {
      if (!options.demo || options.oidc) return replyWithError(response, 'NOT_FOUND', 'Demo sign-in exists only in embedded mode.', headers);
      return demoToken(request, response, options.demo, headers);
    }
    if (url.pathname === FHIR_EXPORT_PATH && request.method === 'GET') return serveFhirExport(request, response, url, headers);
    files ??= loadPublicFiles(publicDir);
    return serveStatic(files, request, response, url.pathname, headers);
  };
  return [route];
}

async function demoToken(
  request: IncomingMessage,
  response: Parameters<ExtraRoute>[1],
  demo: NonNullable<PortalOptions['demo']>,
  headers: Readonly<Record<string, string>>,
): Promise<true> {
  // JSON only: a cross-site form cannot send it without a CORS preflight, which nothing here allows.
  if (request.method !== 'POST' || !(request.headers['content-type'] ?? '').startsWith('application/json')) {
    return replyWithError(response, 'BAD_REQUEST', 'POST {"actor": "<demo resident>"} as application/json.', headers);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_DEMO_BODY) return replyWithError(response, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_DEMO_BODY} bytes.`, { ...headers, connection: 'close' });
    chunks.push(chunk as Buffer);
  }
  let actor: unknown;
  try {
    actor = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { actor?: unknown }).actor;
  } catch {
    return replyWithError(response, 'BAD_REQUEST', 'Malformed JSON body', headers);
  }
  if (typeof actor !== 'string' || !demo.residents.some((r) => r.actor === actor)) {
    return replyWithError(response, 'BAD_USER_INPUT', 'actor must name one of the demo residents in /portal/config.json.', headers);
  }
  const body = JSON.stringify({ token: await demo.issueToken(actor) });
  response.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(body);
  return true;
}
