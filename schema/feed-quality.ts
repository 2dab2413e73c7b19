/**
 * The quality rules every hospital feed record passes (DESIGN §8), kept as data: a stable id, the
 * message a sender reads, and what it checks (which record kinds, which fields, with which
 * parameters). One interpreter (`qualityViolations`) reads them for the gateway, which refuses a batch
 * naming every record and rule it breaks, and for `npm run import`, which checks a whole file before
 * sending anything. Reference rules need the platform's data (residents, practitioners, encounters);
 * they are listed here with their ids and messages and checked by the gateway's reference lookups.
 * The catalogue rules (KNOWN_ITEM, UNIT) read the catalogue the steward maintains (the results
 * subgraph's recognition catalogue), which the gateway looks up for the codes each batch names and
 * the import tool reads once (`QualityContext.catalogue`); without it they are not checked here.
 */
import { LAB_PANELS, type LabItemDefinition } from './code-catalogue.js';
import { CODE_SYSTEMS } from './codes.js';

/** The kinds of feed record, by the mutation that writes them. */
export const FEED_RECORD_KINDS = { recordEncounters: 'encounter', recordLabReports: 'labReport', recordImagingReports: 'imagingReport', recordImmunizations: 'immunization' } as const;
export type FeedMutation = keyof typeof FEED_RECORD_KINDS;
export type FeedRecordKind = (typeof FEED_RECORD_KINDS)[FeedMutation];

/**
 * The most records one call of each feed mutation takes: a batch is one request body (at most 1 MB:
 * the import also splits by size) and one transaction per table, and references at most
 * MAX_REFERENCE_LOOKUP distinct ids per kind. Lab reports as many as encounters: each request costs
 * a reference lookup, an audit append and a subgraph transaction whatever its size, and a typical
 * report is smaller than an encounter; imaging reports carry long findings texts.
 */
export const MAX_FEED_BATCH: Readonly<Record<FeedMutation, number>> = { recordEncounters: 1000, recordLabReports: 1000, recordImagingReports: 500, recordImmunizations: 1000 };

/**
 * A field path inside a record: `department`, `diagnoses[].code` (every element of a list). The
 * violation names the concrete element (`diagnoses[1].code`).
 */
type FieldPath = string;
type PerKind<T> = Partial<Record<FeedRecordKind, readonly T[]>>;

/** What a rule checks; the interpreter knows each `type`. */
export type QualityCheck =
  /** Present and not blank. */
  | { type: 'required'; fields: PerKind<FieldPath> }
  /** One of a fixed set of values. */
  | { type: 'allowedValues'; fields: PerKind<{ path: FieldPath; values: readonly string[] }> }
  /** A coding whose system and version the platform knows, and a code of that system's format. */
  | { type: 'codeSystem'; codings: PerKind<{ path: FieldPath; system: string | { field: string }; version: string | { field: string } }> }
  /** A catalogue item's code, whose catalogue entry agrees with the record's own fields (an imaging examination's modality and body part). */
  | { type: 'catalogueItem'; items: PerKind<{ path: FieldPath; agrees: readonly ('modality' | 'bodyPart')[] }> }
  /** A lab item known to the catalogue carries the catalogue's unit. */
  | { type: 'catalogueUnit'; items: PerKind<FieldPath> }
  /** Numbers within bounds; lab values of quantitative catalogue items within `plausibleFactor` × their reference limit. */
  | { type: 'range'; fields: PerKind<{ path: FieldPath; min: number; max: number }>; labValues: PerKind<{ path: FieldPath; plausibleFactor: number }> }
  /** Times and dates not later than now (plus a tolerated clock skew). */
  | { type: 'notFuture'; fields: PerKind<FieldPath>; skewMinutes: number }
  /** One time not before another. */
  | { type: 'chronology'; pairs: PerKind<{ earlier: FieldPath; later: FieldPath }> }
  /** The record's institution, when it names one, is one the sender may write for (the policy's condition). */
  | { type: 'ownInstitution'; field: string }
  /** Checked by the gateway against the platform's data (see check-references). */
  | { type: 'reference'; references: 'RESIDENT' | 'PRACTITIONER' | 'ENCOUNTER' | 'PRACTITIONER_DEPARTMENT' };

