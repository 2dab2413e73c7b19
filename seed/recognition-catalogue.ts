/**
 * The seeded mutual-recognition catalogue (DESIGN §8): lab items under the laboratories' own local
 * codes (the codes the seeded lab reports carry; LOINC as the lab catalogue maps them, or where the
 * code is certain), imaging by modality and body part (the seeded imaging procedures plus common
 * others), over Qingdao's six groups plus ultrasound. Urinalysis and CRP are left out on purpose:
 * fast-changing values no region recognises, so the demo shows NOT_IN_CATALOGUE. Each institution's
 * EQA status per item follows its published EQA result and HR mark in the region (seed/region.ts):
 * passed until its end date (some lapsed in 2026), failed, or passed without the HR mark.
 */
import { IMAGING_ITEMS, LAB_PANELS } from '../schema/code-catalogue.js';
import type { recognitionEqaStatuses, recognitionInstitutionGrades, recognitionItems } from '../subgraphs/results/tables.js';
import type { Region } from './region.js';

type ItemRow = typeof recognitionItems.$inferInsert;
type EqaRow = typeof recognitionEqaStatuses.$inferInsert;
type GradeRow = typeof recognitionInstitutionGrades.$inferInsert;

/** When the catalogue and the EQA statuses were published (deterministic). */
const PUBLISHED = new Date('2025-01-01T00:00:00+08:00');
const EQA_FROM = '2025-01-01';
/** Grades whose lab results are recognised: every graded institution (the CDC's laboratory, 未定级, is not). */
const LAB_GRADES = ['三级甲等', '三级乙等', '二级甲等', '二级乙等', '一级甲等'];
/** Grades whose imaging is recognised: hospitals (second grade and up), not the community centres (一级). */
const IMAGING_GRADES = ['三级甲等', '三级乙等', '二级甲等', '二级乙等'];

/** Panel code → group, validity (days) and price per item (yuan) of its items. */
const PANEL_TERMS: Readonly<Record<string, { group: string; days: number; price: number }>> = {
  CBC: { group: 'HAEMATOLOGY', days: 7, price: 2 },
  LFT: { group: 'CLINICAL_CHEMISTRY', days: 30, price: 5 },
  RFT: { group: 'CLINICAL_CHEMISTRY', days: 30, price: 5 },
  LIPID: { group: 'CLINICAL_CHEMISTRY', days: 30, price: 6 },
  HBA1C: { group: 'CLINICAL_CHEMISTRY', days: 60, price: 60 },
  ELEC: { group: 'CLINICAL_CHEMISTRY', days: 7, price: 5 },
  FBG: { group: 'CLINICAL_CHEMISTRY', days: 30, price: 4 },
  THYROID: { group: 'IMMUNOLOGY', days: 30, price: 35 },
  'HIV-AB': { group: 'IMMUNOLOGY', days: 90, price: 40 },
};

/** Items no seeded report carries yet (labs order them; feeds bring them). */
const MORE_LAB_ITEMS: ReadonlyArray<Omit<ItemRow, 'updatedAt' | 'recognisedGrades'>> = [
  { code: 'HBV-HBSAG', name: '乙肝表面抗原', itemGroup: 'IMMUNOLOGY', loinc: '5196-1', validityDays: 90, priceYuan: '15.00' },
  { code: 'HBV-HBSAB', name: '乙肝表面抗体', itemGroup: 'IMMUNOLOGY', loinc: null, validityDays: 90, priceYuan: '15.00' },
  { code: 'HBV-HBEAG', name: '乙肝e抗原', itemGroup: 'IMMUNOLOGY', loinc: null, validityDays: 90, priceYuan: '15.00' },
  { code: 'HBV-HBEAB', name: '乙肝e抗体', itemGroup: 'IMMUNOLOGY', loinc: null, validityDays: 90, priceYuan: '15.00' },
  { code: 'HBV-HBCAB', name: '乙肝核心抗体', itemGroup: 'IMMUNOLOGY', loinc: null, validityDays: 90, priceYuan: '15.00' },
  { code: 'HCV-AB', name: '丙肝抗体', itemGroup: 'IMMUNOLOGY', loinc: '16128-1', validityDays: 90, priceYuan: '35.00' },
  { code: 'TP-AB', name: '梅毒螺旋体抗体', itemGroup: 'IMMUNOLOGY', loinc: null, validityDays: 90, priceYuan: '30.00' },
  { code: 'TUMOR-AFP', name: '甲胎蛋白', itemGroup: 'IMMUNOLOGY', loinc: '1834-1', validityDays: 60, priceYuan: '40.00' },
  { code: 'TUMOR-CEA', name: '癌胚抗原', itemGroup: 'IMMUNOLOGY', loinc: '2039-6', validityDays: 60, priceYuan: '40.00' },
  { code: 'TUMOR-PSA', name: '总前列腺特异性抗原', itemGroup: 'IMMUNOLOGY', loinc: '2857-1', validityDays: 60, priceYuan: '50.00' },
  { code: 'TUMOR-CA125', name: '糖类抗原125', itemGroup: 'IMMUNOLOGY', loinc: null, validityDays: 60, priceYuan: '60.00' },
  { code: 'COAG-PT', name: '凝血酶原时间', itemGroup: 'HAEMATOLOGY', loinc: null, validityDays: 7, priceYuan: '12.00' },
  { code: 'COAG-APTT', name: '活化部分凝血活酶时间', itemGroup: 'HAEMATOLOGY', loinc: null, validityDays: 7, priceYuan: '12.00' },
  { code: 'COAG-FIB', name: '纤维蛋白原', itemGroup: 'HAEMATOLOGY', loinc: null, validityDays: 7, priceYuan: '15.00' },
];

