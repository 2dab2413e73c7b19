/**
 * The demo residents (indices 0–3) and demo clinicians: fixed properties the generator forces so the
 * demo actors always exist with the same shape, whatever the seed.
 */
import { DRUGS, type Drug } from './conditions.js';

export interface BirthCell {
  areaCode: string;
  year: number;
  sex: '1' | '2';
}

export interface ResidenceCell {
  districtCode: string;
  street: number;
  community: number;
}

export interface ForcedVisit {
  daysBeforeAsOf: number;
  institutionId: string;
  department: string;
  /** Seen by this demo clinician (see DEMO_CLINICIANS); otherwise any practitioner of the department. */
  clinician?: keyof typeof DEMO_CLINICIANS;
  diagnoses: readonly string[];
  complaint: string;
  drugs: readonly Drug[];
  labs: readonly string[];
  imaging?: ReadonlyArray<{ code: string; abnormal: boolean; finding?: number }>;
}

export interface DemoProfile {
  actor: string;
  birth: BirthCell;
  residence: ResidenceCell;
  surname?: string;
  chronic: readonly string[];
  sensitive: readonly string[];
  /** The only institutions the resident's encounters happen at. */
  careSet: readonly string[];
  visits: readonly ForcedVisit[];
  guardianIndex?: number;
}

/** Where the demo clinicians work: clinician-a and -b see resident-multi, clinician-c never has. */
export const DEMO_CLINICIANS = {
  'clinician-a': { institutionId: 'inst-01', department: '心血管内科' },
  'clinician-b': { institutionId: 'inst-02', department: '内分泌科' },
  'clinician-c': { institutionId: 'inst-03', department: '心血管内科' },
} as const;

export const DEMO_PROFILES: readonly DemoProfile[] = [
  {
    actor: 'resident-multi',
    birth: { areaCode: '330106', year: 1986, sex: '1' },
    residence: { districtCode: '330106', street: 2, community: 5 },
    surname: '王',
    chronic: ['I10.x00', 'E11.900'],
    sensitive: [],
    careSet: ['inst-12', 'inst-01', 'inst-02'],
    visits: [
      {
        daysBeforeAsOf: 400, institutionId: 'inst-01', department: '心血管内科', clinician: 'clinician-a', diagnoses: ['I10.x00'],
        complaint: '头晕、血压升高2周', drugs: [DRUGS.amlodipine], labs: ['RFT', 'ELEC'], imaging: [{ code: 'US-HEART', abnormal: true, finding: 0 }],
      },
      {
        daysBeforeAsOf: 26, institutionId: 'inst-02', department: '内分泌科', clinician: 'clinician-b', diagnoses: ['E11.900', 'I10.x00'],
        complaint: '口干、多饮1月，血糖控制不佳', drugs: [DRUGS.metformin], labs: ['HBA1C', 'FBG', 'RFT', 'LFT'],
      },
      {
        daysBeforeAsOf: 12, institutionId: 'inst-01', department: '心血管内科', clinician: 'clinician-a', diagnoses: ['I10.x00', 'E11.900'],
        complaint: '高血压复诊', drugs: [DRUGS.amlodipine, DRUGS.valsartan], labs: ['LIPID', 'ELEC'],
      },
      {
        daysBeforeAsOf: 8, institutionId: 'inst-12', department: '全科医学科', diagnoses: ['J06.900'],
        complaint: '咳嗽、流涕2天', drugs: [DRUGS.paracetamol], labs: ['CBC'],
      },
    ],
  },
  {
    actor: 'resident-sensitive',
    birth: { areaCode: '330105', year: 1991, sex: '2' },
    residence: { districtCode: '330105', street: 3, community: 8 },
    chronic: [],
    sensitive: ['F32.900'],
    careSet: ['inst-11', 'inst-03', 'inst-09'],
    visits: [
      {
        daysBeforeAsOf: 75, institutionId: 'inst-03', department: '精神心理科', diagnoses: ['F32.900'],
        complaint: '情绪低落、兴趣减退2月', drugs: [DRUGS.sertraline], labs: ['THYROID'],
      },
      {
        daysBeforeAsOf: 60, institutionId: 'inst-09', department: '性病艾滋病防制所', diagnoses: ['Z00.000'],
        complaint: '自愿咨询检测', drugs: [], labs: ['HIV-AB'],
      },
      {
        daysBeforeAsOf: 47, institutionId: 'inst-03', department: '精神心理科', diagnoses: ['F32.900'],
        complaint: '抑郁复诊，睡眠改善', drugs: [DRUGS.sertraline], labs: [],
      },
    ],
  },
  {
    actor: 'resident-research',
    birth: { areaCode: '330104', year: 1958, sex: '1' },
    residence: { districtCode: '330102', street: 1, community: 4 },
    chronic: ['I10.x00', 'E11.900'],
    sensitive: [],
    careSet: ['inst-10', 'inst-01'],
    visits: [
      {
        daysBeforeAsOf: 90, institutionId: 'inst-01', department: '内分泌科', diagnoses: ['E11.900', 'I10.x00'],
        complaint: '糖尿病复诊', drugs: [DRUGS.metformin, DRUGS.sitagliptin], labs: ['HBA1C', 'FBG', 'LIPID'],
      },
    ],
  },
  {
    actor: 'resident-child',
    birth: { areaCode: '330106', year: 2016, sex: '2' },
    residence: { districtCode: '330106', street: 2, community: 5 },
    surname: '王',
    chronic: [],
    sensitive: [],
    careSet: ['inst-12', 'inst-08'],
    guardianIndex: 0,
    visits: [
      {
        daysBeforeAsOf: 30, institutionId: 'inst-08', department: '儿科', diagnoses: ['J06.900'],
        complaint: '发热、咳嗽1天', drugs: [DRUGS.ibuprofenSyrup], labs: ['CBC'],
      },
    ],
  },
];

export function demoProfile(index: number): DemoProfile | undefined {
  return DEMO_PROFILES[index];
}
