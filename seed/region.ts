/**
 * The synthetic region's health resources: institutions of several grades across 杭州市 and their
 * practitioners. Institution names follow real naming patterns but the institutions are fictional.
 */
import type { institutions, practitioners } from '../subgraphs/resources/tables.js';
import { personName } from './names.js';
import { Random } from './random.js';

export type InstitutionInsert = typeof institutions.$inferInsert;
export type PractitionerInsert = typeof practitioners.$inferInsert;
export type InstitutionKind = 'HOSPITAL' | 'MATERNAL_CHILD' | 'COMMUNITY_HEALTH_CENTER' | 'TOWNSHIP_HEALTH_CENTER' | 'CDC';

export interface InstitutionProfile {
  row: InstitutionInsert & { id: string; districtCode: string; grade: string };
  kind: InstitutionKind;
  departments: readonly string[];
}

const TERTIARY_DEPARTMENTS = [
  '心血管内科', '内分泌科', '呼吸与危重症医学科', '消化内科', '神经内科', '肾内科', '感染科', '精神心理科', '普通外科', '骨科',
  '泌尿外科', '妇产科', '儿科', '眼科', '皮肤科', '急诊科', '全科医学科', '放射科', '超声医学科', '检验科',
];
const SECONDARY_DEPARTMENTS = ['内科', '外科', '骨科', '妇产科', '儿科', '眼科', '皮肤科', '急诊科', '全科医学科', '中医科', '放射科', '检验科'];
const COMMUNITY_DEPARTMENTS = ['全科医学科', '预防保健科', '中医科', '口腔科'];
const MATERNAL_CHILD_DEPARTMENTS = ['妇科', '产科', '儿科', '儿童保健科', '新生儿科', '医学遗传与产前诊断科', '放射科', '检验科'];
const CDC_DEPARTMENTS = ['免疫规划所', '性病艾滋病防制所', '慢性病防制所', '检验中心'];

/** Where a department's patients go in an institution that lacks it (a 二级 hospital has 内科, not 心血管内科). */
const DEPARTMENT_FALLBACK: Readonly<Record<string, readonly string[]>> = {
  心血管内科: ['内科'], 内分泌科: ['内科'], 呼吸与危重症医学科: ['内科'], 消化内科: ['内科'], 神经内科: ['内科'], 肾内科: ['内科'],
  感染科: ['内科'], 精神心理科: ['内科'], 普通外科: ['外科'], 泌尿外科: ['外科'], 骨科: ['外科'], 妇产科: ['妇科'], 眼科: ['全科医学科'],
  皮肤科: ['全科医学科'], 超声医学科: ['放射科'], 急诊科: ['儿科'],
};

interface InstitutionSpec {
  name: string;
  grade: string;
  kind: InstitutionKind;
  districtCode: string;
  address: string;
  hrMark: boolean;
  eqaPassed: boolean;
  eqaValidUntil: string | null;
}

