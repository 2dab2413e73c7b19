/**
 * The portal's built files (dist/portal/public, written by `vite build`): assets by path with their
 * content type, and index.html for the client's own routes (the SPA fallback). Nothing else is
 * answered here, so /graphql, /health and the PKI routes keep their own handlers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The paths the client app routes itself (keep in step with web/src/routes.ts). */
export const CLIENT_ROUTES = ['/', '/archive', '/requests', '/consents', '/log', '/signin', '/callback'] as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where `vite build` puts the portal, from this module's place in the source tree or in dist/. */
export function defaultPublicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = basename(dirname(here)) === 'dist' ? dirname(dirname(here)) : dirname(here);
  return join(root, 'dist', 'portal', 'public');
}

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Hashed asset names never change: cache them; index.html always revalidates. */
  immutable: boolean;
}

/** Reads the built files once; undefined while the portal is not built (`npm run build`). */
export function loadPublicFiles(publicDir: string): ReadonlyMap<string, StaticFile> | undefined {
  if (!existsSync(join(publicDir, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  const add = (path: string) => {
    const contentType = CONTENT_TYPES[extname(path)];
    if (!contentType) return;
    const relativePath = path.slice(publicDir.length).split(sep).join('/');
    files.set(relativePath, { body: readFileSync(path), contentType, immutable: relativePath.startsWith('/assets/') });
  };
  walk(publicDir, add);
  return files;
}

function walk(directory: string, visit: (path: string) => void): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = normalize(join(directory, entry.name));
    if (entry.isDirectory()) walk(path, visit);
    else if (entry.isFile()) visit(path);
  }
}

/** Answers GET/HEAD for a built file or a client route; false for anything else. */
export function serveStatic(
  files: ReadonlyMap<string, StaticFile> | undefined,
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
  headers: Readonly<Record<string, string>>,
): boolean {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  const clientRoute = (CLIENT_ROUTES as readonly string[]).includes(pathname);
  if (!files) {
    if (!clientRoute) return false;
    // The API works without the web app (a `tsc`-only build); the page says how to get it.
    response.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('The portal is not built: run npm run build.\n');
    return true;
  }
  const file = clientRoute ? files.get('/index.html') : pathname === '/index.html' ? undefined : files.get(pathname);
  if (!file) return false;
  response.writeHead(200, {
    ...headers,
    'content-type': file.contentType,
    'content-length': String(file.body.length),
    'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(method === 'HEAD' ? undefined : file.body);
  return true;
}
