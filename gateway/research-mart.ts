/**
 * Builds and trims a scenario's mart (DESIGN §7). The consenting residents come from the consent
 * store; their data is read through the domain subgraphs like any read, with a signed context scoped to
 * the scenario (the researcher as actor, purpose HRESCH, the scenario's categories and levels for
 * exactly these residents), so the subgraphs' row filters decide what leaves them. The gateway then
 * keeps only cohort-matching residents and only the listed fields, replaces each resident by the
 * scenario's pseudonym (HMAC under a per-scenario key derived from the platform's research secret:
 * two scenarios cannot be linked), generalises birth dates and places, and stores the result in the
 * research subgraph, which never sees an identifier or a platform resident id.
 */
import { createHmac } from 'node:crypto';
import {
  auditResearchUse,
  lapsedScenarioMembers,
  martBuiltAt,
  recordMartBuilt,
  removeScenarioMembers,
  researchConsentingResidents,
  RESEARCH_PURPOSE,
  scenarioApplicantActor,
  type AuditSigner,
  type ScenarioRecord,
} from '../consent/index.js';
import type { ClassificationMap, DataCategory } from '../schema/classification.js';
import type { Actor, CategoryScope, GatewayContextClaims, RowScope } from '../schema/context.js';
import { REGION_CITY } from '../schema/districts.js';
import type { Database } from '../subgraphs/runtime/database.js';
import { fetchSubgraph, type SubgraphFetchSettings } from './subgraph-fetch.js';

/** Residents per signed fetch: their row scope travels in the context header, which must stay small. */
export const MART_FETCH_BATCH = 80;
/** Batches read at once while building: the subgraphs work while the gateway pseudonymises. */
const MART_FETCH_CONCURRENCY = 4;

export interface MartBuilderOptions {
  db: Database;
  fetchSettings: SubgraphFetchSettings;
  /** Subgraph name → URL (population, clinical, results, research). */
  urls: ReadonlyMap<string, string>;
  /** The platform's research secret: each scenario's pseudonym key is derived from it. */
  pseudonymSecret: Uint8Array;
  auditSigner: AuditSigner;
  classifications: ClassificationMap;
}

/** The scenario's pseudonym of a resident: stable within the scenario, unlinkable across scenarios. */
export function scenarioPseudonym(secret: Uint8Array, scenarioId: string, residentId: string): string {
  const scenarioKey = createHmac('sha256', secret).update(`healthmesh research scenario\u0000${scenarioId}`, 'utf8').digest();
  return createHmac('sha256', scenarioKey).update(residentId, 'utf8').digest('hex');
}

/** A band of age at `now`, e.g. 40-44 (5 years) or 40-49 (10 years). */
export function ageBandOf(birthDate: string, now: Date, width: 5 | 10 = 5): string {
  const age = ageAt(birthDate, now);
  const low = Math.floor(age / width) * width;
  return `${low}-${low + width - 1}`;
}

function ageAt(birthDate: string, now: Date): number {
  const [year, month, day] = birthDate.split('-').map(Number) as [number, number, number];
  const beforeBirthday = now.getUTCMonth() + 1 < month || (now.getUTCMonth() + 1 === month && now.getUTCDate() < day);
  return now.getUTCFullYear() - year - (beforeBirthday ? 1 : 0);
}

interface FetchedResident {
  id: string;
  sex?: string | null;
  birthDate?: string | null;
  district?: { code: string } | null;
  diagnoses?: Array<{ code: string | null; codeSystem: string | null; recordedAt: string | null }> | null;
  labReports?: Array<{ collectedAt: string | null; items: Array<{ loinc: string | null; localCode: string | null; value: string | null; unit: string | null }> | null }> | null;
}

export interface MartSubject {
  pseudonym: string;
  sex: string | null;
  birthYear: number | null;
  ageBand: string | null;
  district: string | null;
  diagnoses: Array<{ code: string; codeSystem: string | null; year: number | null }>;
  labItems: Array<{ loinc: string | null; localCode: string | null; value: string | null; unit: string | null; year: number | null }>;
}

const yearOf = (iso: string | null) => (iso ? new Date(iso).getUTCFullYear() : null);

export class MartBuilder {
  private readonly building = new Map<string, Promise<unknown>>();

  constructor(private readonly options: MartBuilderOptions) {}

  /** Builds the mart unless it is built; concurrent callers in this gateway share one build. */
  async ensureBuilt(scenario: ScenarioRecord, requestId: string): Promise<void> {
    if (await martBuiltAt(this.options.db, scenario.id)) return;
    const running = this.building.get(scenario.id) ?? this.build(scenario, requestId).finally(() => this.building.delete(scenario.id));
    this.building.set(scenario.id, running);
    await running;
  }