const SPECS: readonly InstitutionSpec[] = [
  { name: '杭州市中心医院', grade: '三级甲等', kind: 'HOSPITAL', districtCode: '330102', address: '浙江省杭州市上城区解放路188号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-06-30' },
  { name: '浙江省西湖人民医院', grade: '三级甲等', kind: 'HOSPITAL', districtCode: '330106', address: '浙江省杭州市西湖区天目山路256号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-06-30' },
  { name: '杭州市城北医院', grade: '三级乙等', kind: 'HOSPITAL', districtCode: '330105', address: '浙江省杭州市拱墅区湖墅南路318号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市萧山区第一人民医院', grade: '三级乙等', kind: 'HOSPITAL', districtCode: '330109', address: '浙江省杭州市萧山区市心南路199号', hrMark: true, eqaPassed: false, eqaValidUntil: null },
  { name: '杭州市余杭区人民医院', grade: '二级甲等', kind: 'HOSPITAL', districtCode: '330110', address: '浙江省杭州市余杭区文一西路1500号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市富阳区中医院', grade: '二级甲等', kind: 'HOSPITAL', districtCode: '330111', address: '浙江省杭州市富阳区桂花西路66号', hrMark: true, eqaPassed: true, eqaValidUntil: '2026-03-31' },
  { name: '淳安县第一人民医院', grade: '二级乙等', kind: 'HOSPITAL', districtCode: '330127', address: '浙江省杭州市淳安县千岛湖镇新安大街58号', hrMark: false, eqaPassed: false, eqaValidUntil: null },
  { name: '杭州市妇幼保健院', grade: '三级甲等', kind: 'MATERNAL_CHILD', districtCode: '330102', address: '浙江省杭州市上城区望江路369号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-06-30' },
  { name: '杭州市疾病预防控制中心', grade: '未定级', kind: 'CDC', districtCode: '330105', address: '浙江省杭州市拱墅区明石路88号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-06-30' },
  { name: '杭州市上城区湖滨街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330102', address: '浙江省杭州市上城区东坡路12号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市拱墅区米市巷街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330105', address: '浙江省杭州市拱墅区米市巷101号', hrMark: false, eqaPassed: false, eqaValidUntil: null },
  { name: '杭州市西湖区北山街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330106', address: '浙江省杭州市西湖区保俶路36号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市滨江区西兴街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330108', address: '浙江省杭州市滨江区西兴路1608号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市萧山区城厢街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330109', address: '浙江省杭州市萧山区城河街50号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市余杭区五常街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330110', address: '浙江省杭州市余杭区五常大道168号', hrMark: false, eqaPassed: false, eqaValidUntil: null },
  { name: '杭州市临平区南苑街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330113', address: '浙江省杭州市临平区迎宾路288号', hrMark: true, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市钱塘区下沙街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330114', address: '浙江省杭州市钱塘区学林街566号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '杭州市富阳区富春街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330111', address: '浙江省杭州市富阳区金桥北路25号', hrMark: false, eqaPassed: false, eqaValidUntil: null },
  { name: '杭州市临安区锦城街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330112', address: '浙江省杭州市临安区衣锦街77号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-03-31' },
  { name: '桐庐县城南街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330122', address: '浙江省杭州市桐庐县迎春南路135号', hrMark: false, eqaPassed: false, eqaValidUntil: null },
  { name: '淳安县千岛湖镇中心卫生院', grade: '一级甲等', kind: 'TOWNSHIP_HEALTH_CENTER', districtCode: '330127', address: '浙江省杭州市淳安县千岛湖镇环湖北路20号', hrMark: false, eqaPassed: false, eqaValidUntil: null },
  { name: '建德市新安江街道社区卫生服务中心', grade: '一级甲等', kind: 'COMMUNITY_HEALTH_CENTER', districtCode: '330182', address: '浙江省杭州市建德市新安江街道严州大道9号', hrMark: false, eqaPassed: true, eqaValidUntil: '2027-03-31' },
];

function departmentsOf(spec: InstitutionSpec): readonly string[] {
  switch (spec.kind) {
    case 'HOSPITAL':
      return spec.grade.startsWith('三级') ? TERTIARY_DEPARTMENTS : SECONDARY_DEPARTMENTS;
    case 'MATERNAL_CHILD':
      return MATERNAL_CHILD_DEPARTMENTS;
    case 'CDC':
      return CDC_DEPARTMENTS;
    default:
      return COMMUNITY_DEPARTMENTS;
  }
}

export interface Region {
  seed: string;
  institutions: readonly InstitutionProfile[];
  practitioners: readonly PractitionerInsert[];
  institution(id: string): InstitutionProfile;
  /** The department an institution would use for `wanted` (itself, a fallback, or its general department). */
  departmentAt(institutionId: string, wanted: string): string;
  /** Practitioners of an institution's department (never empty for a department of that institution). */
  practitionersIn(institutionId: string, department: string): readonly PractitionerInsert[];
  /** The community (or township) health centre that manages residents of a district. */
  primaryCareFor(districtCode: string): InstitutionProfile;
  hospitals: readonly InstitutionProfile[];
}

const PHYSICIAN_TITLES: ReadonlyArray<readonly [string, number]> = [['主任医师', 1], ['副主任医师', 2], ['主治医师', 4], ['住院医师', 3]];
const NURSE_DEPARTMENTS = new Set(['预防保健科', '免疫规划所', '儿童保健科']);