export interface QualityRule {
  id: string;
  message: string;
  check: QualityCheck;
}

const TIME_FIELDS: PerKind<FieldPath> = { encounter: ['startedAt', 'endedAt'], labReport: ['collectedAt', 'reportedAt'], imagingReport: ['performedAt'], immunization: ['administeredOn'] };

/** The rule catalogue. Ids are stable: reports and tests name them. */
export const QUALITY_RULES: readonly QualityRule[] = [
  {
    id: 'REQUIRED_FIELD',
    message: 'a required field is missing or blank',
    check: {
      type: 'required',
      fields: {
        encounter: ['residentId', 'encounterClass', 'department', 'startedAt', 'diagnoses', 'diagnoses[].code', 'diagnoses[].display', 'prescriptions[].drugName', 'prescriptions[].dosage'],
        labReport: ['residentId', 'panelCode', 'panelName', 'specimen', 'collectedAt', 'reportedAt', 'items', 'items[].localCode', 'items[].name', 'items[].value'],
        imagingReport: ['residentId', 'itemCode', 'modality', 'bodyPart', 'findings', 'impression', 'performedAt'],
        immunization: ['residentId', 'vaccineCode', 'vaccineName', 'doseNumber', 'lotNumber', 'manufacturer', 'administeredOn', 'site', 'route'],
      },
    },
  },
  {
    id: 'ALLOWED_VALUE',
    message: 'not one of the allowed values',
    check: {
      type: 'allowedValues',
      fields: {
        encounter: [
          { path: 'encounterClass', values: ['OUTPATIENT', 'INPATIENT', 'EMERGENCY'] },
          { path: 'diagnoses[].rank', values: ['PRIMARY', 'SECONDARY'] },
        ],
        labReport: [{ path: 'items[].abnormalFlag', values: ['N', 'H', 'L', 'A'] }],
      },
    },
  },
  {
    id: 'CODE_SYSTEM',
    message: 'the code system or its version is unknown, or the code is not of its format',
    check: {
      type: 'codeSystem',
      codings: {
        encounter: [{ path: 'diagnoses[].code', system: { field: 'codeSystem' }, version: { field: 'codeSystemVersion' } }],
        labReport: [{ path: 'items[].loinc', system: 'LOINC', version: '2.78' }],
        imagingReport: [
          { path: 'modality', system: 'DICOM-MODALITY', version: '2025b' },
          { path: 'bodyPart', system: 'DICOM-BODY-PART', version: '2025b' },
        ],
        immunization: [{ path: 'vaccineCode', system: 'NIP-VACCINE', version: '2021' }],
      },
    },
  },
  {
    id: 'KNOWN_ITEM',
    message: "is not an examination of the catalogue, or the catalogue's modality and body part for it are not the record's",
    check: { type: 'catalogueItem', items: { imagingReport: [{ path: 'itemCode', agrees: ['modality', 'bodyPart'] }] } },
  },
  { id: 'UNIT', message: "the unit is not the catalogue's unit for this lab item", check: { type: 'catalogueUnit', items: { labReport: ['items[]'] } } },
  {
    id: 'RANGE',
    message: 'the value is outside its possible range',
    check: {
      type: 'range',
      fields: { encounter: [{ path: 'prescriptions[].days', min: 1, max: 365 }], immunization: [{ path: 'doseNumber', min: 1, max: 10 }] },
      labValues: { labReport: [{ path: 'items[]', plausibleFactor: 50 }] },
    },
  },
  { id: 'NOT_FUTURE', message: 'the time is in the future', check: { type: 'notFuture', fields: TIME_FIELDS, skewMinutes: 5 } },
  {
    id: 'CHRONOLOGY',
    message: 'the time is before the time it follows',
    check: { type: 'chronology', pairs: { encounter: [{ earlier: 'startedAt', later: 'endedAt' }], labReport: [{ earlier: 'collectedAt', later: 'reportedAt' }] } },
  },
  { id: 'OWN_INSTITUTION', message: 'is not your institution: a hospital system writes only its own records', check: { type: 'ownInstitution', field: 'institutionId' } },
  { id: 'KNOWN_RESIDENT', message: 'is not a resident the platform knows (register the resident first)', check: { type: 'reference', references: 'RESIDENT' } },
  { id: 'OWN_PRACTITIONER', message: 'is not a practitioner of your institution', check: { type: 'reference', references: 'PRACTITIONER' } },
  { id: 'OWN_ENCOUNTER', message: "is not an encounter of your institution for this record's resident", check: { type: 'reference', references: 'ENCOUNTER' } },
  {
    id: 'SENSITIVE_PRACTITIONER_DEPARTMENT',
    message: "is a practitioner of a sensitive department; record the encounter in that department's name (it is then level 5)",
    check: { type: 'reference', references: 'PRACTITIONER_DEPARTMENT' },
  },
];

