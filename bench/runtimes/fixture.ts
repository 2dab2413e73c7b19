/**
 * What every runtime in the comparison is asked, by whom, and how their answers are compared.
 * The benchmark and its test share it, so the test proves the exact setup the numbers come from.
 */
import { randomUUID } from 'node:crypto';
import { issueGrant } from '../../consent/index.js';
import { createFetchSigner, DEFAULT_SUBGRAPH_TIMEOUT_MS, GRANT_HEADER, issueToken, loadOrCreateSecret, PURPOSE_HEADER, type SubgraphFetchSettings } from '../../gateway/index.js';
import { isFieldCiphertext } from '../../gateway/keyring/index.js';
import { DATA_CATEGORIES, type DataCategory } from '../../schema/classification.js';
import type { Actor, GatewayContextClaims } from '../../schema/context.js';
import type { PlatformConfig } from '../../scripts/config.js';
import type { RunningPlatform } from '../../scripts/platform.js';
import { demoActors } from '../../seed/index.js';
import { RESIDENT_FIELDS } from '../resident-record.js';
import type { SubgraphTarget } from './gateways.js';

/** One resident's record across six subgraphs (population, clinical, results, archive, immunization, resources). */
export const BENCHMARK_QUERY = `query ResidentRecord($id: ID!) { resident(id: $id) {${RESIDENT_FIELDS}} }`;

/** The resident whose record is read: the demo resident with care at three institutions. */
export const BENCHMARK_RESIDENT = 'resident-multi';
/** Fully permitted: treats the resident (inst-01) and holds a grant for every category. */
export const PERMITTED_CLINICIAN = 'clinician-a';
/** Half denied: never treated the resident; a grant for demographics and clinical records only. */
export const HALF_DENIED_CLINICIAN = 'clinician-c';
export const HALF_DENIED_CATEGORIES: readonly DataCategory[] = ['DEMOGRAPHICS', 'CLINICAL'];

export interface BenchmarkCaller {
  headers: Record<string, string>;
}

export interface BenchmarkSetup {
  residentId: string;
  /** The JSON body every gateway receives, byte for byte. */
  body: string;
  permitted: BenchmarkCaller;
  halfDenied: BenchmarkCaller;
  subgraphs: SubgraphTarget[];
  fetchSettings: SubgraphFetchSettings;
  /** The claims the unenforced gateways sign every fetch with. */
  widestClaims: () => GatewayContextClaims;
}

/** Uses per benchmark grant: enough for any run (each healthmesh request consumes one). */
const BENCHMARK_GRANT_USES = 10_000_000;

/** The claims of the demo actor `name`, as a token for them carries. */
export function demoActorClaims(seed: string, name: string): Actor {
  const demo = demoActors(seed).find((a) => a.actor === name);
  if (!demo) throw new Error(`no demo actor ${name}`);
  return {
    sub: demo.actor,
    role: demo.role,
    ...(demo.residentId ? { residentId: demo.residentId } : {}),
    ...(demo.institutionId ? { institutionId: demo.institutionId } : {}),
    ...(demo.practitionerId ? { practitionerId: demo.practitionerId } : {}),
  };
}

/**
 * A clinician's headers for reading `residentId` under a grant issued straight into the consent tables
 * (the platform caps requested grants at 20 uses, far fewer than a load run): token, TREAT, the grant.
 */
export async function grantedCaller(platform: RunningPlatform, grantSecret: Uint8Array, actor: Actor, residentId: string, categories: readonly DataCategory[]): Promise<BenchmarkCaller> {
  const { token: grantToken } = await issueGrant(platform.database.db, grantSecret, {
    requestId: `bench-${actor.sub}-${residentId}`,
    residentId,
    granteeSub: actor.sub,
    granteeInstitutionId: actor.institutionId!,
    categories: [...categories],
    purpose: 'TREAT',
    maxLevel: 4,
    uses: BENCHMARK_GRANT_USES,
    validFrom: new Date(Date.now() - 60_000),
    validUntil: new Date(Date.now() + 12 * 3_600_000),
  });
  return { headers: { authorization: `Bearer ${await issueToken(platform.issuerKey, actor)}`, [PURPOSE_HEADER]: 'TREAT', [GRANT_HEADER]: grantToken } };
}

/**
 * Issues the benchmark's grants straight into the consent tables (the platform caps requested grants
 * at 20 uses, far fewer than a load run), and the tokens and claims every runtime is called with.
 */
export async function prepareBenchmark(platform: RunningPlatform, config: PlatformConfig): Promise<BenchmarkSetup> {
  const actorOf = (name: string) => demoActorClaims(config.seed, name);
  const residentId = actorOf(BENCHMARK_RESIDENT).residentId!;
  const grantSecret = loadOrCreateSecret(config.dataDir, 'grant-token');
  const caller = (name: string, categories: readonly DataCategory[]) => grantedCaller(platform, grantSecret, actorOf(name), residentId, categories);
  const everything = Object.fromEntries(DATA_CATEGORIES.map((category) => [category, { maxLevel: 5 as const }]));
  const clinician = actorOf(PERMITTED_CLINICIAN);
  return {
    residentId,
    body: JSON.stringify({ query: BENCHMARK_QUERY, variables: { id: residentId } }),
    permitted: await caller(PERMITTED_CLINICIAN, DATA_CATEGORIES),
    halfDenied: await caller(HALF_DENIED_CLINICIAN, HALF_DENIED_CATEGORIES),
    subgraphs: platform.subgraphs.map((s) => ({ name: s.name, url: s.url })),
    fetchSettings: { signFetch: createFetchSigner(platform.contextKey.privateKey, platform.contextKey.kid), timeoutMs: DEFAULT_SUBGRAPH_TIMEOUT_MS },
    // A clinician with a grant-like scope over the resident: every category, level 5, every institution.
    widestClaims: () => ({ requestId: `bench-${randomUUID()}`, actor: clinician, purpose: 'TREAT', scope: { residents: { [residentId]: everything } } }),
  };
}

export interface GraphQLAnswer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

export async function postBenchmark(url: string, body: string, headers: Readonly<Record<string, string>> = {}): Promise<GraphQLAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLAnswer, 'status'>) };
}

/**
 * An unenforced answer cut to what healthmesh released: the keys healthmesh answered, nothing where
 * healthmesh answered null (denied), and the resident's encrypted fields decrypted, since healthmesh
 * releases them in clear and an unenforced gateway passes the stored ciphertext through.
 */
export async function releasedPart(platform: RunningPlatform, residentId: string, unenforced: unknown, healthmesh: unknown): Promise<unknown> {
  await platform.keyring.prepare([residentId]);
  const cut = (value: unknown, shape: unknown, coordinate: string | undefined): unknown => {
    if (shape === null || shape === undefined) return shape;
    if (Array.isArray(shape)) return Array.isArray(value) && value.length === shape.length ? value.map((item, i) => cut(item, shape[i], undefined)) : value;
    if (typeof shape === 'object') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const record = value as Record<string, unknown>;
      const onResident = coordinate === 'Resident';
      return Object.fromEntries(Object.entries(shape).map(([key, inner]) => [key, cut(record[key], inner, onResident ? `Resident.${key}` : undefined)]));
    }
    if (coordinate && isFieldCiphertext(value)) {
      const decrypted = platform.keyring.decrypt(residentId, coordinate, value);
      return decrypted.ok ? decrypted.plaintext : value;
    }
    return value;
  };
  const data = (unenforced ?? {}) as Record<string, unknown>;
  const shape = (healthmesh ?? {}) as Record<string, unknown>;
  return { resident: cut(data['resident'], shape['resident'], 'Resident') };
}