const cache = new Map<string, Region>();

/** The region's institutions and practitioners for a seed (computed once per seed). */
export function buildRegion(seed: string): Region {
  const cached = cache.get(seed);
  if (cached) return cached;
  const profiles: InstitutionProfile[] = [];
  const staff: PractitionerInsert[] = [];
  const staffByDepartment = new Map<string, PractitionerInsert[]>();
  SPECS.forEach((spec, i) => {
    const number = String(i + 1).padStart(2, '0');
    const id = `inst-${number}`;
    const random = new Random(seed, 'institution', id);
    const departments = departmentsOf(spec);
    profiles.push({
      kind: spec.kind,
      departments,
      row: {
        id,
        name: spec.name,
        grade: spec.grade,
        kind: spec.kind,
        districtCode: spec.districtCode,
        licenseNumber: unifiedSocialCreditCode(spec.districtCode, `${String(4700 + i * 37).padStart(4, '0')}${random.digits(4)}`),
        hrMark: spec.hrMark,
        eqaPassed: spec.eqaPassed,
        eqaValidUntil: spec.eqaValidUntil,
        address: spec.address,
      },
    });
    const perDepartment = 2;
    let n = 0;
    for (const department of departments) {
      const list: PractitionerInsert[] = [];
      for (let k = 0; k < perDepartment; k++) {
        n++;
        const sex = random.chance(0.5) ? '1' : '2';
        const birthYear = random.int(1965, 1996);
        const nurse = NURSE_DEPARTMENTS.has(department) && k > 0;
        const title = nurse ? random.pick(['主管护师', '护师']) : random.weighted(PHYSICIAN_TITLES, ([, w]) => w)[0];
        const practitioner: PractitionerInsert = {
          id: `prac-${number}-${String(n).padStart(3, '0')}`,
          institutionId: id,
          name: personName(random, sex, birthYear),
          title,
          department,
          licenseNumber: nurse ? `${birthYear + 23}${spec.districtCode}${random.digits(2)}` : `110${spec.districtCode}${birthYear + 25}${random.digits(2)}`,
        };
        list.push(practitioner);
        staff.push(practitioner);
      }
      staffByDepartment.set(`${id}/${department}`, list);
    }
  });
  const byId = new Map(profiles.map((p) => [p.row.id, p]));
  const institution = (id: string): InstitutionProfile => {
    const found = byId.get(id);
    if (!found) throw new Error(`no institution ${id} in the region`);
    return found;
  };
  const departmentAt = (institutionId: string, wanted: string): string => {
    const { departments } = institution(institutionId);
    if (departments.includes(wanted)) return wanted;
    for (const fallback of DEPARTMENT_FALLBACK[wanted] ?? []) if (departments.includes(fallback)) return fallback;
    return departments[0]!;
  };
  const primaryCare = profiles.filter((p) => p.kind === 'COMMUNITY_HEALTH_CENTER' || p.kind === 'TOWNSHIP_HEALTH_CENTER');
  const region: Region = {
    seed,
    institutions: profiles,
    practitioners: staff,
    institution,
    departmentAt,
    practitionersIn: (institutionId, department) => staffByDepartment.get(`${institutionId}/${department}`) ?? [],
    primaryCareFor: (districtCode) => primaryCare.find((p) => p.row.districtCode === districtCode) ?? primaryCare[0]!,
    hospitals: profiles.filter((p) => p.kind === 'HOSPITAL'),
  };
  cache.set(seed, region);
  return region;
}

const USCC_CHARACTERS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** A GB 32100 unified social credit code of a public institution (事业单位, 12…) with valid check characters. */
export function unifiedSocialCreditCode(areaCode: string, organisationBody: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(organisationBody[i]) * ORG_CODE_WEIGHTS[i]!;
  const c9 = 11 - (sum % 11);
  const organisationCode = organisationBody + (c9 === 10 ? 'X' : c9 === 11 ? '0' : String(c9));
  const first17 = `12${areaCode}${organisationCode}`;
  let total = 0;
  for (let i = 0; i < 17; i++) total += USCC_CHARACTERS.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  const check = (31 - (total % 31)) % 31;
  return first17 + USCC_CHARACTERS[check];
}