/** A rule of the catalogue by id; throws for an id that is not one (a programming error). */
export function qualityRule(id: string): QualityRule {
  const rule = QUALITY_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no quality rule ${id}`);
  return rule;
}

/** One breach: the field at fault (relative to the record) and the rule's id. */
export interface QualityViolation {
  field: string;
  rule: string;
}

export interface QualityContext {
  /** Now, for NOT_FUTURE. */
  now: Date;
  /** Whether the sender may write records of this institution (the policy decides). */
  mayWriteFor(institutionId: string): boolean;
  /** The steward's catalogue entries the records name; absent, KNOWN_ITEM and UNIT are not checked (the gateway always has it). */
  catalogue?: FeedCatalogue;
}

/** A catalogue entry as KNOWN_ITEM and UNIT read it (an item of the results subgraph's recognition catalogue). */
export interface FeedCatalogueItem {
  code: string;
  loinc: string | null;
  /** Imaging items only (with the body part); null for lab items. */
  modality: string | null;
  bodyPart: string | null;
  /** Lab items: the unit feeds report it in; null when unitless (then not checked). */
  unit: string | null;
}

/** The catalogue entries of a batch, as the rules ask for them. */
export interface FeedCatalogue {
  /** The imaging examination of this code. */
  imaging(code: string): FeedCatalogueItem | undefined;
  /** The lab item of this local code, else of this LOINC. */
  lab(localCode: string, loinc: string): FeedCatalogueItem | undefined;
}

/** A FeedCatalogue over the entries looked up for a batch. */
export function feedCatalogue(items: readonly FeedCatalogueItem[]): FeedCatalogue {
  const imaging = new Map(items.filter((item) => item.modality !== null).map((item) => [item.code, item]));
  const labs = items.filter((item) => item.modality === null);
  const byCode = new Map(labs.map((item) => [item.code, item]));
  const byLoinc = new Map(labs.flatMap((item) => (item.loinc ? [[item.loinc, item] as const] : [])));
  return { imaging: (code) => imaging.get(code), lab: (localCode, loinc) => byCode.get(localCode) ?? byLoinc.get(loinc) };
}

/** The codes a record names that the catalogue rules look up (an examination's item code; a lab item's local code and LOINC). */
export function catalogueCodesOf(kind: FeedRecordKind, record: unknown): string[] {
  const codes: string[] = [];
  for (const { check } of QUALITY_RULES) {
    if (check.type === 'catalogueItem') {
      for (const { path } of check.items[kind] ?? []) for (const { value } of resolve(record, path)) if (typeof value === 'string' && value !== '') codes.push(value);
    } else if (check.type === 'catalogueUnit') {
      for (const path of check.items[kind] ?? []) {
        for (const { value } of resolve(record, path)) {
          if (!isObject(value)) continue;
          for (const field of ['localCode', 'loinc']) if (typeof value[field] === 'string' && value[field] !== '') codes.push(value[field]);
        }
      }
    }
  }
  return codes;
}

type Json = Record<string, unknown>;

/** Each path's segments, parsed once: the rules are checked for every record of every batch. */
const SEGMENTS = new Map<FieldPath, ReadonlyArray<{ name: string; list: boolean }>>();

function segmentsOf(path: FieldPath): ReadonlyArray<{ name: string; list: boolean }> {
  let segments = SEGMENTS.get(path);
  if (!segments) {
    segments = path.split('.').map((segment) => (segment.endsWith('[]') ? { name: segment.slice(0, -2), list: true } : { name: segment, list: false }));
    SEGMENTS.set(path, segments);
  }
  return segments;
}

/** Every element a path reaches, with its concrete path (`items[].unit` → `items[0].unit`, …). */
function resolve(record: unknown, path: FieldPath): Array<{ at: string; value: unknown; parent: unknown }> {
  let current: Array<{ at: string; value: unknown; parent: unknown }> = [{ at: '', value: record, parent: undefined }];
  for (const { name, list } of segmentsOf(path)) {
    const next: typeof current = [];
    for (const { at, value } of current) {
      const child = isObject(value) ? value[name] : undefined;
      const here = at ? `${at}.${name}` : name;
      if (!list) next.push({ at: here, value: child, parent: value });
      else if (Array.isArray(child)) child.forEach((element, i) => next.push({ at: `${here}[${i}]`, value: element, parent: child }));
    }
    current = next;
  }
  return current;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim().length === 0) || (Array.isArray(value) && value.length === 0);
}

function timeOf(value: unknown): number | undefined {
  // The gateway sees variables as coerced (a DateTimeISO is a Date there); the import tool sees JSON text.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string' || value.length === 0) return undefined;
  // A date alone (YYYY-MM-DD) is a day in China: it is in the future only once that day has begun there.
  const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00+08:00`) : Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/** The lab panels' item definitions, for RANGE's plausibility bounds (reference ranges are not the steward's catalogue). */
