/**
 * The demo scenario is meaningful at the default 2,000 residents (issue 9): counted straight from the
 * generator's output, with the seed's own consent rule, the mart builder's own cohort match and
 * generalisation, and the research subgraph's own suppression (k = 11, complementary suppression),
 * most of its band-and-sex cells are published. Seeding 2,000 residents into a database per test run
 * would take minutes; this counts the same cells without one.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioRecord } from '../consent/index.js';
import { MartBuilder, type MartBuilderOptions } from '../gateway/research-mart.js';
import { DEFAULT_MIN_CELL_SIZE } from '../schema/research.js';
import { suppressedCells, type CountedCell } from '../subgraphs/research/index.js';
import { DEMO_SCENARIO_ID } from './demo.js';
import { DEMO_SCENARIO } from './demo-scenario.js';
import { DEFAULT_AS_OF, DEFAULT_SEED, generateResident } from './generator.js';
import { consentsToResearchByAnyone } from './write.js';

const RESIDENTS = 2_000;
const HBA1C = '4548-4';
/** The first day after the synthetic history: the mart's ages are taken then. */
const builtAt = new Date(`${DEFAULT_AS_OF}T23:59:59+08:00`);

describe('the demo scenario at the default 2,000 residents', () => {
  const bundles = Array.from({ length: RESIDENTS }, (_, i) => generateResident(DEFAULT_SEED, i));
  const consenting = bundles.filter((bundle) => consentsToResearchByAnyone(DEFAULT_SEED, bundle));
  // Only the pseudonym secret is used to make a subject; nothing here fetches or stores.
  const builder = new MartBuilder({ pseudonymSecret: new Uint8Array(32) } as MartBuilderOptions);
  const scenario = {
    ...DEMO_SCENARIO,
    id: DEMO_SCENARIO_ID,
    fields: [...DEMO_SCENARIO.fields],
    ageGranularity: DEMO_SCENARIO.ageGranularity,
    placeGranularity: 'DISTRICT',
    minCellSize: DEFAULT_MIN_CELL_SIZE,
  } as unknown as ScenarioRecord;
  const subjects = consenting.flatMap((bundle) => {
    const subject = builder.subjectOf(
      scenario,
      {
        id: bundle.resident.id,
        sex: bundle.resident.sex,
        birthDate: bundle.resident.birthDate,
        diagnoses: bundle.diagnoses.map((d) => ({ code: d.code, codeSystem: d.codeSystem ?? null, recordedAt: d.recordedAt ? new Date(d.recordedAt).toISOString() : null })),
        labReports: bundle.labReports.map((report) => ({
          collectedAt: report.collectedAt ? new Date(report.collectedAt).toISOString() : null,
          items: bundle.labItems.filter((item) => item.reportId === report.id).map((item) => ({ loinc: item.loinc ?? null, localCode: item.localCode ?? null, value: item.value ?? null, unit: item.unit ?? null })),
        })),
      },
      builtAt,
    );
    return subject ? [subject] : [];
  });

  /** Residents per band-and-sex cell (all of them, or those with an HbA1c result) and which cells k hides. */
  const table = (counts: (subject: (typeof subjects)[number]) => boolean) => {
    const byGroup = new Map<string, CountedCell>();
    for (const subject of subjects.filter(counts)) {
      const group = [subject.ageBand ?? 'UNKNOWN', subject.sex ?? 'UNKNOWN'];
      const cell = byGroup.get(group.join('|')) ?? { group, residents: 0 };
      cell.residents += 1;
      byGroup.set(group.join('|'), cell);
    }
    const cells = [...byGroup.values()];
    return { cells, hidden: suppressedCells(cells, DEFAULT_MIN_CELL_SIZE) };
  };

  it('has about a third of residents consenting to research by anyone', () => {
    expect(consenting.length / RESIDENTS).toBeGreaterThan(0.28);
    expect(consenting.length / RESIDENTS).toBeLessThan(0.4);
  });

  it('draws its cohort from consenting type 2 diabetics aged 50 to 69, in 10-year bands', () => {
    expect(subjects.length).toBeGreaterThan(4 * DEFAULT_MIN_CELL_SIZE);
    for (const subject of subjects) {
      expect(['50-59', '60-69']).toContain(subject.ageBand);
      expect(subject.diagnoses.some((d) => d.code.startsWith('E11'))).toBe(true);
    }
  });

  it('publishes most cells of its COUNT by age band and sex', () => {
    const { cells, hidden } = table(() => true);
    expect(cells.length).toBe(4);
    expect(cells.length - hidden.size).toBeGreaterThan(cells.length / 2);
  });

  it('publishes most cells of its mean HbA1c by age band and sex', () => {
    const { cells, hidden } = table((subject) => subject.labItems.some((item) => item.loinc === HBA1C && item.value !== null));
    expect(cells.length).toBe(4);
    expect(cells.length - hidden.size).toBeGreaterThan(cells.length / 2);
  });
});
