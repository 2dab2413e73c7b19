/**
 * GB/T 2260 administrative division codes (行政区划代码).
 *
 * This is a curated subset: the synthetic region 杭州市 with every current district and county, the
 * codes an ID card issued in Hangzhou before a boundary change still carries, every province-level
 * code, the districts of 北京市 and 上海市, and common birthplaces of people who moved to Hangzhou.
 * The full GB/T 2260 table (about 3,200 county-level codes, current and historical) can be dropped in
 * as more `AREA_CODES` entries; nothing else depends on which codes are listed.
 */

export type AreaLevel = 'province' | 'prefecture' | 'county';

export interface AreaCode {
  code: string;
  name: string;
  /** Year the code was abolished (ID cards issued before then keep it for life). */
  abolished?: number;
}

/** A district or county of the synthetic region, with its 2020 census population in 10,000s. */
export interface RegionDistrict {
  code: string;
  name: string;
  population: number;
}

export const REGION_PROVINCE = { code: '330000', name: '浙江省' } as const;
export const REGION_CITY = { code: '330100', name: '杭州市' } as const;

/** 杭州市's current districts and counties (boundaries since 2021). */
export const REGION_DISTRICTS: readonly RegionDistrict[] = [
  { code: '330102', name: '上城区', population: 132.5 },
  { code: '330105', name: '拱墅区', population: 111.9 },
  { code: '330106', name: '西湖区', population: 114.5 },
  { code: '330108', name: '滨江区', population: 50.4 },
  { code: '330109', name: '萧山区', population: 201.1 },
  { code: '330110', name: '余杭区', population: 122.6 },
  { code: '330111', name: '富阳区', population: 83.5 },
  { code: '330112', name: '临安区', population: 64.8 },
  { code: '330113', name: '临平区', population: 117.6 },
  { code: '330114', name: '钱塘区', population: 76.9 },
  { code: '330122', name: '桐庐县', population: 45.5 },
  { code: '330127', name: '淳安县', population: 32.9 },
  { code: '330182', name: '建德市', population: 44.2 },
];

/** Hangzhou codes abolished by boundary changes; still valid on ID cards issued before. */
const HANGZHOU_HISTORICAL: readonly AreaCode[] = [
  { code: '330103', name: '下城区', abolished: 2021 },
  { code: '330104', name: '江干区', abolished: 2021 },
  { code: '330181', name: '萧山市', abolished: 2001 },
  { code: '330184', name: '余杭市', abolished: 2001 },
  { code: '330183', name: '富阳市', abolished: 2014 },
  { code: '330185', name: '临安市', abolished: 2017 },
];

/**
 * What a Hangzhou district was before boundary changes: for a registration year before `until`, an ID
 * card of someone from (what is now) `district` carries one of `codes`.
 */
const HANGZHOU_PREDECESSORS: ReadonlyArray<{ district: string; until: number; codes: readonly string[] }> = [
  { district: '330102', until: 2021, codes: ['330102', '330104'] }, // 上城区 absorbed most of 江干区
  { district: '330105', until: 2021, codes: ['330105', '330103'] }, // 拱墅区 absorbed 下城区
  { district: '330113', until: 2001, codes: ['330184'] }, // 临平区 was part of 余杭 (余杭市 before 2001)
  { district: '330113', until: 2021, codes: ['330110'] },
  { district: '330114', until: 2001, codes: ['330104', '330181'] }, // 钱塘区: 下沙 from 江干, 大江东 from 萧山
  { district: '330114', until: 2021, codes: ['330104', '330109'] },
  { district: '330108', until: 1996, codes: ['330181'] }, // 滨江区 was carved out of 萧山 in 1996
  { district: '330109', until: 2001, codes: ['330181'] },
  { district: '330110', until: 2001, codes: ['330184'] },
  { district: '330111', until: 2014, codes: ['330183'] },
  { district: '330112', until: 2017, codes: ['330185'] },
];

