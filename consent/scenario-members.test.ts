import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../schema/context.js';
import { migrateAll, type DatabaseHandle } from '../subgraphs/runtime/database.js';
import { testBackends } from '../testkit/databases.js';
import { grantConsent, revokeConsent, type NewConsent } from './consents.js';
import { lapsedScenarioMembers, recordMartBuilt, removeScenarioMembers, researchConsentingResidents, RESEARCH_PURPOSE } from './scenario-members.js';

const T0 = new Date(Date.now() - 60_000);
const hours = (n: number) => new Date(T0.getTime() + n * 3_600_000);
const resident = (residentId: string): Actor => ({ sub: `sub-${residentId}`, role: 'resident', residentId });
const scenario = { id: 'scn-members', categories: ['CLINICAL', 'RESULTS'] as const };
const research = (validUntil?: Date): NewConsent => ({
  categories: ['CLINICAL', 'RESULTS'],
  recipient: { kind: 'ANYONE' },
  purposes: [RESEARCH_PURPOSE],
  provision: 'PERMIT',
  noticeVersion: '2026-01',
  validFrom: T0,
  ...(validUntil ? { validUntil } : {}),
});

describe.each(testBackends())('the members a scenario checks before each query on $name', (backend) => {
  let handle: DatabaseHandle;
  let dispose: () => Promise<void>;
  const members = ['res-m1', 'res-m2', 'res-m3', 'res-m4'];
  const consentOf = new Map<string, string>();
  const due = async () =>
    (
      await handle.query<{ resident_id: string }>(
        `select resident_id from consent.scenario_member where scenario_id = $1 and (pending_checks > 0 or consent_until <= now()) order by resident_id`,
        [scenario.id],
      )
    ).map((row) => row.resident_id);

  beforeAll(async () => {
    ({ handle, dispose } = await backend.open());
    await migrateAll(handle, ['consent']);
    for (const id of members) {
      // res-m3's consent ends in two hours; the others do not end.
      const consent = await grantConsent(handle.db, resident(id), research(id === 'res-m3' ? hours(2) : undefined), T0);
      consentOf.set(id, consent.id);
    }
    expect(await researchConsentingResidents(handle.db, scenario)).toEqual(members);
    await recordMartBuilt(handle.db, scenario.id, members);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('checks every member once after a build, then only those whose consent changed or ended', async () => {
    // New members are due: a consent may have changed while the build read the region.
    expect(await due()).toEqual(members);
    expect(await lapsedScenarioMembers(handle.db, scenario)).toEqual([]);
    expect(await due()).toEqual([]);

    // A withdrawal through the consent module marks its resident due in the same transaction.
    await revokeConsent(handle.db, resident('res-m1'), consentOf.get('res-m1')!);
    expect(await due()).toEqual(['res-m1']);
    // A new consent that permits no less (a second research permit) is checked and kept.
    await grantConsent(handle.db, resident('res-m2'), research());
    expect(await due()).toEqual(['res-m1', 'res-m2']);
    expect(await lapsedScenarioMembers(handle.db, scenario)).toEqual(['res-m1']);
    await removeScenarioMembers(handle.db, scenario.id, ['res-m1']);
    expect(await due()).toEqual([]);

    // A refusal of research for one category lapses the member though its permit stands.
    await grantConsent(handle.db, resident('res-m4'), { ...research(), categories: ['RESULTS'], provision: 'DENY' });
    expect(await lapsedScenarioMembers(handle.db, scenario)).toEqual(['res-m4']);
    await removeScenarioMembers(handle.db, scenario.id, ['res-m4']);

    // An ending consent lapses its member when it ends, with no write at all.
    expect(await lapsedScenarioMembers(handle.db, scenario, hours(1))).toEqual([]);
    expect(await lapsedScenarioMembers(handle.db, scenario, hours(3))).toEqual(['res-m3']);
  });

  it('gives two gateways checking at once the same answer, and leaves a member due until one has checked it', async () => {
    await revokeConsent(handle.db, resident('res-m3'), consentOf.get('res-m3')!);
    const [first, second] = await Promise.all([lapsedScenarioMembers(handle.db, scenario), lapsedScenarioMembers(handle.db, scenario)]);
    expect(first).toEqual(['res-m3']);
    expect(second).toEqual(['res-m3']);
    // Lapsed members stay due until removed (another gateway may be the one to forget them).
    expect(await due()).toEqual(['res-m3']);
    await removeScenarioMembers(handle.db, scenario.id, ['res-m3']);
    expect(await due()).toEqual([]);
    expect(await lapsedScenarioMembers(handle.db, scenario)).toEqual([]);
    expect((await handle.query<{ n: number }>('select count(*)::int as n from consent.scenario_member where scenario_id = $1', [scenario.id]))[0]!.n).toBe(1);
  });
});
