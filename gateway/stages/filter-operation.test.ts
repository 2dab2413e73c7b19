import { describe, expect, it } from 'vitest';
import { GraphQLError, Kind, buildSchema, parse, print, stripIgnoredCharacters, validate, type OperationDefinitionNode } from 'graphql';
import type { FieldDecision } from '../../consent/policy.js';
import { analyseOperation, DEFAULT_LIMITS } from './analyse-operation.js';
import { filteredDocumentInterner, filteredOperationCache, filterOperation, type CoordinateDecider, type FilteredOperation } from './filter-operation.js';

/** A small schema with what the supergraph lacks: an interface and a union. */
const schema = buildSchema(/* GraphQL */ `
  type Query {
    resident(id: ID!): Resident
    records(residentId: ID!): [Record!]
    search(text: String!): [SearchResult!]!
    institutions: [Institution!]!
  }
  type Mutation {
    requestAccess(residentId: ID!): AccessRequest!
    ping: String
  }
  type AccessRequest {
    id: ID!
    status: String
  }
  type Resident {
    id: ID!
    name: String
    sex: String
    idCardNumber: String!
    encounters: [Encounter!]
    labReports: [LabReport!]
  }
  interface Record {
    id: ID!
    level: Int
    department: String
  }
  type Encounter implements Record {
    id: ID!
    level: Int
    department: String
    diagnosis: String
  }
  type LabReport implements Record {
    id: ID!
    level: Int
    department: String
    panel: String
    result: String!
  }
  type Institution {
    id: ID!
    name: String
  }
  union SearchResult = Resident | Institution
`);

const denied = (category: 'DEMOGRAPHICS' | 'CLINICAL' | 'RESULTS'): FieldDecision => ({
  effect: 'denied',
  code: 'CONSENT_REQUIRED',
  reason: `${category} needs consent.`,
  missing: { category, need: 'consent' },
});

/** The decision every root that reads a resident gets: a name masked, some fields denied. */
const decide: CoordinateDecider = (coordinate) => {
  if (coordinate === 'Resident.name') return { effect: 'masked', basis: 'CARE_RELATIONSHIP', mask: 'NAME' };
  if (coordinate === 'Resident.idCardNumber') return denied('DEMOGRAPHICS');
  if (coordinate === 'Encounter.diagnosis' || coordinate === 'Record.department') return denied('CLINICAL');
  if (coordinate === 'LabReport.result') return denied('RESULTS');
  return { effect: 'clear', basis: 'CARE_RELATIONSHIP' };
};

/** `institutions` and `requestAccess` read no resident: their selections are kept as they are. */
const deciderFor = (_rootKey: string, rootField: string) => (['institutions', 'requestAccess', 'ping'].includes(rootField) ? undefined : decide);

function filter(source: string, variables: Record<string, unknown> = {}): FilteredOperation {
  const document = parse(source);
  expect(validate(schema, document)).toEqual([]);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return filterOperation(schema, analyseOperation(schema, document, operation, variables), deciderFor);
}

interface Expected {
  /** The filtered operation, printed without ignored characters. */
  planned: string;
  /** `path coordinate code` of each removal. */
  removed: string[];
  /** `path effect` of each released leaf. */
  released?: string[];
}

