/**
 * The edge's one kind of persisted query (DESIGN §10): `extensions.persistedQuery.sha256Hash` naming a
 * registered document of the caller's own approved research scenario runs that document's text,
 * exactly as if it had been sent; the check-registered stage then checks it like any research request.
 * Any other hash (automatic persisted queries, an unknown or unapproved document, another researcher's
 * document, an anonymous caller, a hash that disagrees with the query sent beside it) stays refused, all
 * with the same answer, so a hash reveals nothing about what others registered.
 */
import { approvedDocumentByHash } from '../consent/index.js';
import type { Actor } from '../schema/context.js';
import type { Database } from '../subgraphs/runtime/database.js';
import type { GraphQLExchange } from '../subgraphs/runtime/http.js';

/** The request body to run instead, when the request names a registered document by its hash. */
export async function registeredPersistedQuery(db: Database, actor: Actor | null, { body }: Pick<GraphQLExchange, 'body'>): Promise<Buffer | undefined> {
  if (!actor || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { extensions, query, ...rest } = body as { extensions?: unknown; query?: unknown };
  if (extensions === null || typeof extensions !== 'object') return undefined;
  const { persistedQuery, ...otherExtensions } = extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } };
  const hash = persistedQuery?.sha256Hash;
  if (persistedQuery?.version !== 1 || typeof hash !== 'string') return undefined;
  const text = await approvedDocumentByHash(db, actor, hash);
  if (text === undefined || (query !== undefined && query !== text)) return undefined;
  const extensionsLeft = Object.keys(otherExtensions).length > 0 ? { extensions: otherExtensions } : {};
  return Buffer.from(JSON.stringify({ ...rest, query: text, ...extensionsLeft }), 'utf8');
}
