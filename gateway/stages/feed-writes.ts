/**
 * Hospital feeds (DESIGN §8): which mutations are feed writes and what their records reference are
 * declared in the schema (`@feed` on the root, `@reference` on the record's input fields, read by
 * readEnforcementDeclarations); this is what a committed write leaves behind.
 *
 * Before the write, check-references.ts checks every reference; after it committed, the sender's
 * institution treats each resident written for (a care relationship with its provenance) and each of
 * those residents' access logs gets one entry for the write, both in one transaction.
 */
import { appendAuditEntries, feedInstitutionOf, type AuditEvent, type AuditSigner, type FedCareRelationship } from '../../consent/index.js';
import { rootDeclaration, type AboutKind, type EnforcementDeclarations, type RootDeclaration } from '../../schema/enforcement.js';
import type { Database } from '../../subgraphs/runtime/database.js';
import type { AuditedRequest, GatewayRequestContext } from '../request-context.js';
import { recordAuditAppend } from '../../subgraphs/runtime/metrics.js';
import type { OperationAnalysis, RootFieldCall } from './analyse-operation.js';
import type { LookupCaller } from './check-references.js';
import { baseEvent } from './audit.js';
import { commitInBatch } from './group-commit.js';

export type { ReferenceKind } from '../../schema/enforcement.js';

/** A feed write as its root declares it: the list argument, the records' category and references. */
export type FeedWrite = Extract<RootDeclaration, { kind: 'feed' }>;

/** One feed write in an operation, with its records as the client sent them. */
export interface FeedCall {
  field: RootFieldCall;
  write: FeedWrite;
  /** By position; values that are not objects are kept, so positions match the client's. */
  records: unknown[];
  /** The call only checks its records (`@feed(checkOnly:)` given true): nothing is written. */
  checkOnly: boolean;
}

/** The operation's feed writes (none for anything but a mutation). */
export function feedCallsOf(analysis: OperationAnalysis, declarations: EnforcementDeclarations): FeedCall[] {
  if (analysis.operationType !== 'mutation') return [];
  return analysis.rootFields.flatMap((field) => {
    const write = rootDeclaration(declarations, 'mutation', field.name);
    if (write?.kind !== 'feed') return [];
    const value = field.arguments[write.argument];
    // GraphQL coerces a single object to a one-item list.
    return [{ field, write, records: Array.isArray(value) ? value : [value], checkOnly: write.checkOnly !== undefined && field.arguments[write.checkOnly] === true }];
  });
}

/**
 * The answer of an operation whose feed calls all only check their records (an empty list each), or
 * undefined when it writes. Run after the checks passed: the operation then needs no plan at all.
 */
export function feedCheckAnswer(analysis: OperationAnalysis, declarations: EnforcementDeclarations): Record<string, unknown[]> | undefined {
  const calls = feedCallsOf(analysis, declarations);
  if (calls.length === 0 || !calls.every((call) => call.checkOnly)) return undefined;
  return Object.fromEntries(calls.map((call) => [call.field.responseKey, []]));
}

/** A record's reference as GraphQL's ID coercion will read it; undefined when absent or not an id. */
export function referenceOf(record: unknown, field: string): string | undefined {
  if (record === null || typeof record !== 'object') return undefined;
  const value = (record as Record<string, unknown>)[field];
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isInteger(value) ? String(value) : undefined;
}

/**
 * Records what feed writes that committed leave behind; a write committed when the mutation returned
 * one id per record (a refused batch writes nothing and returns none). A check that passed
 * (`@feed(checkOnly:)`, answered with an empty list) is audited too, as a write of no rows about each
 * resident its records named: the sender learnt that the platform knows them, and the resident's log
 * says so ("checked … before sending them"). Failing here fails the response.
 */
export async function recordFeedWrites(
  db: Database,
  context: AuditedRequest,
  data: Record<string, unknown> | null,
  signer: AuditSigner,
  declarations: EnforcementDeclarations,
): Promise<void> {
  // The institution comes from the sender's token only, never from the records it sent.
  const institutionId = feedInstitutionOf(context.actor);
  if (!institutionId || !context.analysis || !data) return;
  const at = new Date();
  const byResident = new Map<string, { event: AuditEvent; care: FedCareRelationship & { recordIds: string[] } }>();
  const checked = new Map<string, AuditEvent>();
  for (const call of feedCallsOf(context.analysis, declarations)) {
    const ids = data[call.field.responseKey];
    if (call.checkOnly) {
      if (!Array.isArray(ids) || ids.length !== 0) continue;
      for (const record of call.records) {
        const residentId = referenceOf(record, call.write.residentField);
        if (residentId === undefined) continue;
        let event = checked.get(residentId);
        if (!event) checked.set(residentId, (event = { ...baseEvent(context, { residentId }), rowsReturned: 0, outcome: 'ALLOWED', breakGlassReason: null, at }));
        const coordinates = (event.fieldsByCategory[call.write.category] ??= []);
        if (!coordinates.includes(`Mutation.${call.field.name}`)) coordinates.push(`Mutation.${call.field.name}`);
      }
      continue;
    }
    if (!Array.isArray(ids) || ids.length !== call.records.length || !ids.every((id) => typeof id === 'string')) continue;
    const residentField = call.write.residentField;
    call.records.forEach((record, index) => {
      const residentId = referenceOf(record, residentField);
      if (residentId === undefined) return;
      let written = byResident.get(residentId);
      if (!written) {
        const event: AuditEvent = { ...baseEvent(context, { residentId }), outcome: 'ALLOWED', breakGlassReason: null, at };
        written = { event, care: { residentId, institutionId, operation: call.field.name, requestId: context.requestId, recordIds: [], since: at } };
        byResident.set(residentId, written);
      }
      // A write's "fields" are the mutation fields that wrote: the access log reads them as a write.
      const coordinates = (written.event.fieldsByCategory[call.write.category] ??= []);
      const coordinate = `Mutation.${call.field.name}`;
      if (!coordinates.includes(coordinate)) coordinates.push(coordinate);
      written.event.rowsReturned += 1;
      written.care.recordIds.push(ids[index] as string);
    });
  }
  if (byResident.size === 0 && checked.size === 0) return;
  const written = [...byResident.values()];
  // In the group commit with every other request's entries (concurrent batches of a feed share one
  // transaction, audit lock and signed head); the care relationships commit with the entries.
  await commitInBatch(db, signer, { events: [...written.map((w) => w.event), ...checked.values()], grantIds: [], careRelationships: written.map((w) => w.care) });
}