const PROVINCES: readonly AreaCode[] = [
  { code: '110000', name: '北京市' },
  { code: '120000', name: '天津市' },
  { code: '130000', name: '河北省' },
  { code: '140000', name: '山西省' },
  { code: '150000', name: '内蒙古自治区' },
  { code: '210000', name: '辽宁省' },
  { code: '220000', name: '吉林省' },
  { code: '230000', name: '黑龙江省' },
  { code: '310000', name: '上海市' },
  { code: '320000', name: '江苏省' },
  { code: '330000', name: '浙江省' },
  { code: '340000', name: '安徽省' },
  { code: '350000', name: '福建省' },
  { code: '360000', name: '江西省' },
  { code: '370000', name: '山东省' },
  { code: '410000', name: '河南省' },
  { code: '420000', name: '湖北省' },
  { code: '430000', name: '湖南省' },
  { code: '440000', name: '广东省' },
  { code: '450000', name: '广西壮族自治区' },
  { code: '460000', name: '海南省' },
  { code: '500000', name: '重庆市' },
  { code: '510000', name: '四川省' },
  { code: '520000', name: '贵州省' },
  { code: '530000', name: '云南省' },
  { code: '540000', name: '西藏自治区' },
  { code: '610000', name: '陕西省' },
  { code: '620000', name: '甘肃省' },
  { code: '630000', name: '青海省' },
  { code: '640000', name: '宁夏回族自治区' },
  { code: '650000', name: '新疆维吾尔自治区' },
  { code: '710000', name: '台湾省' },
  { code: '810000', name: '香港特别行政区' },
  { code: '820000', name: '澳门特别行政区' },
];

const BEIJING: readonly AreaCode[] = [
  { code: '110100', name: '市辖区' },
  { code: '110101', name: '东城区' },
  { code: '110102', name: '西城区' },
  { code: '110103', name: '崇文区', abolished: 2010 },
  { code: '110104', name: '宣武区', abolished: 2010 },
  { code: '110105', name: '朝阳区' },
  { code: '110106', name: '丰台区' },
  { code: '110107', name: '石景山区' },
  { code: '110108', name: '海淀区' },
  { code: '110109', name: '门头沟区' },
  { code: '110111', name: '房山区' },
  { code: '110112', name: '通州区' },
  { code: '110113', name: '顺义区' },
  { code: '110114', name: '昌平区' },
  { code: '110115', name: '大兴区' },
  { code: '110116', name: '怀柔区' },
  { code: '110117', name: '平谷区' },
  { code: '110118', name: '密云区' },
  { code: '110119', name: '延庆区' },
];

const SHANGHAI: readonly AreaCode[] = [
  { code: '310100', name: '市辖区' },
  { code: '310101', name: '黄浦区' },
  { code: '310103', name: '卢湾区', abolished: 2011 },
  { code: '310104', name: '徐汇区' },
  { code: '310105', name: '长宁区' },
  { code: '310106', name: '静安区' },
  { code: '310107', name: '普陀区' },
  { code: '310108', name: '闸北区', abolished: 2015 },
  { code: '310109', name: '虹口区' },
  { code: '310110', name: '杨浦区' },
  { code: '310112', name: '闵行区' },
  { code: '310113', name: '宝山区' },
  { code: '310114', name: '嘉定区' },
  { code: '310115', name: '浦东新区' },
  { code: '310116', name: '金山区' },
  { code: '310117', name: '松江区' },
  { code: '310118', name: '青浦区' },
  { code: '310120', name: '奉贤区' },
  { code: '310151', name: '崇明区' },
];

