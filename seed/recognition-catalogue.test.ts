import { describe, expect, it } from 'vitest';
import { assertKnownCode, LOINC } from '../schema/codes.js';
import { IMAGING_PROCEDURES, LAB_PANELS } from '../schema/code-catalogue.js';
import { DEFAULT_SEED } from './generator.js';
import { recognitionCatalogueRows, recognitionEqaRows, recognitionGradeRows } from './recognition-catalogue.js';
import { buildRegion } from './region.js';

const catalogue = recognitionCatalogueRows();
const byCode = new Map(catalogue.map((item) => [item.code, item]));

describe('the seeded recognition catalogue', () => {
  it('has at least 60 items over Qingdao’s six groups plus ultrasound, each code once', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(60);
    expect(byCode.size).toBe(catalogue.length);
    const groups = new Map<string, number>();
    for (const item of catalogue) groups.set(item.itemGroup, (groups.get(item.itemGroup) ?? 0) + 1);
    expect([...groups.keys()].sort()).toEqual(['CLINICAL_CHEMISTRY', 'CT', 'HAEMATOLOGY', 'IMMUNOLOGY', 'MR', 'PLAIN_RADIOGRAPHY', 'ULTRASOUND']);
    for (const [group, count] of groups) expect(count, group).toBeGreaterThanOrEqual(4);
  });

  it('uses the regional windows: electrolytes 7 days, most chemistry 30, HbA1c 60, imaging by body part', () => {
    expect(['ELEC-K', 'ELEC-NA', 'ELEC-CL'].map((code) => byCode.get(code)?.validityDays)).toEqual([7, 7, 7]);
    expect(['LFT-ALT', 'LFT-AST', 'RFT-CREA', 'RFT-UREA', 'FBG', 'LIPID-TC'].map((code) => byCode.get(code)?.validityDays)).toEqual([30, 30, 30, 30, 30, 30]);
    expect(byCode.get('HBA1C')?.validityDays).toBe(60);
    expect(byCode.get('CT-HEAD')?.validityDays).not.toBe(byCode.get('CT-CHEST')?.validityDays);
  });

  it('lists the items the seeded reports carry (urinalysis and CRP left out on purpose), imaging by modality and body part, LOINC well formed', () => {
    for (const panel of LAB_PANELS) {
      for (const item of panel.items) expect(byCode.has(item.localCode), item.localCode).toBe(!['URINE', 'CRP'].includes(panel.code));
    }
    for (const procedure of IMAGING_PROCEDURES.filter((p) => p.code !== 'US-CAROTID')) {
      expect(byCode.get(procedure.code), procedure.code).toMatchObject({ modality: procedure.modality, bodyPart: procedure.bodyPart });
    }
    for (const item of catalogue) {
      if (item.loinc) assertKnownCode({ ...LOINC, code: item.loinc }, item.code);
      expect(Number(item.priceYuan), item.code).toBeGreaterThan(0);
      expect((item.modality == null) === ['CLINICAL_CHEMISTRY', 'IMMUNOLOGY', 'HAEMATOLOGY'].includes(item.itemGroup), item.code).toBe(true);
    }
    // Lab items carry the unit the laboratories report them in (the feed's UNIT rule reads it from here).
    expect([byCode.get('HBA1C')?.unit, byCode.get('ELEC-K')?.unit, byCode.get('CT-HEAD')?.unit ?? null]).toEqual(['%', 'mmol/L', null]);
  });

  it('gives every institution a status per item that shows every reason: qualified, without the HR mark, failed, lapsed', () => {
    const region = buildRegion(DEFAULT_SEED);
    const rows = recognitionEqaRows(region, catalogue);
    expect(rows).toHaveLength(catalogue.length * region.institutions.length);
    const alt = (institutionId: string) => rows.find((row) => row.institutionId === institutionId && row.itemCode === 'LFT-ALT');
    expect(alt('inst-02')).toMatchObject({ passed: true, hrMark: true, validUntil: '2027-06-30' });
    expect(alt('inst-04')).toMatchObject({ passed: false, hrMark: false });
    expect(alt('inst-05')).toMatchObject({ passed: true, hrMark: false });
    expect(alt('inst-06')).toMatchObject({ passed: true, hrMark: true, validUntil: '2026-03-31' });
    expect(recognitionEqaRows(region, catalogue)).toEqual(rows);
  });

  it('records every seeded institution’s grade, and recognises the results of every graded laboratory and of every hospital’s imaging (not the CDC’s lab, not a community centre’s imaging)', () => {
    const region = buildRegion(DEFAULT_SEED);
    const grades = recognitionGradeRows(region);
    expect(grades.map((g) => g.institutionId)).toEqual(region.institutions.map((i) => i.row.id));
    const gradeOf = new Map(grades.map((g) => [g.institutionId, g.grade]));
    const recognising = (code: string) => region.institutions.filter((i) => byCode.get(code)!.recognisedGrades.includes(gradeOf.get(i.row.id)!)).map((i) => i.row.kind);
    // 21 of 22 laboratories (all but the CDC's); imaging from the 8 hospitals of grade two and up.
    expect(recognising('LFT-ALT')).toHaveLength(21);
    expect(recognising('LFT-ALT')).not.toContain('CDC');
    expect(recognising('CT-HEAD')).toHaveLength(8);
    expect(recognising('CT-HEAD')).not.toContain('COMMUNITY_HEALTH_CENTER');
  });
});
