import { scopedClaims, type TestScope } from '../../testkit/claims.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CommonJS build: the one @apollo/subgraph and type-graphql built the schema with (vite would pick index.mjs,
// and graphql-js refuses a schema from the other module instance).
import { graphql, Kind, parse, print, type ExecutionResult, type ObjectTypeDefinitionNode } from 'graphql/index.js';
import { classificationGaps, readClassifications } from '../../schema/classification.js';
import { MAX_FEED_BATCH } from '../../schema/feed-quality.js';
import type { Actor, GatewayContextClaims } from '../../schema/context.js';
import { buildSubgraph, type BuiltSubgraph, subgraphContext } from '../runtime/index.js';
import { migrateAll, openDatabase, type DatabaseHandle } from '../runtime/database.js';
import { resultsSubgraph } from './index.js';
import { imagingReports, labItems, labReports } from './tables.js';

const A = 'res-a';
const B = 'res-b';
const HOSPITAL_1 = 'inst-1';
const HOSPITAL_2 = 'inst-2';
const clinician: Actor = { sub: 'dr-li', role: 'clinician', institutionId: HOSPITAL_1, practitionerId: 'pr-li' };
const his: Actor = { sub: 'his-1', role: 'hospital_system', institutionId: HOSPITAL_1 };

function claims(scope: TestScope | null = {}, actor: Actor | null = clinician): GatewayContextClaims {
  return scopedClaims(scope, actor, { residentIds: [A], categories: ['RESULTS'] });
}

const RESIDENT_RESULTS = /* GraphQL */ `
  query ($id: ID!, $first: Int, $before: DateTimeISO) {
    _entities(representations: [{ __typename: "Resident", id: $id }]) {
      ... on Resident {
        id
        labReports(first: $first, before: $before) {
          id panelCode level sensitivity collectedAt
          institution { id }
          items { localCode loinc value abnormalFlag }
        }
        imagingReports { id modality findings impression contrast institution { id } }
      }
    }
  }
`;

interface ResidentResults {
  _entities: Array<{
    id: string;
    labReports: Array<{ id: string; level: number; sensitivity: string; institution: { id: string }; items: Array<{ localCode: string }> }>;
    imagingReports: Array<{ id: string; findings: string }>;
  }>;
}

const RECORD = /* GraphQL */ `
  mutation ($input: [LabReportInput!]!) { recordLabReports(input: $input) }
`;

/** A field's argument list (sorted: type-graphql's order follows decorator evaluation) and its type, from the SDL. */
function signature(sdl: string, typeName: string, fieldName: string): { args: string[]; type: string } | undefined {
  const type = parse(sdl).definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === typeName);
  const field = type?.fields?.find((f) => f.name.value === fieldName);
  if (!field) return undefined;
  return { args: (field.arguments ?? []).map((a) => `${a.name.value}: ${print(a.type)}`).sort(), type: print(field.type) };
}

let built: BuiltSubgraph;
let handle: DatabaseHandle;

async function run<Data>(source: string, request: GatewayContextClaims, variableValues?: Record<string, unknown>): Promise<ExecutionResult<Data>> {
  return (await graphql({ schema: built.schema, source, variableValues, contextValue: subgraphContext(handle.db, request) })) as ExecutionResult<Data>;
}

async function residentResults(id: string, request: GatewayContextClaims, variables: Record<string, unknown> = {}) {
  const result = await run<ResidentResults>(RESIDENT_RESULTS, request, { id, ...variables });
  expect(result.errors).toBeUndefined();
  return result.data!._entities[0]!;
}

async function labReportCount(): Promise<number> {
  const [row] = await handle.query<{ n: number }>('select count(*)::int as n from results.lab_report');
  return row!.n;
}

function labReport(input: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    residentId: B,
    panelCode: 'GLU',
    panelName: '空腹血糖',
    specimen: '静脉血',
    collectedAt: '2024-05-01T08:00:00.000Z',
    reportedAt: '2024-05-01T10:00:00.000Z',
    items: [{ localCode: 'GLU', loinc: '1558-6', name: '空腹血糖', value: '5.4', unit: 'mmol/L', referenceRange: '3.9-6.1', abnormalFlag: 'N' }],
    ...input,
  };
}