/**
 * Audits the registrations that committed (`@write(newResident:)`): one entry about each new resident,
 * a `WRITE` in their access log ("… registered you"). The resident's id is the one protect-writes
 * minted into the registration's input variable, so it is known whatever the client selected.
 */
export async function recordRegistrations(
  db: Database,
  context: AuditedRequest & Pick<GatewayRequestContext, 'variableOverrides'>,
  data: Record<string, unknown> | null,
  signer: AuditSigner,
  declarations: EnforcementDeclarations,
): Promise<void> {
  if (!context.analysis || context.analysis.operationType !== 'mutation' || !data) return;
  const at = new Date();
  const events: AuditEvent[] = [];
  for (const field of context.analysis.rootFields) {
    const declaration = rootDeclaration(declarations, 'mutation', field.name);
    if (declaration?.kind !== 'write' || !declaration.newResident || data[field.responseKey] == null) continue;
    for (const { argument } of declaration.protects) {
      const value = field.node.arguments?.find((a) => a.name.value === argument)?.value;
      const input = value?.kind === 'Variable' ? context.variableOverrides?.[value.name.value] : undefined;
      const residentId = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>)[declaration.newResident] : undefined;
      if (typeof residentId !== 'string') continue;
      events.push(writeEvent(context, residentId, 'DEMOGRAPHICS', field.name, at));
    }
  }
  await commitWriteEvents(db, events, signer);
}

/** The entry of one committed write about a resident: the mutation field that wrote, under its category. */
function writeEvent(context: AuditedRequest, residentId: string, category: string, fieldName: string, at: Date): AuditEvent {
  return { ...baseEvent(context, { residentId }), fieldsByCategory: { [category]: [`Mutation.${fieldName}`] }, rowsReturned: 1, outcome: 'ALLOWED', breakGlassReason: null, at };
}

async function commitWriteEvents(db: Database, events: AuditEvent[], signer: AuditSigner): Promise<void> {
  if (events.length === 0) return;
  await db.transaction(async (tx) => {
    await appendAuditEntries(tx, events, signer);
  });
  recordAuditAppend(events.length);
}

/** Record id → its resident, for the records of one kind the caller may name (others are left out). */
export type AboutLookup = (kind: AboutKind, ids: readonly string[], caller: LookupCaller) => Promise<ReadonlyMap<string, string>>;

/**
 * Audits the writes that committed about a record of one resident (`@write(about:)`, e.g. a
 * recognition decision about a candidate): one entry in that resident's log, filed under the write's
 * category, a `WRITE` in their access log. The resident comes from the subgraph owning the record, after
 * the write, so it is the record's own and never the client's word. Failing here fails the response.
 */
export async function recordWritesAbout(
  db: Database,
  context: AuditedRequest,
  data: Record<string, unknown> | null,
  signer: AuditSigner,
  declarations: EnforcementDeclarations,
  lookup: AboutLookup,
): Promise<void> {
  if (!context.analysis || context.analysis.operationType !== 'mutation' || !data || !context.actor) return;
  const at = new Date();
  const events: AuditEvent[] = [];
  for (const field of context.analysis.rootFields) {
    const declaration = rootDeclaration(declarations, 'mutation', field.name);
    if (declaration?.kind !== 'write' || !declaration.about || data[field.responseKey] == null) continue;
    const id = referenceOf(field.arguments, declaration.about.argument);
    if (id === undefined) continue;
    const residentId = (await lookup(declaration.about.kind, [id], { actor: context.actor, requestId: context.requestId })).get(id);
    if (!residentId) throw new Error(`a committed ${field.name} names a record whose resident the lookup does not know`);
    events.push(writeEvent(context, residentId, declaration.about.category, field.name, at));
  }
  await commitWriteEvents(db, events, signer);
}