/** Prefecture-level cities and one or two of their districts: frequent birthplaces of Hangzhou residents. */
const ELSEWHERE: readonly AreaCode[] = [
  { code: '120100', name: '市辖区' },
  { code: '120101', name: '和平区' },
  { code: '130100', name: '石家庄市' },
  { code: '130102', name: '长安区' },
  { code: '140100', name: '太原市' },
  { code: '140105', name: '小店区' },
  { code: '210100', name: '沈阳市' },
  { code: '210102', name: '和平区' },
  { code: '220100', name: '长春市' },
  { code: '220102', name: '南关区' },
  { code: '230100', name: '哈尔滨市' },
  { code: '230102', name: '道里区' },
  { code: '320100', name: '南京市' },
  { code: '320102', name: '玄武区' },
  { code: '320500', name: '苏州市' },
  { code: '320508', name: '姑苏区' },
  { code: '330200', name: '宁波市' },
  { code: '330203', name: '海曙区' },
  { code: '330212', name: '鄞州区' },
  { code: '330300', name: '温州市' },
  { code: '330302', name: '鹿城区' },
  { code: '330400', name: '嘉兴市' },
  { code: '330402', name: '南湖区' },
  { code: '330500', name: '湖州市' },
  { code: '330502', name: '吴兴区' },
  { code: '330600', name: '绍兴市' },
  { code: '330602', name: '越城区' },
  { code: '330603', name: '柯桥区' },
  { code: '330700', name: '金华市' },
  { code: '330702', name: '婺城区' },
  { code: '330782', name: '义乌市' },
  { code: '330800', name: '衢州市' },
  { code: '330802', name: '柯城区' },
  { code: '330900', name: '舟山市' },
  { code: '330902', name: '定海区' },
  { code: '331000', name: '台州市' },
  { code: '331002', name: '椒江区' },
  { code: '331100', name: '丽水市' },
  { code: '331102', name: '莲都区' },
  { code: '340100', name: '合肥市' },
  { code: '340104', name: '蜀山区' },
  { code: '341200', name: '阜阳市' },
  { code: '341202', name: '颍州区' },
  { code: '350100', name: '福州市' },
  { code: '350102', name: '鼓楼区' },
  { code: '360100', name: '南昌市' },
  { code: '360102', name: '东湖区' },
  { code: '361100', name: '上饶市' },
  { code: '361102', name: '信州区' },
  { code: '370100', name: '济南市' },
  { code: '370102', name: '历下区' },
  { code: '410100', name: '郑州市' },
  { code: '410105', name: '金水区' },
  { code: '411500', name: '信阳市' },
  { code: '411502', name: '浉河区' },
  { code: '420100', name: '武汉市' },
  { code: '420103', name: '江汉区' },
  { code: '430100', name: '长沙市' },
  { code: '430102', name: '芙蓉区' },
  { code: '440100', name: '广州市' },
  { code: '440106', name: '天河区' },
  { code: '440300', name: '深圳市' },
  { code: '440304', name: '福田区' },
  { code: '450100', name: '南宁市' },
  { code: '450103', name: '青秀区' },
  { code: '460100', name: '海口市' },
  { code: '460105', name: '秀英区' },
  { code: '500100', name: '市辖区' },
  { code: '500103', name: '渝中区' },
  { code: '510100', name: '成都市' },
  { code: '510107', name: '武侯区' },
  { code: '520100', name: '贵阳市' },
  { code: '520102', name: '南明区' },
  { code: '530100', name: '昆明市' },
  { code: '530102', name: '五华区' },
  { code: '610100', name: '西安市' },
  { code: '610113', name: '雁塔区' },
  { code: '620100', name: '兰州市' },
  { code: '620102', name: '城关区' },
  { code: '650100', name: '乌鲁木齐市' },
  { code: '650102', name: '天山区' },
];

/** Every listed code, current and historical. */
export const AREA_CODES: readonly AreaCode[] = [
  ...PROVINCES,
  REGION_CITY,
  ...REGION_DISTRICTS.map(({ code, name }) => ({ code, name })),
  ...HANGZHOU_HISTORICAL,
  ...BEIJING,
  ...SHANGHAI,
  ...ELSEWHERE,
];

const BY_CODE: ReadonlyMap<string, AreaCode> = new Map(AREA_CODES.map((area) => [area.code, area]));

/** Whether `code` is a listed GB/T 2260 code (an abolished code still counts: ID cards keep it). */
export function isKnownAreaCode(code: string): boolean {
  return BY_CODE.has(code);
}

/** The short name of a listed code (`330106` → 西湖区), or undefined. */
export function districtName(code: string): string | undefined {
  return BY_CODE.get(code)?.name;
}

/** Province, prefecture or county, from the code's shape. */
export function areaLevel(code: string): AreaLevel {
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'prefecture';
  return 'county';
}

/** The full name of a listed code with its parents (`330106` → 浙江省杭州市西湖区; 市辖区 is skipped). */
export function areaFullName(code: string): string | undefined {
  const area = BY_CODE.get(code);
  if (!area) return undefined;
  const parts: string[] = [];
  const province = BY_CODE.get(`${code.slice(0, 2)}0000`);
  if (province) parts.push(province.name);
  const level = areaLevel(code);
  if (level !== 'province') {
    const prefecture = BY_CODE.get(`${code.slice(0, 4)}00`);
    if (prefecture && prefecture.name !== '市辖区' && prefecture.code !== code) parts.push(prefecture.name);
    if (area.name !== '市辖区') parts.push(area.name);
  }
  return parts.join('');
}

/** County-level codes outside 杭州 that are still current: birthplaces for residents born elsewhere. */
export const ELSEWHERE_COUNTY_CODES: readonly string[] = [...BEIJING, ...SHANGHAI, ...ELSEWHERE]
  .filter((area) => areaLevel(area.code) === 'county' && area.abolished === undefined)
  .map((area) => area.code);

/**
 * The codes an ID card may carry for someone registered in `year` in what is now Hangzhou district
 * `district` (the card keeps the code current at registration, even after the district is renamed).
 */
export function issuingCodesForDistrict(district: string, year: number): readonly string[] {
  for (const rule of HANGZHOU_PREDECESSORS) {
    if (rule.district === district && year < rule.until) return rule.codes;
  }
  return [district];
}
