import { describe, expect, it } from 'vitest';
import {
  DIAGNOSES,
  IMAGING_PROCEDURES,
  LAB_PANELS,
  VACCINES,
  abnormalFlag,
  assertKnownCode,
  labPanel,
  loincCheckDigit,
  referenceRangeText,
  type Coding,
} from './codes.js';
import { ERROR_CODES, InvalidInputError } from './errors.js';
import { sensitivityOfDiagnosis, sensitivityOfLabCode } from './sensitivity.js';

function refusal(coding: Coding): string {
  try {
    assertKnownCode(coding);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).extensions['code']).toBe('BAD_USER_INPUT');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('assertKnownCode', () => {
  it('accepts ICD-10 国家临床版 2.0 codes with and without extensions', () => {
    for (const code of ['I10.x00', 'E11.900', 'B20', 'I25.103', 'I10.x00x002']) {
      expect(() => assertKnownCode({ system: 'ICD-10-CN', version: '2.0', code })).not.toThrow();
    }
  });

  it('refuses an unknown code system, naming it', () => {
    expect(refusal({ system: 'SNOMED-CT', version: '2024', code: '38341003' })).toBe(
      'unknown code system "SNOMED-CT"; known systems: ICD-10-CN, ICD-9-CM-3, LOINC, NIP-VACCINE, ATC, DICOM-MODALITY, DICOM-BODY-PART, LOCAL',
    );
  });

  it('refuses an unknown version of a known system', () => {
    expect(refusal({ system: 'ICD-10-CN', version: '1.1', code: 'I10.x00' })).toBe('unknown version "1.1" of ICD-10-CN; accepted: 2.0');
  });

  it('refuses a code not of the system format', () => {
    expect(refusal({ system: 'ICD-10-CN', version: '2.0', code: '110.0' })).toBe(
      '"110.0" is not a ICD-10-CN code: expected a letter, two digits, optionally "." and digits or x (e.g. I10.x00, E11.900)',
    );
    expect(refusal({ system: 'ICD-9-CM-3', version: '3.0', code: 'A1.2' })).toMatch(/^"A1.2" is not a ICD-9-CM-3 code/);
  });

  it('accepts an ICD-9-CM-3 procedure code', () => {
    expect(() => assertKnownCode({ system: 'ICD-9-CM-3', version: '3.0', code: '47.0901' })).not.toThrow();
  });

  it('checks the LOINC check digit', () => {
    expect(() => assertKnownCode({ system: 'LOINC', version: '2.78', code: '718-7' })).not.toThrow();
    expect(refusal({ system: 'LOINC', version: '2.78', code: '718-6' })).toMatch(/^"718-6" is not a LOINC code/);
    expect(loincCheckDigit('2345')).toBe('7');
  });

  it('accepts local codes under any non-empty version, and refuses an empty one', () => {
    expect(() => assertKnownCode({ system: 'LOCAL', version: 'inst-01/2024', code: 'CBC-WBC' })).not.toThrow();
    expect(refusal({ system: 'LOCAL', version: ' ', code: 'CBC-WBC' })).toBe('unknown version " " of LOCAL; accepted: any non-empty version');
  });

  it('names the offending input field', () => {
    let caught: unknown;
    try {
      assertKnownCode({ system: 'X', version: '1', code: 'y' }, 'diagnoses[0].codeSystem');
    } catch (error) {
      caught = error;
    }
    expect((caught as InvalidInputError).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'diagnoses[0].codeSystem' });
  });
});