beforeAll(async () => {
  built = await buildSubgraph(resultsSubgraph);
  handle = await openDatabase();
  await migrateAll(handle, ['results']);
  const db = handle.db;
  const report = (id: string, residentId: string, institutionId: string, collected: string, extra: Partial<typeof labReports.$inferInsert> = {}) => ({
    id,
    residentId,
    institutionId,
    panelCode: 'BMP',
    panelName: '电解质',
    specimen: '静脉血',
    collectedAt: new Date(collected),
    reportedAt: new Date(new Date(collected).getTime() + 3_600_000),
    ...extra,
  });
  await db.insert(labReports).values([
    report('lab-a1', A, HOSPITAL_1, '2024-03-01T08:00:00Z'),
    report('lab-a2', A, HOSPITAL_2, '2024-04-01T08:00:00Z'),
    report('lab-a5', A, HOSPITAL_1, '2024-02-01T08:00:00Z', { panelCode: 'HIV', panelName: 'HIV 抗体', sensitivity: 'HIV_STI', level: 5 }),
    report('lab-b1', B, HOSPITAL_1, '2024-03-05T08:00:00Z'),
  ]);
  const item = (id: string, reportId: string, residentId: string, localCode: string) => ({
    id,
    reportId,
    residentId,
    localCode,
    name: localCode,
    value: '1',
    abnormalFlag: 'N',
  });
  await db.insert(labItems).values([
    item('li-a1-k', 'lab-a1', A, 'K'),
    item('li-a1-na', 'lab-a1', A, 'NA'),
    item('li-a2-k', 'lab-a2', A, 'K'),
    item('li-a5-hiv', 'lab-a5', A, 'HIV-AB'),
    item('li-b1-k', 'lab-b1', B, 'K'),
  ]);
  await db.insert(imagingReports).values([
    {
      id: 'img-a1',
      residentId: A,
      institutionId: HOSPITAL_2,
      modality: 'CT',
      bodyPart: 'CHEST',
      findings: '双肺纹理清晰',
      impression: '未见明显异常',
      performedAt: new Date('2024-03-10T08:00:00Z'),
    },
    {
      id: 'img-b1',
      residentId: B,
      institutionId: HOSPITAL_1,
      modality: 'DX',
      bodyPart: 'CHEST',
      findings: '心影不大',
      impression: '未见异常',
      performedAt: new Date('2024-03-11T08:00:00Z'),
    },
  ]);
});

afterAll(async () => {
  await handle?.close();
});

describe('results subgraph schema', () => {
  it('extends Resident by key with bounded, classified labReports and imagingReports', () => {
    expect(built.sdl).toMatch(/type Resident @key\(fields: "id"\)/);
    expect(signature(built.sdl, 'Resident', 'labReports')).toEqual({ args: ['after: String', 'before: DateTimeISO', 'first: Int', 'from: DateTimeISO', 'institutionId: ID', 'until: DateTimeISO'], type: '[LabReport!]' });
    expect(signature(built.sdl, 'Resident', 'imagingReports')).toEqual({ args: ['after: String', 'before: DateTimeISO', 'first: Int', 'from: DateTimeISO', 'institutionId: ID', 'until: DateTimeISO'], type: '[ImagingReport!]' });
    expect(signature(built.sdl, 'LabReport', 'items')).toEqual({ args: [], type: '[LabItem!]' });
    const classifications = readClassifications(built.sdl);
    expect(classifications.get('Resident.labReports')).toEqual({ category: 'RESULTS', level: 3, encrypted: false });
    expect(classifications.get('Resident.imagingReports')).toEqual({ category: 'RESULTS', level: 3, encrypted: false });
    expect(built.sdl).toMatch(/type Institution @key\(fields: "id", resolvable: false\)/);
    expect(signature(built.sdl, 'Mutation', 'recordLabReports')).toEqual({ args: ['checkOnly: Boolean!', 'input: [LabReportInput!]!'], type: '[ID!]!' });
    expect(signature(built.sdl, 'Mutation', 'recordImagingReports')).toEqual({ args: ['checkOnly: Boolean!', 'input: [ImagingReportInput!]!'], type: '[ID!]!' });
  });

  it('classifies every field of every object type, free-text imaging sections at level 4 without encryption', () => {
    const classifications = readClassifications(built.sdl);
    expect(classificationGaps(built.sdl).unclassified).toEqual([]);
    expect(classifications.get('ImagingReport.findings')).toMatchObject({ category: 'RESULTS', level: 4, encrypted: false });
    expect(classifications.get('ImagingReport.impression')).toMatchObject({ category: 'RESULTS', level: 4, encrypted: false });
    expect(classifications.get('LabItem.value')).toEqual({ category: 'RESULTS', level: 3, encrypted: false });
    expect(classifications.get('Resident.id')).toEqual({ category: 'DEMOGRAPHICS', level: 3, encrypted: false });
    expect(classifications.get('Institution.id')).toEqual({ category: 'RESOURCES', level: 1, encrypted: false });
  });

  it('makes every field above level 2 nullable except ids', () => {
    expect(classificationGaps(built.sdl).nonNullAboveLevel2).toEqual([]);
  });
});