const LAB_DEFINITIONS: ReadonlyMap<string, LabItemDefinition> = new Map(
  LAB_PANELS.flatMap((panel) => panel.items.flatMap((item) => [[item.localCode, item] as const, ...(item.loinc ? [[item.loinc, item] as const] : [])])),
);

function labDefinition(item: unknown): LabItemDefinition | undefined {
  if (!isObject(item)) return undefined;
  return LAB_DEFINITIONS.get(String(item['localCode'] ?? '')) ?? LAB_DEFINITIONS.get(String(item['loinc'] ?? ''));
}

function codingProblem(system: string, version: string, code: string): boolean {
  const known = Object.hasOwn(CODE_SYSTEMS, system) ? CODE_SYSTEMS[system]! : undefined;
  if (!known) return true;
  if (version.trim() === '' || (known.versions !== null && !known.versions.includes(version.trim()))) return true;
  return !known.isWellFormed(code);
}

/** The upper plausibility bound of a quantitative item: its reference high (or low) times a factor. */
function plausibleMaximum(item: LabItemDefinition, factor: number): number | undefined {
  if (item.kind !== 'quantitative') return undefined;
  const ranges = 'male' in item.range ? [item.range.male, item.range.female] : [item.range];
  const limit = Math.max(...ranges.map((r) => r.high ?? r.low ?? 0));
  return limit > 0 ? limit * factor : undefined;
}

type Interpreter = (check: never, kind: FeedRecordKind, record: unknown, context: QualityContext) => string[];