const cases: Array<[string, string, Record<string, unknown>, Expected]> = [
  [
    'a plain selection: masked and clear leaves released, nothing removed',
    'query($id: ID!) { resident(id: $id) { id name sex } }',
    { id: 'r1' },
    { planned: 'query($id:ID!){resident(id:$id){id name sex}}', removed: [], released: ['resident.id clear', 'resident.name masked', 'resident.sex clear'] },
  ],
  [
    'aliases: removals and releases at the response keys',
    '{ patient: resident(id: "r1") { key: id fullName: name visits: encounters { dx: diagnosis when: id } } }',
    {},
    {
      planned: '{patient:resident(id:"r1"){key:id fullName:name visits:encounters{when:id}}}',
      removed: ['patient.visits.dx Encounter.diagnosis CONSENT_REQUIRED'],
      released: ['patient.key clear', 'patient.fullName masked', 'patient.visits.when clear'],
    },
  ],
  [
    'named fragments, nested: merged in, a denied field inside removed at its path',
    '{ resident(id: "r1") { ...Who } } fragment Who on Resident { id encounters { ...Visit } } fragment Visit on Encounter { id diagnosis }',
    {},
    { planned: '{resident(id:"r1"){id encounters{id}}}', removed: ['resident.encounters.diagnosis Encounter.diagnosis CONSENT_REQUIRED'] },
  ],
  [
    'inline fragments, nested, with and without a type condition: merged in',
    '{ resident(id: "r1") { ... on Resident { id ... { sex } } } }',
    {},
    { planned: '{resident(id:"r1"){id sex}}', removed: [] },
  ],
  [
    'a denied non-null field takes its nearest nullable ancestor: the root field',
    '{ resident(id: "r1") { id idCardNumber } }',
    {},
    { planned: '', removed: ['resident Query.resident CONSENT_REQUIRED'], released: [] },
  ],
  [
    'a denied non-null field in a list item removes the list, reported with what was missing',
    '{ resident(id: "r1") { id labReports { id result } } }',
    {},
    { planned: '{resident(id:"r1"){id}}', removed: ['resident.labReports Resident.labReports CONSENT_REQUIRED'] },
  ],
  [
    'a list whose every field is denied is removed whole',
    '{ resident(id: "r1") { id encounters { diagnosis } } }',
    {},
    { planned: '{resident(id:"r1"){id}}', removed: ['resident.encounters Resident.encounters CONSENT_REQUIRED'] },
  ],
  [
    '@include(if: false) on a root inline fragment: its root field is gone',
    '{ resident(id: "r1") { id } ... @include(if: false) { other: resident(id: "r2") { id } } }',
    {},
    { planned: '{resident(id:"r1"){id}}', removed: [] },
  ],
  [
    '@skip(if: true) on a root fragment spread: its root field is gone',
    '{ resident(id: "r1") { id } ...Other @skip(if: true) } fragment Other on Query { other: resident(id: "r2") { id } }',
    {},
    { planned: '{resident(id:"r1"){id}}', removed: [] },
  ],
  [
    '@skip(if: false) at the root: kept, and the directive decided',
    '{ ...Other @skip(if: false) } fragment Other on Query { other: resident(id: "r2") { id } }',
    {},
    { planned: '{other:resident(id:"r2"){id}}', removed: [] },
  ],
  [
    '@include / @skip by a variable, true',
    'query($v: Boolean!) { resident(id: "r1") { id name @include(if: $v) encounters @skip(if: $v) { id } } }',
    { v: true },
    { planned: 'query($v:Boolean!){resident(id:"r1"){id name}}', removed: [], released: ['resident.id clear', 'resident.name masked'] },
  ],
  [
    '@include / @skip by a variable, false',
    'query($v: Boolean!) { resident(id: "r1") { id name @include(if: $v) encounters @skip(if: $v) { id } } }',
    { v: false },
    { planned: 'query($v:Boolean!){resident(id:"r1"){id encounters{id}}}', removed: [], released: ['resident.id clear', 'resident.encounters.id clear'] },
  ],
  [
    'a skipped denied field is neither planned nor reported',
    'query($withDiagnosis: Boolean = false) { resident(id: "r1") { encounters { id diagnosis @include(if: $withDiagnosis) } } }',
    {},
    { planned: 'query($withDiagnosis:Boolean=false){resident(id:"r1"){encounters{id}}}', removed: [] },
  ],
  [
    'an interface: fields on it decided by the interface, narrowing fragments kept',
    '{ records(residentId: "r1") { id department ... on Encounter { level diagnosis } ... on LabReport { panel } } }',
    {},
    {
      planned: '{records(residentId:"r1"){id ...on Encounter{level}...on LabReport{panel}}}',
      removed: ['records.department Record.department CONSENT_REQUIRED', 'records.diagnosis Encounter.diagnosis CONSENT_REQUIRED'],
      released: ['records.id clear', 'records.level clear', 'records.panel clear'],
    },
  ],
  [
    'a fragment on the interface spread on an object type: the parts for that type merged, the others dropped',
    '{ resident(id: "r1") { encounters { ...Rec } } } fragment Rec on Record { id ... on Encounter { level diagnosis } ... on LabReport { panel } }',
    {},
    { planned: '{resident(id:"r1"){encounters{id level}}}', removed: ['resident.encounters.diagnosis Encounter.diagnosis CONSENT_REQUIRED'] },
  ],
  [
    'a denied non-null field in a narrowing fragment takes the item, and so the list',
    '{ records(residentId: "r1") { id ... on LabReport { result } } }',
    {},
    { planned: '', removed: ['records Query.records CONSENT_REQUIRED'] },
  ],
  [
    'a union, with __typename',
    '{ search(text: "王") { __typename ... on Resident { id sex } ... on Institution { name } } }',
    {},
    { planned: '{search(text:"王"){__typename ...on Resident{id sex}...on Institution{name}}}', removed: [] },
  ],
  [
    'a set left with only __typename stays as it is',
    '{ resident(id: "r1") { __typename } }',
    {},
    { planned: '{resident(id:"r1"){__typename}}', removed: [], released: [] },
  ],
  [
    'a field selected three times (directly, inline, spread) is released once',
    '{ resident(id: "r1") { name ... on Resident { name } ...N } } fragment N on Resident { name }',
    {},
    { planned: '{resident(id:"r1"){name name name}}', removed: [], released: ['resident.name masked'] },
  ],
  [
    'a root that reads no resident: fragments merged, nothing decided',
    '{ institutions { ...I } } fragment I on Institution { id ... on Institution { name } }',
    {},
    { planned: '{institutions{id name}}', removed: [], released: [] },
  ],
  [
    'a mutation whose only root field is skipped: nothing to execute',
    'mutation { ... @include(if: false) { requestAccess(residentId: "r1") { id } } }',
    {},
    { planned: 'mutation', removed: [] },
  ],
];