describe('reading results through Resident', () => {
  it('returns only the scoped resident’s reports, newest first, with their items', async () => {
    const a = await residentResults(A, claims());
    expect(a.labReports.map((r) => r.id)).toEqual(['lab-a2', 'lab-a1']);
    expect(a.labReports[1]!.items.map((i) => i.localCode)).toEqual(['K', 'NA']);
    expect(a.imagingReports.map((r) => r.id)).toEqual(['img-a1']);
    expect(a.imagingReports[0]!.findings).toBe('双肺纹理清晰');

    const b = await residentResults(B, claims());
    expect(b.labReports).toEqual([]);
    expect(b.imagingReports).toEqual([]);
  });

  it('leaves out level-5 reports when the scope stops at level 4 and includes them at level 5', async () => {
    const atFour = await residentResults(A, claims({ maxLevel: 4 }));
    expect(atFour.labReports.map((r) => r.id)).not.toContain('lab-a5');

    const atFive = await residentResults(A, claims({ maxLevel: 5 }));
    const hiv = atFive.labReports.find((r) => r.id === 'lab-a5');
    expect(hiv).toMatchObject({ level: 5, sensitivity: 'HIV_STI' });
    expect(hiv!.items.map((i) => i.localCode)).toEqual(['HIV-AB']);
  });

  it('returns nothing without a scope or without the RESULTS category', async () => {
    for (const request of [claims(null), claims({ categories: ['CLINICAL'] }), claims(null, null)]) {
      const a = await residentResults(A, request);
      expect(a.labReports).toEqual([]);
      expect(a.imagingReports).toEqual([]);
    }
  });

  it('honours an institution restriction on reports, items and imaging', async () => {
    const a = await residentResults(A, claims({ institutionId: HOSPITAL_2, maxLevel: 5 }));
    expect(a.labReports.map((r) => r.id)).toEqual(['lab-a2']);
    expect(a.labReports[0]!.institution.id).toBe(HOSPITAL_2);
    expect(a.labReports[0]!.items.map((i) => i.localCode)).toEqual(['K']);
    expect(a.imagingReports.map((r) => r.id)).toEqual(['img-a1']);

    const onlyOne = await residentResults(A, claims({ institutionId: HOSPITAL_1 }));
    expect(onlyOne.labReports.map((r) => r.id)).toEqual(['lab-a1']);
    expect(onlyOne.imagingReports).toEqual([]);
  });

  it('pages with first and before and caps first at 100', async () => {
    const first = await residentResults(A, claims({ maxLevel: 5 }), { first: 1 });
    expect(first.labReports.map((r) => r.id)).toEqual(['lab-a2']);
    const next = await residentResults(A, claims({ maxLevel: 5 }), { first: 1, before: '2024-04-01T08:00:00.000Z' });
    expect(next.labReports.map((r) => r.id)).toEqual(['lab-a1']);
    const huge = await residentResults(A, claims({ maxLevel: 5 }), { first: 100_000 });
    expect(huge.labReports.map((r) => r.id)).toEqual(['lab-a2', 'lab-a1', 'lab-a5']);
  });
});

