/**
 * How an audit entry reads in the resident's access log: a read of their data, or a write by an
 * institution's system (a hospital feed), in one plain sentence.
 *
 * A feed write's entry lists, as its fields, the mutation fields that wrote (`Mutation.recordEncounters`
 * under CLINICAL), with the records written as its rows: no read ever lists a Mutation field.
 */
import { isDataCategory } from '../../schema/classification.js';
import { isInstitutionSystemRole } from '../policy.js';
import type { AuditEntryRow } from '../tables.js';

export type AccessKind = 'READ' | 'WRITE';
export const ACCESS_KINDS: readonly AccessKind[] = ['READ', 'WRITE'];

const WRITE_PREFIX = 'Mutation.';

/** Wording only (a feed without an entry here reads as "records"). */
const WRITTEN_RECORDS: Readonly<Record<string, readonly [one: string, many: string]>> = {
  recordEncounters: ['an encounter', 'encounters'],
  recordLabReports: ['a lab report', 'lab reports'],
  recordImagingReports: ['an imaging report', 'imaging reports'],
  recordImmunizations: ['an immunisation', 'immunisations'],
  recordFollowUps: ['a follow-up visit', 'follow-up visits'],
  recordRecognitionDecision: ['whether an earlier result of yours stands in for a new test (互认)', 'recognition decisions'],
};

function writtenFields(row: AuditEntryRow): string[] {
  return Object.values(row.fieldsByCategory)
    .flat()
    .filter((coordinate) => coordinate.startsWith(WRITE_PREFIX))
    .map((coordinate) => coordinate.slice(WRITE_PREFIX.length));
}

/** A write's operation (`grantConsent`, `recordEncounters`, …; the first, sorted, when several wrote); null for a read. */
export function writeActionOf(row: AuditEntryRow): string | null {
  return [...new Set(writtenFields(row))].sort()[0] ?? null;
}

export function accessKindOf(row: AuditEntryRow): AccessKind {
  return writtenFields(row).length > 0 ? 'WRITE' : 'READ';
}

/** What a write by the trust core reads as (the subject of the sentence comes first). */
const CONSENT_PLANE_WRITES: Readonly<Record<string, string>> = {
  grantConsent: 'gave a consent',
  revokeConsent: 'withdrew a consent',
  requestAccess: 'asked for access to your data',
  approveAccessRequest: 'approved an access request',
  denyAccessRequest: 'denied an access request',
  reviewBreakGlass: 'reviewed an emergency access to your data',
  registerResident: 'registered you',
};

function who(row: AuditEntryRow, viewerSub?: string): string {
  if (viewerSub !== undefined && row.actorSub === viewerSub) return 'You';
  if (isInstitutionSystemRole(row.actorRole) && row.institutionId) return row.institutionId;
  const role = row.actorRole.replace(/_/g, ' ');
  const article = /^[aeiou]/.test(role) ? 'An' : 'A';
  return row.institutionId ? `${article} ${role} of ${row.institutionId}` : `${article} ${role}`;
}

function categoriesOf(byCategory: Record<string, string[]>): string {
  return Object.keys(byCategory)
    .filter(isDataCategory)
    .sort()
    .map((category) => category.toLowerCase().replace(/_/g, ' '))
    .join(', ');
}

function writtenRecords(row: AuditEntryRow): string {
  const fields = [...new Set(writtenFields(row))].sort();
  const count = row.rowsReturned;
  const [one, many] = fields.length === 1 ? (WRITTEN_RECORDS[fields[0]!] ?? ['a record', 'records']) : ['a record', 'records'];
  const records = count === 1 ? one : `${count} ${many}`;
  if (fields.length < 2) return records;
  return `${records} (${fields.map((field) => WRITTEN_RECORDS[field]?.[1] ?? field).join(', ')})`;
}

function checkedRecords(fields: readonly string[]): string {
  return [...fields].sort().map((field) => WRITTEN_RECORDS[field]?.[1] ?? 'records').join(' and ');
}

/** One sentence for the resident: who did what with their data. */
export function accessSummaryOf(row: AuditEntryRow, startedCare: boolean, viewerSub?: string): string {
  if (accessKindOf(row) === 'WRITE') {
    const fields = [...new Set(writtenFields(row))];
    const consentPlane = fields.length === 1 ? CONSENT_PLANE_WRITES[fields[0]!] : undefined;
    if (consentPlane) return `${who(row, viewerSub)} ${consentPlane}`;
    // A feed's check of records before sending them (nothing stored): still a use of the resident's identity.
    if (row.rowsReturned === 0) return `${who(row)} checked ${checkedRecords(fields)} about you before sending them; nothing was stored`;
    return `${who(row)} recorded ${writtenRecords(row)}${startedCare ? ' and became one of your treating institutions' : ''}`;
  }
  const read = categoriesOf(row.fieldsByCategory);
  // Research use reads as the scenario (its title), never as the researcher's queries.
  if (row.scenarioId && row.operationName) return `The research scenario “${row.operationName}” used your ${read ? `${read} data` : 'data'}, pseudonymised`;
  const refused = categoriesOf(row.deniedByCategory);
  const readPart = read ? `read your ${read} data` : 'read your data';
  const sentence =
    row.outcome === 'DENIED'
      ? `${who(row)} was refused your ${refused ? `${refused} data` : 'data'}`
      : `${who(row)} ${readPart}${row.outcome === 'PARTIALLY_DENIED' && refused ? ` and was refused your ${refused} data` : ''}`;
  return row.breakGlass ? `Emergency access: ${sentence}` : sentence;
}