describe('filterOperation: operation in, filtered operation and paths out', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (_name, source, variables, expected) => {
    const filtered = filter(source, variables);
    expect(stripIgnoredCharacters(print(filtered.operation))).toBe(expected.planned);
    expect(filtered.removed.map((r) => `${r.path.join('.')} ${r.coordinate} ${r.decision.code}`)).toEqual(expected.removed);
    if (expected.released) expect(filtered.released.map((r) => `${r.path.join('.')} ${r.effect}`)).toEqual(expected.released);
    expect(filtered.empty).toBe(filtered.operation.selectionSet.selections.length === 0);
    // The planner gets one self-contained operation: no fragment definitions, no spreads, no @skip / @include.
    expect(filtered.document.definitions).toEqual([filtered.operation]);
    expect(print(filtered.document)).not.toMatch(/\.\.\.[A-Za-z_]|@skip|@include/);
  });

  it('reports what else was missing when a whole object is removed', () => {
    const filtered = filter('{ resident(id: "r1") { idCardNumber labReports { result } } }');
    expect(filtered.removed).toEqual([
      expect.objectContaining({ path: ['resident'], coordinate: 'Query.resident', decision: denied('DEMOGRAPHICS'), alsoMissing: [{ category: 'RESULTS', need: 'consent' }] }),
    ]);
  });

  it('audits the coordinates kept under a response key selected twice, from both selections', () => {
    const filtered = filter('{ resident(id: "r1") { id } resident(id: "r1") { sex } }');
    expect([...filtered.kept.get('resident')!].sort()).toEqual(['Resident.id', 'Resident.sex']);
  });

  it('refuses to expand past the field limit, whatever the analysis it is handed says', () => {
    const document = parse('{ institutions { ...I ...I } } fragment I on Institution { id name }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const analysis = analyseOperation(schema, document, operation, {});
    expect(analysis.fields).toBe(5);
    expect(() => filterOperation(schema, { ...analysis, limits: { ...DEFAULT_LIMITS, maxFields: 4 } }, deciderFor)).toThrow(GraphQLError);
    expect(filterOperation(schema, { ...analysis, limits: { ...DEFAULT_LIMITS, maxFields: 5 } }, deciderFor).empty).toBe(false);
  });
});

