/** Chinese personal names for synthetic people: surnames by frequency in Zhejiang, given names by era and sex. */
import type { Random } from './random.js';

/** Surnames with their approximate share (per mille) among Zhejiang residents. */
const SURNAMES: ReadonlyArray<readonly [string, number]> = [
  ['陈', 62], ['王', 58], ['张', 42], ['李', 38], ['吴', 34], ['徐', 32], ['周', 30], ['刘', 28], ['杨', 24],
  ['林', 23], ['金', 22], ['黄', 21], ['胡', 20], ['朱', 19], ['沈', 18], ['钱', 15], ['方', 14], ['叶', 14],
  ['郑', 13], ['孙', 13], ['何', 12], ['赵', 12], ['施', 10], ['蒋', 10], ['俞', 10], ['汪', 9], ['邵', 9],
  ['姚', 9], ['许', 9], ['潘', 9], ['马', 8], ['傅', 8], ['章', 8], ['应', 7], ['楼', 7], ['丁', 7], ['郭', 7],
  ['高', 7], ['谢', 6], ['冯', 6], ['蔡', 6], ['戴', 6], ['梁', 5], ['宋', 5], ['董', 5], ['袁', 5], ['卢', 5],
  ['程', 5], ['韩', 4], ['曹', 4], ['唐', 4], ['罗', 4], ['陆', 4], ['范', 4], ['严', 4], ['余', 4], ['鲍', 3],
  ['毛', 3], ['骆', 3], ['童', 3], ['翁', 3], ['裘', 3], ['诸葛', 1], ['欧阳', 1], ['司马', 1],
];

const MALE = {
  old: ['建国', '建华', '国强', '志强', '永明', '德明', '国庆', '卫东', '国平', '福林', '根荣', '阿毛', '金水', '炳南', '永康', '正德', '宝根', '荣发'],
  middle: ['伟', '强', '军', '勇', '磊', '斌', '涛', '杰', '明', '辉', '刚', '峰', '建军', '海峰', '立新', '晓东', '振华', '国栋', '文斌', '俊'],
  young: ['浩', '宇', '俊杰', '鑫', '超', '晨', '凯', '帅', '昊', '家豪', '子豪', '一鸣', '嘉伟', '天宇', '逸飞', '文博'],
  child: ['浩然', '子轩', '宇轩', '梓睿', '沐宸', '一诺', '亦辰', '奕辰', '皓轩', '睿泽', '铭泽', '子墨', '承宇', '景行', '书恒', '锦程'],
};
const FEMALE = {
  old: ['秀英', '桂英', '秀兰', '玉兰', '凤英', '美珍', '彩娥', '月仙', '宝娣', '杏花', '金娣', '素珍', '雪芬', '阿珠', '翠英', '根娣'],
  middle: ['芳', '丽', '敏', '静', '燕', '红', '霞', '娟', '萍', '丽华', '慧', '玲', '海燕', '雪梅', '晓燕', '春燕', '婷', '莉'],
  young: ['婷婷', '佳', '倩', '琳', '颖', '雪', '晶晶', '丹', '璐', '思思', '梦婷', '佳慧', '欣', '雨婷', '诗琪', '蕾'],
  child: ['梓涵', '子涵', '一诺', '欣怡', '雨桐', '可馨', '诗涵', '若汐', '语桐', '依诺', '梓萱', '沐晴', '安然', '知夏', '清妍', '芊芊'],
};

function eraOf(birthYear: number): keyof typeof MALE {
  if (birthYear < 1960) return 'old';
  if (birthYear < 1985) return 'middle';
  if (birthYear < 2005) return 'young';
  return 'child';
}

/** A surname drawn by frequency. */
export function surname(random: Random): string {
  return random.weighted(SURNAMES, ([, weight]) => weight)[0];
}

/** A given name typical of people of this sex ('1' male) born in this year. */
export function givenName(random: Random, sex: string, birthYear: number): string {
  const pool = (sex === '1' ? MALE : FEMALE)[eraOf(birthYear)];
  return random.pick(pool);
}

/** A full name; `family` forces the surname (a child takes a parent's). */
export function personName(random: Random, sex: string, birthYear: number, family?: string): string {
  return (family ?? surname(random)) + givenName(random, sex, birthYear);
}