const INTERPRETERS: { [T in QualityCheck['type']]: (check: Extract<QualityCheck, { type: T }>, kind: FeedRecordKind, record: unknown, context: QualityContext) => string[] } = {
  required: (check, kind, record) => (check.fields[kind] ?? []).flatMap((path) => resolveRequired(record, path)),
  allowedValues: (check, kind, record) =>
    (check.fields[kind] ?? []).flatMap(({ path, values }) =>
      resolve(record, path).filter(({ value }) => !isBlank(value) && !values.includes(String(value))).map(({ at }) => at),
    ),
  codeSystem: (check, kind, record) =>
    (check.codings[kind] ?? []).flatMap(({ path, system, version }) =>
      resolve(record, path).flatMap(({ at, value, parent }) => {
        if (isBlank(value)) return [];
        const of = (spec: string | { field: string }) => (typeof spec === 'string' ? spec : String((isObject(parent) ? parent[spec.field] : undefined) ?? ''));
        return codingProblem(of(system), of(version), String(value)) ? [at] : [];
      }),
    ),
  catalogueItem: (check, kind, record, { catalogue }) =>
    (catalogue ? (check.items[kind] ?? []) : []).flatMap(({ path, agrees }) =>
      resolve(record, path).flatMap(({ at, value, parent }) => {
        if (isBlank(value)) return [];
        const item = catalogue!.imaging(String(value));
        if (!item) return [at];
        // A disagreeing field is named (not the code): the sender sees which of its fields is wrong for the item.
        return agrees.filter((field) => isObject(parent) && !isBlank(parent[field]) && parent[field] !== item[field]);
      }),
    ),
  catalogueUnit: (check, kind, record, { catalogue }) =>
    (catalogue ? (check.items[kind] ?? []) : []).flatMap((path) =>
      resolve(record, path).flatMap(({ at, value }) => {
        if (!isObject(value)) return [];
        const item = catalogue!.lab(String(value['localCode'] ?? ''), String(value['loinc'] ?? ''));
        if (!item || item.unit === null) return [];
        return value['unit'] === item.unit ? [] : [`${at}.unit`];
      }),
    ),
  range: (check, kind, record) => [
    ...(check.fields[kind] ?? []).flatMap(({ path, min, max }) =>
      resolve(record, path).filter(({ value }) => value !== undefined && value !== null && !(typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max)).map(({ at }) => at),
    ),
    ...(check.labValues[kind] ?? []).flatMap(({ path, plausibleFactor }) =>
      resolve(record, path).flatMap(({ at, value }) => {
        const item = labDefinition(value);
        if (!item || item.kind !== 'quantitative' || !isObject(value) || isBlank(value['value'])) return [];
        const number = Number(value['value']);
        const max = plausibleMaximum(item, plausibleFactor);
        return Number.isFinite(number) && number >= 0 && (max === undefined || number <= max) ? [] : [`${at}.value`];
      }),
    ),
  ],
  notFuture: (check, kind, record, context) =>
    (check.fields[kind] ?? []).flatMap((path) =>
      resolve(record, path).filter(({ value }) => {
        const time = timeOf(value);
        return time !== undefined && time > context.now.getTime() + check.skewMinutes * 60_000;
      }).map(({ at }) => at),
    ),
  chronology: (check, kind, record) =>
    (check.pairs[kind] ?? []).flatMap(({ earlier, later }) => {
      const [first] = resolve(record, earlier);
      const [second] = resolve(record, later);
      const a = timeOf(first?.value);
      const b = timeOf(second?.value);
      return a !== undefined && b !== undefined && b < a ? [second!.at] : [];
    }),
  ownInstitution: (check, _kind, record, context) => {
    const value = isObject(record) ? record[check.field] : undefined;
    return value === undefined || value === null || (typeof value === 'string' && context.mayWriteFor(value)) ? [] : [check.field];
  },
  reference: () => [],
};

function resolveRequired(record: unknown, path: FieldPath): string[] {
  // `diagnoses[].code` is required of each diagnosis there is; an absent list is its own field's concern.
  return resolve(record, path).filter(({ value }) => isBlank(value)).map(({ at }) => at);
}

/**
 * Every rule a record of `kind` breaks that can be decided from the record alone (every rule but the
 * reference rules; the catalogue rules only with `context.catalogue`), in catalogue order; empty when it passes.
 */
export function qualityViolations(kind: FeedRecordKind, record: unknown, context: QualityContext): QualityViolation[] {
  if (!isObject(record)) return [{ field: '', rule: 'REQUIRED_FIELD' }];
  return QUALITY_RULES.flatMap((rule) => (INTERPRETERS[rule.check.type] as Interpreter)(rule.check as never, kind, record, context).map((field) => ({ field, rule: rule.id })));
}