describe('filteredDocumentInterner: one document object per filtered text (the runtime plans per object)', () => {
  const source = '{ resident(id: "r1") { id sex } }';
  const filterWith = (decider: CoordinateDecider) => {
    const document = parse(source);
    const operation = document.definitions[0] as OperationDefinitionNode;
    return filterOperation(schema, analyseOperation(schema, document, operation, {}), () => decider).document;
  };
  const wider: CoordinateDecider = () => ({ effect: 'clear', basis: 'CARE_RELATIONSHIP' });
  const narrower: CoordinateDecider = (coordinate) => (coordinate === 'Resident.sex' ? denied('DEMOGRAPHICS') : wider(coordinate));

  it('hands back the first document of a text for every later one of that text', () => {
    const intern = filteredDocumentInterner();
    const first = filterWith(wider);
    const again = filterWith(wider);
    expect(again).not.toBe(first);
    expect(intern(first)).toBe(first);
    expect(intern(again)).toBe(first);
  });

  it('never hands a narrower caller the wider caller\'s document (so never its plan)', () => {
    const intern = filteredDocumentInterner();
    const wide = intern(filterWith(wider));
    const narrow = filterWith(narrower);
    expect(stripIgnoredCharacters(print(narrow))).toBe('{resident(id:"r1"){id}}');
    expect(intern(narrow)).toBe(narrow);
    expect(intern(narrow)).not.toBe(wide);
  });
});

describe('filteredOperationCache: one filtered operation per document, operation, @include/@skip values and decision shapes', () => {
  const document = parse('query Record($id: ID!, $withSex: Boolean!) { resident(id: $id) { id name sex @include(if: $withSex) } }');
  const operation = document.definitions[0] as OperationDefinitionNode;
  const analysed = (variables: Record<string, unknown>) => analyseOperation(schema, document, operation, variables);
  const wider: CoordinateDecider = () => ({ effect: 'clear', basis: 'CARE_RELATIONSHIP' });
  const narrower: CoordinateDecider = (coordinate) => (coordinate === 'Resident.sex' ? denied('DEMOGRAPHICS') : wider(coordinate));
  const planned = (filtered: FilteredOperation) => stripIgnoredCharacters(print(filtered.document));

  it('filters once per shape; another shape, or another @include value, is filtered for itself', () => {
    const cached = filteredOperationCache(filteredDocumentInterner());
    let walks = 0;
    const run = (variables: Record<string, unknown>, shape: string, decider: CoordinateDecider) => {
      const analysis = analysed(variables);
      return cached(schema, analysis, [shape], () => {
        walks += 1;
        return filterOperation(schema, analysis, () => decider);
      });
    };
    const wide = run({ id: 'r1', withSex: true }, 'wide', wider);
    // Another resident, the same shape: the same operation, not walked again (no resident in the key).
    expect(run({ id: 'r2', withSex: true }, 'wide', wider)).toBe(wide);
    expect(walks).toBe(1);
    expect(planned(wide)).toBe('query Record($id:ID!$withSex:Boolean!){resident(id:$id){id name sex}}');

    const narrow = run({ id: 'r1', withSex: true }, 'narrow', narrower);
    expect(walks).toBe(2);
    expect(narrow).not.toBe(wide);
    expect(narrow.removed.map((r) => r.path.join('.'))).toEqual(['resident.sex']);
    expect(planned(narrow)).toBe('query Record($id:ID!$withSex:Boolean!){resident(id:$id){id name}}');

    // The narrower shape without sex selected: nothing to remove, so it must not reuse the removal above.
    const withoutSex = run({ id: 'r1', withSex: false }, 'narrow', narrower);
    expect(walks).toBe(3);
    expect(withoutSex.removed).toEqual([]);
    // @include was decided by analysis and is gone from the filtered document: the value is in the key.
    expect(planned(withoutSex)).toBe('query Record($id:ID!$withSex:Boolean!){resident(id:$id){id name}}');
    expect(withoutSex).not.toBe(narrow);
    expect(run({ id: 'r3', withSex: true }, 'narrow', narrower)).toBe(narrow);
    expect(walks).toBe(3);
  });
});