  /** Removes from the mart every member whose consent no longer permits the scenario; returns how many. */
  async forgetLapsed(scenario: ScenarioRecord, requestId: string, now = new Date()): Promise<number> {
    const lapsed = await lapsedScenarioMembers(this.options.db, scenario, now);
    if (lapsed.length === 0) return 0;
    const pseudonyms = lapsed.map((id) => scenarioPseudonym(this.options.pseudonymSecret, scenario.id, id));
    await this.research(scenario, requestId, 'mutation($s: ID!, $p: [String!]!) { forgetMartSubjects(scenarioId: $s, pseudonyms: $p) }', { s: scenario.id, p: pseudonyms });
    await removeScenarioMembers(this.options.db, scenario.id, lapsed);
    return lapsed.length;
  }

  /** Builds (or rebuilds) the scenario's mart from its consenting, cohort-matching residents. */
  async build(scenario: ScenarioRecord, requestId: string, now = new Date()): Promise<{ residents: number }> {
    const candidates = await researchConsentingResidents(this.options.db, scenario, now);
    const store = (replace: boolean, subjects: MartSubject[]) =>
      this.research(
        scenario,
        requestId,
        'mutation($s: ID!, $k: Int!, $r: Boolean!, $subjects: [MartSubjectInput!]!) { storeScenarioMart(scenarioId: $s, minCellSize: $k, replace: $r, subjects: $subjects) }',
        { s: scenario.id, k: scenario.minCellSize, r: replace, subjects },
      );
    // The old mart goes first; then batches are read and stored a few at a time (only cohort members are sent).
    await store(true, []);
    const batches: string[][] = [];
    for (let start = 0; start < candidates.length; start += MART_FETCH_BATCH) batches.push(candidates.slice(start, start + MART_FETCH_BATCH));
    const includedByBatch: string[][] = batches.map(() => []);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const index = next++;
        const subjects: MartSubject[] = [];
        for (const resident of await this.fetchResidents(scenario, batches[index]!, requestId, now)) {
          const subject = this.subjectOf(scenario, resident, now);
          if (!subject) continue;
          includedByBatch[index]!.push(resident.id);
          subjects.push(subject);
        }
        if (subjects.length > 0) await store(false, subjects);
      }
    };
    await Promise.all(Array.from({ length: Math.min(MART_FETCH_CONCURRENCY, batches.length) }, worker));
    const included = includedByBatch.flat();
    const fieldsByCategory: Record<string, string[]> = {};
    for (const field of scenario.fields) {
      const category = this.options.classifications.get(field)?.category ?? 'DEMOGRAPHICS';
      (fieldsByCategory[category] ??= []).push(field);
    }
    const applicant = applicantOf(scenario);
    await this.options.db.transaction(async (tx) => {
      await recordMartBuilt(tx, scenario.id, included, now);
      await auditResearchUse(tx, this.options.auditSigner, { scenarioId: scenario.id, title: scenario.title, applicant, fieldsByCategory, requestId, at: now }, included);
    });
    return { residents: included.length };
  }

  /** Cohort match, listed fields only, pseudonymised and generalised; undefined when not in the cohort. */
  subjectOf(scenario: ScenarioRecord, resident: FetchedResident, now: Date): MartSubject | undefined {
    const cohort = scenario.cohort;
    const listed = new Set(scenario.fields);
    const inPeriod = (iso: string | null) => {
      if (!iso) return !cohort.from && !cohort.until;
      const at = new Date(iso).getTime();
      return (!cohort.from || at >= new Date(cohort.from).getTime()) && (!cohort.until || at < new Date(cohort.until).getTime());
    };
    const age = resident.birthDate ? ageAt(resident.birthDate, now) : undefined;
    if ((cohort.ageMin !== undefined || cohort.ageMax !== undefined) && age === undefined) return undefined;
    if (cohort.ageMin !== undefined && age! < cohort.ageMin) return undefined;
    if (cohort.ageMax !== undefined && age! > cohort.ageMax) return undefined;
    if (cohort.sex !== undefined && resident.sex !== cohort.sex) return undefined;
    if (cohort.districtCodes && !cohort.districtCodes.includes(resident.district?.code ?? '')) return undefined;
    const diagnoses = (resident.diagnoses ?? []).filter((d) => d.code && inPeriod(d.recordedAt));
    if (cohort.diagnosisCodePrefixes && !diagnoses.some((d) => cohort.diagnosisCodePrefixes!.some((prefix) => d.code!.toUpperCase().startsWith(prefix)))) return undefined;
    const reports = (resident.labReports ?? []).filter((r) => inPeriod(r.collectedAt));
    const district = resident.district?.code ?? null;
    return {
      pseudonym: scenarioPseudonym(this.options.pseudonymSecret, scenario.id, resident.id),
      sex: listed.has('Resident.sex') ? (resident.sex ?? null) : null,
      birthYear: listed.has('Resident.birthDate') && scenario.ageGranularity === 'YEAR' && resident.birthDate ? Number(resident.birthDate.slice(0, 4)) : null,
      ageBand: listed.has('Resident.birthDate') && resident.birthDate ? ageBandOf(resident.birthDate, now, scenario.ageGranularity === 'TEN_YEAR_BAND' ? 10 : 5) : null,
      district: listed.has('Resident.district') && district ? (scenario.placeGranularity === 'CITY' ? REGION_CITY.code : district) : null,
      diagnoses: listed.has('Diagnosis.code')
        ? diagnoses.map((d) => ({ code: d.code!, codeSystem: listed.has('Diagnosis.codeSystem') ? d.codeSystem : null, year: listed.has('Diagnosis.recordedAt') ? yearOf(d.recordedAt) : null }))
        : [],
      labItems: listed.has('LabItem.value')
        ? reports.flatMap((report) =>
            (report.items ?? []).map((item) => ({
              loinc: listed.has('LabItem.loinc') ? item.loinc : null,
              localCode: listed.has('LabItem.localCode') ? item.localCode : null,
              value: item.value,
              unit: listed.has('LabItem.unit') ? item.unit : null,
              year: listed.has('LabReport.collectedAt') ? yearOf(report.collectedAt) : null,
            })),
          )
        : [],
    };
  }

  /**
   * The residents' frame, diagnoses and lab reports, each from its own subgraph under the scenario-scoped
   * context. Lab reports (the bulk) are fetched only for residents the frame and diagnoses already
   * match to the cohort: the cohort criteria never look at them.
   */
  private async fetchResidents(scenario: ScenarioRecord, residentIds: readonly string[], requestId: string, now: Date): Promise<FetchedResident[]> {
    const needsDiagnoses = scenario.fields.some((f) => f.startsWith('Diagnosis.')) || (scenario.cohort.diagnosisCodePrefixes?.length ?? 0) > 0;
    const needsLab = scenario.fields.some((f) => f.startsWith('LabItem.') || f.startsWith('LabReport.'));
    const entities = (selection: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Resident { id ${selection} } } }`;
    const fetchFrom = (subgraph: string, selection: string, ids: readonly string[]) =>
      this.entities(subgraph, entities(selection), ids.map((id) => ({ __typename: 'Resident', id })), buildClaims(scenario, ids, requestId));
    const [frame, clinical] = await Promise.all([
      fetchFrom('population', 'sex birthDate district { code }', residentIds),
      needsDiagnoses ? fetchFrom('clinical', 'diagnoses(first: 100) { code codeSystem recordedAt }', residentIds) : Promise.resolve([]),
    ]);
    const byId = new Map<string, FetchedResident>();
    const merge = (part: ReadonlyArray<FetchedResident | null>) => {
      for (const entity of part) if (entity?.id) byId.set(entity.id, { ...byId.get(entity.id), ...entity });
    };
    merge(frame);
    merge(clinical);
    const matching = residentIds.filter((id) => byId.has(id) && this.subjectOf(scenario, byId.get(id)!, now));
    if (needsLab && matching.length > 0) merge(await fetchFrom('results', 'labReports(first: 100) { collectedAt items { loinc localCode value unit } }', matching));
    return matching.map((id) => byId.get(id)!);
  }

  private async entities(subgraph: string, query: string, representations: unknown[], claims: GatewayContextClaims): Promise<Array<FetchedResident | null>> {
    const data = await this.post<{ _entities: Array<FetchedResident | null> }>(subgraph, query, { r: representations }, claims);
    return data._entities;
  }

  private async research(scenario: ScenarioRecord, requestId: string, query: string, variables: Record<string, unknown>): Promise<void> {
    await this.post('research', query, variables, { requestId, actor: applicantOf(scenario), purpose: RESEARCH_PURPOSE, scenario: { id: scenario.id, use: 'build' } });
  }

  private async post<Data>(subgraph: string, query: string, variables: Record<string, unknown>, claims: GatewayContextClaims): Promise<Data> {
    const url = this.options.urls.get(subgraph);
    if (!url) throw new Error(`the mart builder needs the ${subgraph} subgraph URL`);
    const response = await fetchSubgraph(url, { subgraph, body: JSON.stringify({ query, variables }), claims }, { ...this.options.fetchSettings, timeoutMs: Math.max(this.options.fetchSettings.timeoutMs, 30_000) });
    const answer = (await response.json()) as { data?: Data; errors?: Array<{ message: string }> };
    if (!response.ok || answer.errors || !answer.data) throw new Error(`building a research mart: ${subgraph} answered ${response.status}${answer.errors ? `: ${answer.errors.map((e) => e.message).join('; ')}` : ''}`);
    return answer.data;
  }
}

function applicantOf(scenario: ScenarioRecord): Actor {
  return scenarioApplicantActor(scenario.applicantSub);
}

/** The scenario-scoped context of one batch: these residents, the frame and the scenario's categories, its levels. */
function buildClaims(scenario: ScenarioRecord, residentIds: readonly string[], requestId: string): GatewayContextClaims {
  const healthLevel: CategoryScope = { maxLevel: scenario.touchesLevel5 ? 5 : 3 };
  const categories: Partial<Record<DataCategory, CategoryScope>> = { DEMOGRAPHICS: { maxLevel: 3 } };
  for (const category of scenario.categories) if (category !== 'DEMOGRAPHICS') categories[category] = healthLevel;
  const scope: RowScope = { residents: Object.fromEntries(residentIds.map((id) => [id, categories])) };
  return { requestId, actor: applicantOf(scenario), purpose: RESEARCH_PURPOSE, scope, scenario: { id: scenario.id, use: 'build' } };
}