/** Imaging: validity and price of every examination of the catalogue (the seeded procedures, then common others). */
const IMAGING_TERMS: Readonly<Record<string, { days: number; price: number }>> = {
  'DX-CHEST': { days: 180, price: 60 },
  'CT-CHEST': { days: 180, price: 200 },
  'CT-HEAD': { days: 90, price: 180 },
  'MR-HEAD': { days: 180, price: 500 },
  'US-ABD': { days: 90, price: 120 },
  'US-THYROID': { days: 180, price: 80 },
  'US-HEART': { days: 180, price: 200 },
  'MR-LSPINE': { days: 180, price: 550 },
  'DX-KNEE': { days: 180, price: 70 },
  'DX-WRIST': { days: 30, price: 60 },
  'CT-ABD': { days: 90, price: 300 },
  'CT-LSPINE': { days: 180, price: 250 },
  'MR-KNEE': { days: 180, price: 550 },
  'MR-CSPINE': { days: 180, price: 550 },
  'US-BREAST': { days: 180, price: 100 },
  'US-KIDNEY': { days: 90, price: 90 },
  'DX-LSPINE': { days: 180, price: 80 },
  'DX-CSPINE': { days: 180, price: 70 },
};
const GROUP_OF_MODALITY: Readonly<Record<string, string>> = { DX: 'PLAIN_RADIOGRAPHY', CT: 'CT', MR: 'MR', US: 'ULTRASOUND' };

/** The catalogue's items, by code. */
export function recognitionCatalogueRows(): ItemRow[] {
  const rows: ItemRow[] = [];
  for (const panel of LAB_PANELS) {
    const terms = PANEL_TERMS[panel.code];
    if (!terms) continue;
    for (const item of panel.items) {
      rows.push({
        code: item.localCode,
        name: item.name,
        itemGroup: terms.group,
        loinc: item.loinc,
        validityDays: terms.days,
        priceYuan: terms.price.toFixed(2),
        recognisedGrades: LAB_GRADES,
        unit: item.unit,
        updatedAt: PUBLISHED,
      });
    }
  }
  for (const item of MORE_LAB_ITEMS) rows.push({ ...item, recognisedGrades: LAB_GRADES, updatedAt: PUBLISHED });
  for (const item of IMAGING_ITEMS.values()) {
    const terms = IMAGING_TERMS[item.code];
    if (!terms) continue;
    rows.push({
      code: item.code,
      name: item.name,
      itemGroup: GROUP_OF_MODALITY[item.modality]!,
      loinc: null,
      validityDays: terms.days,
      priceYuan: terms.price.toFixed(2),
      modality: item.modality,
      bodyPart: item.bodyPart,
      recognisedGrades: IMAGING_GRADES,
      updatedAt: PUBLISHED,
    });
  }
  return rows.sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * Every institution's EQA status for every item, from its region entry: passed (until its EQA end
 * date, with its HR mark or without), or failed for the period (no recognition, whatever the mark).
 */
export function recognitionEqaRows(region: Region, items: readonly ItemRow[]): EqaRow[] {
  const rows: EqaRow[] = [];
  for (const { row: institution } of region.institutions) {
    for (const item of items) {
      rows.push({
        institutionId: institution.id,
        itemCode: item.code,
        validFrom: EQA_FROM,
        validUntil: institution.eqaValidUntil ?? '2027-12-31',
        passed: institution.eqaPassed ?? false,
        hrMark: (institution.eqaPassed ?? false) && (institution.hrMark ?? false),
        updatedAt: PUBLISHED,
      });
    }
  }
  return rows;
}

/** Every institution's grade as the region publishes it, from the day the catalogue was published. */
export function recognitionGradeRows(region: Region): GradeRow[] {
  return region.institutions.map(({ row }) => ({ institutionId: row.id, validFrom: EQA_FROM, grade: row.grade, updatedAt: PUBLISHED }));
}