describe('recordLabReports (HIS feed)', () => {
  it('records reports with their items at the pushing institution and labels sensitive panels level 5', async () => {
    const result = await run<{ recordLabReports: string[] }>(RECORD, claims(null, his), {
      input: [
        labReport(),
        labReport({
          panelCode: 'HIV',
          panelName: 'HIV 抗体',
          items: [{ localCode: 'HIV-AB', name: 'HIV 抗体', value: '阴性', abnormalFlag: 'N' }],
        }),
      ],
    });
    expect(result.errors).toBeUndefined();
    const ids = result.data!.recordLabReports;
    expect(ids).toHaveLength(2);
    const rows = await handle.query<{ id: string; institution_id: string; sensitivity: string; level: number }>(
      'select id, institution_id, sensitivity, level from results.lab_report where id = any($1) order by panel_code',
      [ids],
    );
    expect(rows.map((r) => [r.institution_id, r.sensitivity, r.level])).toEqual([
      [HOSPITAL_1, 'NONE', 3],
      [HOSPITAL_1, 'HIV_STI', 5],
    ]);
    const items = await handle.query<{ n: number }>('select count(*)::int as n from results.lab_item where report_id = any($1)', [ids]);
    expect(items[0]!.n).toBe(2);
  });

  it('records a full batch of 200 reports with 100 items each', async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ localCode: `ITEM${i}`, name: `项目${i}`, value: String(i), abnormalFlag: 'N' }));
    const result = await run<{ recordLabReports: string[] }>(RECORD, claims(null, his), { input: Array.from({ length: 200 }, () => labReport({ items })) });
    expect(result.errors).toBeUndefined();
    expect(result.data!.recordLabReports).toHaveLength(200);
    const [row] = await handle.query<{ n: number }>('select count(*)::int as n from results.lab_item where report_id = any($1)', [result.data!.recordLabReports]);
    expect(row!.n).toBe(20_000);
  });

  it('refuses a batch of one report more than the most (1000) and an item list of 101', async () => {
    const before = await labReportCount();
    const tooMany = await run(RECORD, claims(null, his), { input: Array.from({ length: MAX_FEED_BATCH.recordLabReports + 1 }, () => labReport()) });
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const items = Array.from({ length: 101 }, (_, i) => ({ localCode: `ITEM${i}`, name: 'x', value: '1', abnormalFlag: 'N' }));
    const tooLong = await run(RECORD, claims(null, his), { input: [labReport({ items })] });
    expect(tooLong.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await labReportCount()).toBe(before);
  });

  it('refuses an unknown LOINC code with BAD_USER_INPUT and writes nothing of the batch', async () => {
    const before = await labReportCount();
    const result = await run(RECORD, claims(null, his), {
      input: [labReport(), labReport({ items: [{ localCode: 'X', loinc: '99999-9', name: 'X', value: '1', abnormalFlag: 'N' }] })],
    });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await labReportCount()).toBe(before);
  });

  it('refuses a bad abnormal flag, a collection after the report, a report in the future and an empty batch', async () => {
    const before = await labReportCount();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const inputs = [
      [labReport({ items: [{ localCode: 'GLU', name: 'GLU', value: '5', abnormalFlag: 'HH' }] })],
      [labReport({ collectedAt: '2024-05-02T08:00:00.000Z' })],
      [labReport({ collectedAt: future, reportedAt: future })],
      [labReport({ items: [] })],
      [],
    ];
    for (const input of inputs) {
      const result = await run(RECORD, claims(null, his), { input });
      expect(result.errors?.[0]?.extensions?.['code'], JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
    expect(await labReportCount()).toBe(before);
  });

  it('refuses a push from anyone but a hospital system with FORBIDDEN', async () => {
    const before = await labReportCount();
    const result = await run(RECORD, claims({ residentIds: [B] }, clinician), { input: [labReport()] });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(await labReportCount()).toBe(before);
  });
});
