/**
 * `GET /fhir/export` (optionally `?residentId=<ward>`): the caller's whole record as a FHIR R4
 * Bundle. The record is read through the gateway's own /graphql with the caller's bearer token, so
 * the export is authorised and audited like any other read, and holds exactly what the resident may see.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpStatusOf } from '../schema/errors.js';
import { replyWithError } from '../subgraphs/runtime/http.js';
import { toFhirBundle, type FhirResource } from './fhir.js';
import { MY_ARCHIVE_QUERY, WARD_ARCHIVE_QUERY, type ResidentRecord } from './shared/archive.js';

export const FHIR_EXPORT_PATH = '/fhir/export';
const RESIDENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

interface GraphQLAnswer<Data> {
  data?: Data | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** The gateway this request arrived at, by the socket it arrived on (the route has no other handle on it). */
function gatewayUrl(request: IncomingMessage): string {
  const address = request.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') && !address.startsWith('::ffff:') ? `[${address}]` : address.replace(/^::ffff:/, '');
  return `http://${host}:${request.socket.localPort}/graphql`;
}

async function ask<Data>(url: string, authorization: string, query: string, variables: Record<string, unknown>): Promise<{ status: number; answer: GraphQLAnswer<Data> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, answer: (await response.json()) as GraphQLAnswer<Data> };
}

export async function serveFhirExport(request: IncomingMessage, response: ServerResponse, url: URL, headers: Readonly<Record<string, string>>): Promise<true> {
  const authorization = request.headers.authorization;
  if (!authorization) return replyWithError(response, 'UNAUTHENTICATED', 'Sign in as the resident (or their guardian) to export a record.', headers);
  const wardId = url.searchParams.get('residentId');
  if (wardId !== null && !RESIDENT_ID.test(wardId)) return replyWithError(response, 'BAD_USER_INPUT', 'residentId is not a resident id.', headers);
  const target = gatewayUrl(request);
  const archive = wardId
    ? await ask<{ resident: ResidentRecord | null }>(target, authorization, WARD_ARCHIVE_QUERY, { id: wardId })
    : await ask<{ myArchive: ResidentRecord | null }>(target, authorization, MY_ARCHIVE_QUERY, {});
  const refused = firstError(archive);
  if (refused) return replyWithError(response, refused.code, refused.message, headers);
  const data = archive.answer.data as { resident?: ResidentRecord | null; myArchive?: ResidentRecord | null } | undefined;
  const record = data?.resident ?? data?.myArchive ?? null;
  // A ward the caller may not act for looks exactly like one that does not exist.
  if (!record) return replyWithError(response, 'NOT_FOUND', 'No such resident.', headers);
  const consents = await ask<{ myConsentsFhir: { entry?: Array<{ resource: FhirResource & { patient?: { reference?: string } } }> } }>(
    target,
    authorization,
    'query PortalConsentsFhir { myConsentsFhir }',
    {},
  );
  const consentRefusal = firstError(consents);
  if (consentRefusal) return replyWithError(response, consentRefusal.code, consentRefusal.message, headers);
  const own = (consents.answer.data?.myConsentsFhir.entry ?? []).map((e) => e.resource).filter((r) => r.patient?.reference === `Patient/${record.id}`);
  const body = JSON.stringify(toFhirBundle(record, own), null, 2);
  response.writeHead(200, {
    ...headers,
    'content-type': 'application/fhir+json; charset=utf-8',
    'content-disposition': `attachment; filename="healthmesh-${record.id}.fhir.json"`,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
  return true;
}

/** Nothing half-exported: any refusal (a denied field included) refuses the export with its code. */
function firstError(result: { status: number; answer: GraphQLAnswer<unknown> }): { code: string; message: string } | undefined {
  const error = result.answer.errors?.[0];
  if (!error && result.status < 400) return undefined;
  const code = error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
  return { code: httpStatusOf(code) ? code : 'INTERNAL_SERVER_ERROR', message: error?.message ?? 'The record could not be read.' };
}
