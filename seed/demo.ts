/** The demo actors (DESIGN §11) the token tool lists and issues tokens for, derived from the seed. */
import { DEMO_CLINICIANS, DEMO_PROFILES } from './demo-profiles.js';
import { generateResident } from './generator.js';
import { personName } from './names.js';
import { Random } from './random.js';
import { buildRegion } from './region.js';

export type DemoRole = 'resident' | 'clinician' | 'researcher' | 'steward' | 'auditor' | 'hospital_system';

export interface DemoActor {
  actor: string;
  role: DemoRole;
  displayName: string;
  residentId?: string;
  idCardNumber?: string;
  /** 电子健康卡 number. */
  healthCardNumber?: string;
  institutionId?: string;
  practitionerId?: string;
  scenarioId?: string;
}

/** The research scenario the demo researcher works under (created and approved by the consent seed). */
export const DEMO_SCENARIO_ID = 'scenario-demo-diabetes';
/** Where the demo researcher works. */
export const DEMO_RESEARCH_INSTITUTION = 'inst-02';

/** Every demo actor for a seed, in a stable order. */
export function demoActors(seed: string): DemoActor[] {
  const region = buildRegion(seed);
  const actors: DemoActor[] = DEMO_PROFILES.map((profile, index) => {
    const { resident } = generateResident(seed, index);
    return { actor: profile.actor, role: 'resident', displayName: resident.name, residentId: resident.id, idCardNumber: resident.idCardNumber, healthCardNumber: resident.healthCardNumber };
  });
  for (const [actor, { institutionId, department }] of Object.entries(DEMO_CLINICIANS)) {
    const practitioner = region.practitionersIn(institutionId, department)[0]!;
    const institution = region.institution(institutionId).row;
    actors.push({
      actor,
      role: 'clinician',
      displayName: `${practitioner.name}（${institution.name} ${department} ${practitioner.title}）`,
      institutionId,
      practitionerId: practitioner.id,
    });
  }
  const random = new Random(seed, 'demo-staff');
  const staffName = () => personName(random, random.chance(0.5) ? '1' : '2', random.int(1965, 1992));
  actors.push({
    actor: 'researcher',
    role: 'researcher',
    displayName: `${staffName()}（${region.institution(DEMO_RESEARCH_INSTITUTION).row.name} 临床研究中心）`,
    institutionId: DEMO_RESEARCH_INSTITUTION,
    scenarioId: DEMO_SCENARIO_ID,
  });
  actors.push({ actor: 'steward-1', role: 'steward', displayName: `${staffName()}（区域卫生数据管理委员会）` });
  actors.push({ actor: 'steward-2', role: 'steward', displayName: `${staffName()}（区域卫生数据管理委员会）` });
  actors.push({ actor: 'auditor', role: 'auditor', displayName: `${staffName()}（数据安全审计）` });
  for (const { row } of region.institutions) {
    actors.push({ actor: `his-${row.id}`, role: 'hospital_system', displayName: `${row.name} 信息系统`, institutionId: row.id });
  }
  return actors;
}