describe('the code catalogue', () => {
  it('holds distinct, well-formed ICD-10-CN 2.0 diagnoses', () => {
    expect(DIAGNOSES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(DIAGNOSES.map((d) => d.code)).size).toBe(DIAGNOSES.length);
    for (const d of DIAGNOSES) expect(() => assertKnownCode({ system: 'ICD-10-CN', version: '2.0', code: d.code })).not.toThrow();
  });

  it('includes level-5 diagnoses of each sensitive kind', () => {
    const labels = Object.fromEntries(['F32.900', 'B20.900', 'O03.900', 'Q90.900', 'I10.x00'].map((code) => [code, sensitivityOfDiagnosis(code)]));
    expect(labels).toEqual({ 'F32.900': 'MENTAL_HEALTH', 'B20.900': 'HIV_STI', 'O03.900': 'REPRODUCTIVE', 'Q90.900': 'GENETIC', 'I10.x00': 'NONE' });
  });

  it('maps lab items to LOINC codes with valid check digits', () => {
    const codes = LAB_PANELS.flatMap((p) => [p.loinc, ...p.items.map((i) => i.loinc)]).filter((c): c is string => c !== null);
    expect(codes.length).toBeGreaterThan(30);
    for (const code of codes) expect(() => assertKnownCode({ system: 'LOINC', version: '2.78', code })).not.toThrow();
  });

  it('has the common panels, and only the HIV antibody panel is level 5', () => {
    expect(LAB_PANELS.map((p) => `${p.code} ${p.name}`)).toEqual(
      expect.arrayContaining(['CBC 血常规', 'LFT 肝功能', 'RFT 肾功能', 'LIPID 血脂', 'HBA1C 糖化血红蛋白', 'ELEC 电解质', 'FBG 空腹血糖', 'HIV-AB HIV抗原/抗体']),
    );
    expect(LAB_PANELS.filter((p) => sensitivityOfLabCode(p.code) !== 'NONE').map((p) => p.code)).toEqual(['HIV-AB']);
  });

  it('flags values against sex-specific reference ranges', () => {
    const hgb = labPanel('CBC').items.find((i) => i.localCode === 'CBC-HGB')!;
    expect([abnormalFlag(hgb, '120', '1'), abnormalFlag(hgb, '120', '2'), abnormalFlag(hgb, '180', '1')]).toEqual(['L', 'N', 'H']);
    expect([referenceRangeText(hgb, '1'), referenceRangeText(hgb, '2')]).toEqual(['130-175', '115-150']);
  });

  it('prints one-sided ranges and flags qualitative results', () => {
    const [tc, , hdl] = labPanel('LIPID').items;
    expect([referenceRangeText(tc!, '1'), abnormalFlag(tc!, '5.50', '1')]).toEqual(['<5.20', 'H']);
    expect([referenceRangeText(hdl!, '2'), abnormalFlag(hdl!, '0.90', '2')]).toEqual(['>1.04', 'L']);
    const hiv = labPanel('HIV-AB').items[0]!;
    expect([referenceRangeText(hiv, '1'), abnormalFlag(hiv, '阴性', '1'), abnormalFlag(hiv, '阳性', '1')]).toEqual(['阴性', 'N', 'A']);
  });

  it('describes imaging with DICOM modality and body part and Chinese findings', () => {
    for (const p of IMAGING_PROCEDURES) {
      expect(['DX', 'CT', 'MR', 'US']).toContain(p.modality);
      expect(p.normal.impression).toMatch(/[\u4e00-\u9fa5]/);
    }
  });

  it('codes national-schedule vaccines in the NIP-VACCINE system', () => {
    expect(VACCINES.map((v) => v.name)).toEqual(expect.arrayContaining(['乙肝疫苗', '卡介苗', '麻腮风疫苗', '乙脑减毒活疫苗', '流感疫苗']));
    for (const v of VACCINES) expect(() => assertKnownCode({ system: 'NIP-VACCINE', version: '2021', code: v.code })).not.toThrow();
  });
});

describe('ERROR_CODES', () => {
  it('has values equal to their names', () => {
    expect(Object.entries(ERROR_CODES).filter(([name, value]) => name !== value)).toEqual([]);
    expect(Object.keys(ERROR_CODES)).toHaveLength(11);
  });
});
