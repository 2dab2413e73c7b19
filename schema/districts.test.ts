import { describe, expect, it } from 'vitest';
import { REGION_CITY, REGION_DISTRICTS, areaFullName, districtName, isKnownAreaCode, issuingCodesForDistrict } from './districts.js';

describe('GB/T 2260 area codes', () => {
  it('lists all 13 current districts and counties of 杭州市', () => {
    expect(REGION_CITY).toEqual({ code: '330100', name: '杭州市' });
    expect(REGION_DISTRICTS.map((d) => `${d.code} ${d.name}`)).toEqual([
      '330102 上城区', '330105 拱墅区', '330106 西湖区', '330108 滨江区', '330109 萧山区', '330110 余杭区', '330111 富阳区',
      '330112 临安区', '330113 临平区', '330114 钱塘区', '330122 桐庐县', '330127 淳安县', '330182 建德市',
    ]);
  });

  it('knows every province-level code', () => {
    const provinces = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82'];
    expect(provinces.filter((p) => !isKnownAreaCode(`${p}0000`))).toEqual([]);
  });

  it('names districts of Beijing and Shanghai, with their parents', () => {
    expect(districtName('110105')).toBe('朝阳区');
    expect(areaFullName('110105')).toBe('北京市朝阳区');
    expect(areaFullName('310115')).toBe('上海市浦东新区');
    expect(areaFullName('330106')).toBe('浙江省杭州市西湖区');
  });

  it('does not know a made-up code', () => {
    expect(isKnownAreaCode('330199')).toBe(false);
    expect(districtName('330199')).toBeUndefined();
  });

  it('maps a district to the codes an ID card registered before a boundary change carries', () => {
    expect(issuingCodesForDistrict('330105', 1990)).toEqual(['330105', '330103']);
    expect(issuingCodesForDistrict('330113', 1995)).toEqual(['330184']);
    expect(issuingCodesForDistrict('330113', 2010)).toEqual(['330110']);
    expect(issuingCodesForDistrict('330113', 2022)).toEqual(['330113']);
  });
});
