/**
 * A small catalogue of real codes the synthetic region uses: common diagnoses (ICD-10 国家临床版 2.0),
 * lab panels with their items (local codes, LOINC where mapped, units and adult reference ranges after
 * WS/T 404 and WS/T 405), imaging procedures, and national-schedule vaccines.
 */

export interface DiagnosisEntry {
  /** ICD-10 国家临床版 2.0 code. */
  code: string;
  display: string;
}

/** Common diagnoses, including some that make a record level 5 (mental health, HIV/STI, reproductive, genetic). */
export const DIAGNOSES: readonly DiagnosisEntry[] = [
  { code: 'I10.x00', display: '原发性高血压' },
  { code: 'E11.900', display: '2型糖尿病' },
  { code: 'E78.500', display: '高脂血症' },
  { code: 'I25.103', display: '冠状动脉粥样硬化性心脏病' },
  { code: 'I50.900', display: '心力衰竭' },
  { code: 'I63.900', display: '脑梗死' },
  { code: 'J06.900', display: '急性上呼吸道感染' },
  { code: 'J02.900', display: '急性咽炎' },
  { code: 'J03.900', display: '急性扁桃体炎' },
  { code: 'J20.900', display: '急性支气管炎' },
  { code: 'J18.900', display: '肺炎' },
  { code: 'J44.900', display: '慢性阻塞性肺疾病' },
  { code: 'J45.900', display: '支气管哮喘' },
  { code: 'U07.100', display: '新型冠状病毒感染' },
  { code: 'R50.900', display: '发热' },
  { code: 'A09.900', display: '胃肠炎' },
  { code: 'K29.500', display: '慢性胃炎' },
  { code: 'K21.900', display: '胃食管反流病' },
  { code: 'K76.000', display: '脂肪肝' },
  { code: 'K80.200', display: '胆囊结石' },
  { code: 'K35.900', display: '急性阑尾炎' },
  { code: 'N39.000', display: '泌尿道感染' },
  { code: 'N40.x00', display: '前列腺增生' },
  { code: 'N18.900', display: '慢性肾脏病' },
  { code: 'E03.900', display: '甲状腺功能减退症' },
  { code: 'E05.900', display: '甲状腺功能亢进症' },
  { code: 'D50.900', display: '缺铁性贫血' },
  { code: 'M54.500', display: '腰痛' },
  { code: 'M17.900', display: '膝关节骨关节炎' },
  { code: 'M81.900', display: '骨质疏松' },
  { code: 'S52.500', display: '桡骨远端骨折' },
  { code: 'S93.400', display: '踝关节扭伤' },
  { code: 'G43.900', display: '偏头痛' },
  { code: 'G47.000', display: '失眠症' },
  { code: 'H10.900', display: '结膜炎' },
  { code: 'H25.900', display: '老年性白内障' },
  { code: 'L30.900', display: '皮炎' },
  { code: 'Z00.000', display: '一般医学检查' },
  // Level 5 (schema/sensitivity.ts): mental health, HIV/STI, reproductive health, genetics.
  { code: 'F32.900', display: '抑郁发作' },
  { code: 'F41.100', display: '广泛性焦虑障碍' },
  { code: 'B20.900', display: '人类免疫缺陷病毒[HIV]病' },
  { code: 'A53.900', display: '梅毒' },
  { code: 'O03.900', display: '自然流产' },
  { code: 'N97.900', display: '女性不孕症' },
  { code: 'Q90.900', display: '唐氏综合征' },
];

const DIAGNOSIS_BY_CODE: ReadonlyMap<string, DiagnosisEntry> = new Map(DIAGNOSES.map((d) => [d.code, d]));

/** The catalogue entry for an ICD-10-CN code, or undefined. */
export function diagnosisByCode(code: string): DiagnosisEntry | undefined {
  return DIAGNOSIS_BY_CODE.get(code);
}

/** An interval; either end may be open (`<5.20`, `>1.04`). */
export interface Range {
  low?: number;
  high?: number;
}

export interface QuantitativeItem {
  kind: 'quantitative';
  localCode: string;
  loinc: string | null;
  name: string;
  unit: string | null;
  /** Adult reference interval, per sex where it differs. */
  range: Range | { male: Range; female: Range };
  decimals: number;
}

export interface QualitativeItem {
  kind: 'qualitative';
  localCode: string;
  loinc: string | null;
  name: string;
  unit: null;
  /** The normal result (阴性); anything else is flagged A. */
  normal: string;
  abnormal: string;
}

export type LabItemDefinition = QuantitativeItem | QualitativeItem;

export interface LabPanelDefinition {
  /** Local panel code; the HIV panel's `HIV-` prefix makes its reports level 5. */
  code: string;
  name: string;
  loinc: string | null;
  specimen: string;
  /** Typical hours from collection to report. */
  turnaroundHours: number;
  items: readonly LabItemDefinition[];
}

const q = (localCode: string, loinc: string | null, name: string, unit: string | null, range: QuantitativeItem['range'], decimals: number): QuantitativeItem => ({
  kind: 'quantitative',
  localCode,
  loinc,
  name,
  unit,
  range,
  decimals,
});
const qual = (localCode: string, loinc: string | null, name: string, abnormal = '阳性'): QualitativeItem => ({
  kind: 'qualitative',
  localCode,
  loinc,
  name,
  unit: null,
  normal: '阴性',
  abnormal,
});

export const LAB_PANELS: readonly LabPanelDefinition[] = [
  {
    code: 'CBC',
    name: '血常规',
    loinc: '58410-2',
    specimen: '全血',
    turnaroundHours: 1,
    items: [
      q('CBC-WBC', '6690-2', '白细胞计数', '10^9/L', { low: 3.5, high: 9.5 }, 2),
      q('CBC-NEUT%', '770-8', '中性粒细胞百分比', '%', { low: 40, high: 75 }, 1),
      q('CBC-LYMPH%', '736-9', '淋巴细胞百分比', '%', { low: 20, high: 50 }, 1),
      q('CBC-RBC', '789-8', '红细胞计数', '10^12/L', { male: { low: 4.3, high: 5.8 }, female: { low: 3.8, high: 5.1 } }, 2),
      q('CBC-HGB', '718-7', '血红蛋白', 'g/L', { male: { low: 130, high: 175 }, female: { low: 115, high: 150 } }, 0),
      q('CBC-HCT', '4544-3', '红细胞压积', '%', { male: { low: 40, high: 50 }, female: { low: 35, high: 45 } }, 1),
      q('CBC-MCV', '787-2', '平均红细胞体积', 'fL', { low: 82, high: 100 }, 1),
      q('CBC-MCH', '785-6', '平均红细胞血红蛋白含量', 'pg', { low: 27, high: 34 }, 1),
      q('CBC-MCHC', '786-4', '平均红细胞血红蛋白浓度', 'g/L', { low: 316, high: 354 }, 0),
      q('CBC-PLT', '777-3', '血小板计数', '10^9/L', { low: 125, high: 350 }, 0),
    ],
  },
  {
    code: 'LFT',
    name: '肝功能',
    loinc: '24325-3',
    specimen: '血清',
    turnaroundHours: 3,
    items: [
      q('LFT-ALT', '1742-6', '丙氨酸氨基转移酶', 'U/L', { male: { low: 9, high: 50 }, female: { low: 7, high: 40 } }, 0),
      q('LFT-AST', '1920-8', '天门冬氨酸氨基转移酶', 'U/L', { male: { low: 15, high: 40 }, female: { low: 13, high: 35 } }, 0),
      q('LFT-GGT', '2324-2', 'γ-谷氨酰转移酶', 'U/L', { male: { low: 10, high: 60 }, female: { low: 7, high: 45 } }, 0),
      q('LFT-ALP', '6768-6', '碱性磷酸酶', 'U/L', { male: { low: 45, high: 125 }, female: { low: 35, high: 100 } }, 0),
      q('LFT-TBIL', '1975-2', '总胆红素', 'μmol/L', { low: 3.4, high: 20.5 }, 1),
      q('LFT-DBIL', '1968-7', '直接胆红素', 'μmol/L', { high: 6.8 }, 1),
      q('LFT-TP', '2885-2', '总蛋白', 'g/L', { low: 65, high: 85 }, 1),
      q('LFT-ALB', '1751-7', '白蛋白', 'g/L', { low: 40, high: 55 }, 1),
    ],
  },
  {
    code: 'RFT',
    name: '肾功能',
    loinc: '24362-6',
    specimen: '血清',
    turnaroundHours: 3,
    items: [
      q('RFT-UREA', '22664-7', '尿素', 'mmol/L', { male: { low: 3.1, high: 8.0 }, female: { low: 2.6, high: 7.5 } }, 2),
      q('RFT-CREA', '14682-9', '肌酐', 'μmol/L', { male: { low: 57, high: 97 }, female: { low: 41, high: 73 } }, 0),
      q('RFT-UA', '14933-6', '尿酸', 'μmol/L', { male: { low: 208, high: 428 }, female: { low: 155, high: 357 } }, 0),
      q('RFT-EGFR', '62238-1', '估算肾小球滤过率', 'mL/min/1.73m²', { low: 90 }, 0),
    ],
  },
  {
    code: 'LIPID',
    name: '血脂',
    loinc: '57698-3',
    specimen: '血清',
    turnaroundHours: 3,
    items: [
      q('LIPID-TC', '14647-2', '总胆固醇', 'mmol/L', { high: 5.2 }, 2),
      q('LIPID-TG', '14927-8', '甘油三酯', 'mmol/L', { high: 1.7 }, 2),
      q('LIPID-HDL', '14646-4', '高密度脂蛋白胆固醇', 'mmol/L', { low: 1.04 }, 2),
      q('LIPID-LDL', '22748-8', '低密度脂蛋白胆固醇', 'mmol/L', { high: 3.4 }, 2),
    ],
  },
  {
    code: 'HBA1C',
    name: '糖化血红蛋白',
    loinc: null,
    specimen: '全血',
    turnaroundHours: 4,
    items: [q('HBA1C', '4548-4', '糖化血红蛋白', '%', { low: 4.0, high: 6.0 }, 1)],
  },
  {
    code: 'ELEC',
    name: '电解质',
    loinc: null,
    specimen: '血清',
    turnaroundHours: 2,
    items: [
      q('ELEC-K', '2823-3', '钾', 'mmol/L', { low: 3.5, high: 5.3 }, 2),
      q('ELEC-NA', '2951-2', '钠', 'mmol/L', { low: 137, high: 147 }, 1),
      q('ELEC-CL', '2075-0', '氯', 'mmol/L', { low: 99, high: 110 }, 1),
      q('ELEC-CA', '2000-8', '钙', 'mmol/L', { low: 2.11, high: 2.52 }, 2),
    ],
  },
  {
    code: 'FBG',
    name: '空腹血糖',
    loinc: null,
    specimen: '血清',
    turnaroundHours: 2,
    items: [q('FBG', '14771-0', '空腹血糖', 'mmol/L', { low: 3.9, high: 6.1 }, 2)],
  },
  {
    code: 'CRP',
    name: 'C反应蛋白',
    loinc: null,
    specimen: '血清',
    turnaroundHours: 1,
    items: [q('CRP', '1988-5', 'C反应蛋白', 'mg/L', { high: 10 }, 1)],
  },
  {
    code: 'THYROID',
    name: '甲状腺功能',
    loinc: null,
    specimen: '血清',
    turnaroundHours: 6,
    items: [
      q('THYROID-TSH', '3016-3', '促甲状腺激素', 'mIU/L', { low: 0.27, high: 4.2 }, 2),
      q('THYROID-FT4', '3024-7', '游离甲状腺素', 'pmol/L', { low: 12, high: 22 }, 1),
    ],
  },
  {
    code: 'URINE',
    name: '尿常规',
    loinc: '24356-8',
    specimen: '尿液',
    turnaroundHours: 1,
    items: [
      qual('URINE-PRO', '5804-0', '尿蛋白', '+'),
      qual('URINE-GLU', '5792-7', '尿葡萄糖', '+'),
      q('URINE-SG', '5811-5', '尿比重', null, { low: 1.003, high: 1.03 }, 3),
      q('URINE-WBC', '5821-4', '尿白细胞', '/HP', { high: 5 }, 0),
    ],
  },
  {
    code: 'HIV-AB',
    name: 'HIV抗原/抗体',
    loinc: '75622-1',
    specimen: '血清',
    turnaroundHours: 24,
    items: [qual('HIV-AB', '75622-1', 'HIV抗原/抗体')],
  },
];

const PANEL_BY_CODE: ReadonlyMap<string, LabPanelDefinition> = new Map(LAB_PANELS.map((p) => [p.code, p]));

/** The catalogue panel for a local panel code; throws for an unknown one (a programming error). */
export function labPanel(code: string): LabPanelDefinition {
  const panel = PANEL_BY_CODE.get(code);
  if (!panel) throw new Error(`no lab panel ${code} in the catalogue`);
  return panel;
}

/** The reference interval that applies to a quantitative item for a sex ('1' male, else female ranges). */
export function rangeFor(item: QuantitativeItem, sex: string): Range {
  if ('male' in item.range) return sex === '1' ? item.range.male : item.range.female;
  return item.range;
}

/** The printed reference range: `3.5-9.5`, `<5.20`, `>1.04`, `阴性`. */
export function referenceRangeText(item: LabItemDefinition, sex: string): string {
  if (item.kind === 'qualitative') return item.normal;
  const { low, high } = rangeFor(item, sex);
  const f = (n: number) => n.toFixed(item.decimals);
  if (low !== undefined && high !== undefined) return `${f(low)}-${f(high)}`;
  if (high !== undefined) return `<${f(high)}`;
  return `>${f(low!)}`;
}

/** N normal, H high, L low, A abnormal (qualitative), computed from the item's reference range. */
export function abnormalFlag(item: LabItemDefinition, value: string, sex: string): 'N' | 'H' | 'L' | 'A' {
  if (item.kind === 'qualitative') return value === item.normal ? 'N' : 'A';
  const n = Number(value);
  const { low, high } = rangeFor(item, sex);
  if (high !== undefined && n > high) return 'H';
  if (low !== undefined && n < low) return 'L';
  return 'N';
}

export interface ImagingFinding {
  findings: string;
  impression: string;
}

export interface ImagingProcedure {
  /** Local procedure code. */
  code: string;
  name: string;
  /** DICOM modality. */
  modality: 'DX' | 'CT' | 'MR' | 'US';
  /** DICOM Body Part Examined. */
  bodyPart: string;
  bodyPartName: string;
  contrastPossible: boolean;
  normal: ImagingFinding;
  abnormal: readonly ImagingFinding[];
}

export const IMAGING_PROCEDURES: readonly ImagingProcedure[] = [
  {
    code: 'DX-CHEST',
    name: '胸部正位片',
    modality: 'DX',
    bodyPart: 'CHEST',
    bodyPartName: '胸部',
    contrastPossible: false,
    normal: { findings: '两肺纹理清晰，未见明显实变影。心影大小形态正常，两膈面光整，肋膈角锐利。', impression: '心肺膈未见明显异常。' },
    abnormal: [
      { findings: '右下肺野见斑片状模糊影，边界不清。心影不大。', impression: '右下肺炎症，建议治疗后复查。' },
      { findings: '两肺纹理增多、增粗，紊乱。', impression: '两肺纹理增多，考虑支气管炎。' },
      { findings: '两肺透亮度增高，肋间隙增宽，膈肌低平。', impression: '慢性支气管炎、肺气肿表现。' },
    ],
  },
  {
    code: 'CT-CHEST',
    name: '胸部CT平扫',
    modality: 'CT',
    bodyPart: 'CHEST',
    bodyPartName: '胸部',
    contrastPossible: true,
    normal: { findings: '两肺野清晰，未见明显结节及实变影，气管支气管通畅，纵隔内未见肿大淋巴结。', impression: '胸部CT平扫未见明显异常。' },
    abnormal: [
      { findings: '右肺上叶见一磨玻璃结节，大小约5mm×4mm，边界清。', impression: '右肺上叶磨玻璃小结节，建议年度随访。' },
      { findings: '两肺下叶见多发斑片状磨玻璃影及实变影。', impression: '两肺下叶感染性病变，请结合临床。' },
    ],
  },
  {
    code: 'CT-HEAD',
    name: '头颅CT平扫',
    modality: 'CT',
    bodyPart: 'HEAD',
    bodyPartName: '头颅',
    contrastPossible: false,
    normal: { findings: '脑实质密度均匀，脑室系统大小形态正常，中线结构居中。', impression: '颅脑CT平扫未见明显异常。' },
    abnormal: [
      { findings: '左侧基底节区见小片状低密度影，边界模糊。', impression: '左侧基底节区腔隙性脑梗死。' },
      { findings: '两侧侧脑室旁白质密度减低，脑沟脑池增宽。', impression: '脑白质变性，老年性脑改变。' },
    ],
  },
  {
    code: 'MR-HEAD',
    name: '头颅MRI平扫',
    modality: 'MR',
    bodyPart: 'HEAD',
    bodyPartName: '头颅',
    contrastPossible: true,
    normal: { findings: '脑实质未见异常信号，DWI未见弥散受限，脑室系统未见扩张。', impression: '颅脑MRI平扫未见明显异常。' },
    abnormal: [{ findings: '左侧放射冠区见斑片状长T1长T2信号，DWI呈高信号。', impression: '左侧放射冠区急性脑梗死。' }],
  },
  {
    code: 'US-ABD',
    name: '腹部彩超（肝胆胰脾）',
    modality: 'US',
    bodyPart: 'ABDOMEN',
    bodyPartName: '腹部',
    contrastPossible: false,
    normal: { findings: '肝脏大小形态正常，实质回声均匀；胆囊壁光滑，囊内未见异常回声；胰、脾未见明显异常。', impression: '肝胆胰脾未见明显异常。' },
    abnormal: [
      { findings: '肝脏实质回声细密增强，后方回声衰减。', impression: '脂肪肝（轻度）。' },
      { findings: '胆囊内见一强回声团，大小约12mm，后伴声影，随体位移动。', impression: '胆囊结石。' },
    ],
  },
  {
    code: 'US-THYROID',
    name: '甲状腺彩超',
    modality: 'US',
    bodyPart: 'NECK',
    bodyPartName: '颈部（甲状腺）',
    contrastPossible: false,
    normal: { findings: '甲状腺大小形态正常，实质回声均匀，未见明显占位。', impression: '甲状腺未见明显异常。' },
    abnormal: [{ findings: '甲状腺右叶见一低回声结节，大小约6mm×5mm，边界清，纵横比<1。', impression: '甲状腺右叶结节，TI-RADS 3类。' }],
  },
  {
    code: 'US-HEART',
    name: '超声心动图',
    modality: 'US',
    bodyPart: 'HEART',
    bodyPartName: '心脏',
    contrastPossible: false,
    normal: { findings: '各房室大小正常，室壁厚度及运动正常，各瓣膜形态及启闭未见异常，LVEF 63%。', impression: '心脏结构及功能未见明显异常。' },
    abnormal: [
      { findings: '左室壁增厚，室间隔厚约12mm，舒张功能减低，LVEF 60%。', impression: '左室壁增厚，左室舒张功能减低。' },
      { findings: '左房、左室增大，左室壁运动普遍减弱，LVEF 38%。', impression: '全心功能减低，请结合临床。' },
    ],
  },
  {
    code: 'US-CAROTID',
    name: '颈动脉彩超',
    modality: 'US',
    bodyPart: 'NECK',
    bodyPartName: '颈部（颈动脉）',
    contrastPossible: false,
    normal: { findings: '双侧颈动脉内中膜不厚，管腔内未见斑块，血流通畅。', impression: '双侧颈动脉未见明显异常。' },
    abnormal: [{ findings: '右侧颈动脉分叉处见一低回声斑块，大小约8mm×2mm。', impression: '右侧颈动脉粥样硬化斑块形成。' }],
  },
  {
    code: 'MR-LSPINE',
    name: '腰椎MRI平扫',
    modality: 'MR',
    bodyPart: 'LSPINE',
    bodyPartName: '腰椎',
    contrastPossible: false,
    normal: { findings: '腰椎生理曲度存在，椎体信号正常，各椎间盘未见明显突出。', impression: '腰椎MRI平扫未见明显异常。' },
    abnormal: [{ findings: 'L4/5椎间盘向后突出，压迫硬膜囊，相应椎管变窄。', impression: 'L4/5椎间盘突出。' }],
  },
  {
    code: 'DX-KNEE',
    name: '膝关节正侧位片',
    modality: 'DX',
    bodyPart: 'KNEE',
    bodyPartName: '膝关节',
    contrastPossible: false,
    normal: { findings: '膝关节诸骨骨质完整，关节间隙正常，软组织未见异常。', impression: '膝关节未见明显异常。' },
    abnormal: [{ findings: '膝关节间隙变窄，关节边缘骨质增生，胫骨髁间隆起变尖。', impression: '膝关节退行性变。' }],
  },
  {
    code: 'DX-WRIST',
    name: '腕关节正侧位片',
    modality: 'DX',
    bodyPart: 'WRIST',
    bodyPartName: '腕关节',
    contrastPossible: false,
    normal: { findings: '腕关节诸骨骨质完整，关节间隙正常。', impression: '腕关节未见明显异常。' },
    abnormal: [{ findings: '桡骨远端骨皮质不连续，见横行透亮骨折线，远折端向背侧移位。', impression: '桡骨远端骨折。' }],
  },
];

const IMAGING_BY_CODE: ReadonlyMap<string, ImagingProcedure> = new Map(IMAGING_PROCEDURES.map((p) => [p.code, p]));

/** The catalogue imaging procedure for a local code; throws for an unknown one (a programming error). */
export function imagingProcedure(code: string): ImagingProcedure {
  const procedure = IMAGING_BY_CODE.get(code);
  if (!procedure) throw new Error(`no imaging procedure ${code} in the catalogue`);
  return procedure;
}

/** An imaging examination of the region's catalogue: the seeded procedures and others hospitals report. */
export interface ImagingItem {
  code: string;
  name: string;
  modality: ImagingProcedure['modality'];
  /** DICOM Body Part Examined. */
  bodyPart: string;
}

/** Examinations the seeded reports do not carry, but hospital feeds do (and the recognition catalogue lists). */
export const MORE_IMAGING_ITEMS: readonly ImagingItem[] = [
  { code: 'CT-ABD', name: '腹部CT平扫', modality: 'CT', bodyPart: 'ABDOMEN' },
  { code: 'CT-LSPINE', name: '腰椎CT平扫', modality: 'CT', bodyPart: 'LSPINE' },
  { code: 'MR-KNEE', name: '膝关节MRI平扫', modality: 'MR', bodyPart: 'KNEE' },
  { code: 'MR-CSPINE', name: '颈椎MRI平扫', modality: 'MR', bodyPart: 'CSPINE' },
  { code: 'US-BREAST', name: '乳腺彩超', modality: 'US', bodyPart: 'BREAST' },
  { code: 'US-KIDNEY', name: '泌尿系彩超', modality: 'US', bodyPart: 'KIDNEY' },
  { code: 'DX-LSPINE', name: '腰椎正侧位片', modality: 'DX', bodyPart: 'LSPINE' },
  { code: 'DX-CSPINE', name: '颈椎正侧位片', modality: 'DX', bodyPart: 'CSPINE' },
];

/** Every imaging examination of the catalogue, by code: what an imaging report's `itemCode` may be. */
export const IMAGING_ITEMS: ReadonlyMap<string, ImagingItem> = new Map([...IMAGING_PROCEDURES, ...MORE_IMAGING_ITEMS].map((item) => [item.code, item]));

export interface VaccineDefinition {
  /** Vaccine code in the style of the national immunisation information system (category + product). */
  code: string;
  name: string;
  manufacturers: readonly string[];
  site: string;
  route: string;
  /** National schedule (国家免疫规划儿童免疫程序, 2021): dose number → age in months. Empty for non-programme vaccines. */
  schedule: readonly number[];
}

export const VACCINES: readonly VaccineDefinition[] = [
  {
    code: '0101',
    name: '乙肝疫苗',
    manufacturers: ['深圳康泰生物制品股份有限公司', '大连汉信生物制药有限公司', '华北制药金坦生物技术股份有限公司'],
    site: '上臂三角肌',
    route: '肌内注射',
    schedule: [0, 1, 6],
  },
  { code: '0201', name: '卡介苗', manufacturers: ['上海生物制品研究所有限责任公司', '成都生物制品研究所有限责任公司'], site: '上臂三角肌中部略下处', route: '皮内注射', schedule: [0] },
  {
    code: '0311',
    name: '脊灰灭活疫苗',
    manufacturers: ['中国医学科学院医学生物学研究所', '北京生物制品研究所有限责任公司'],
    site: '上臂三角肌',
    route: '肌内注射',
    schedule: [2, 3],
  },
  {
    code: '0303',
    name: '二价脊灰减毒活疫苗',
    manufacturers: ['中国医学科学院医学生物学研究所', '北京生物制品研究所有限责任公司'],
    site: '口服',
    route: '口服',
    schedule: [4, 48],
  },
  {
    code: '0402',
    name: '百白破疫苗（无细胞）',
    manufacturers: ['武汉生物制品研究所有限责任公司', '成都生物制品研究所有限责任公司'],
    site: '上臂三角肌',
    route: '肌内注射',
    schedule: [3, 4, 5, 18],
  },
  { code: '0601', name: '白破疫苗', manufacturers: ['武汉生物制品研究所有限责任公司'], site: '上臂三角肌', route: '肌内注射', schedule: [72] },
  { code: '1201', name: '麻腮风疫苗', manufacturers: ['北京生物制品研究所有限责任公司', '上海生物制品研究所有限责任公司'], site: '上臂外侧三角肌下缘', route: '皮下注射', schedule: [8, 18] },
  { code: '1801', name: '乙脑减毒活疫苗', manufacturers: ['成都生物制品研究所有限责任公司'], site: '上臂外侧三角肌下缘', route: '皮下注射', schedule: [8, 24] },
  { code: '1601', name: 'A群流脑多糖疫苗', manufacturers: ['兰州生物制品研究所有限责任公司', '玉溪沃森生物技术有限公司'], site: '上臂外侧三角肌下缘', route: '皮下注射', schedule: [6, 9] },
  { code: '1701', name: 'A群C群流脑多糖疫苗', manufacturers: ['兰州生物制品研究所有限责任公司', '玉溪沃森生物技术有限公司'], site: '上臂外侧三角肌下缘', route: '皮下注射', schedule: [36, 72] },
  { code: '1901', name: '甲肝减毒活疫苗', manufacturers: ['浙江普康生物技术股份有限公司', '长春生物制品研究所有限责任公司'], site: '上臂外侧三角肌下缘', route: '皮下注射', schedule: [18] },
  { code: '4101', name: '流感疫苗', manufacturers: ['华兰生物疫苗股份有限公司', '长春生物制品研究所有限责任公司', '上海生物制品研究所有限责任公司'], site: '上臂三角肌', route: '肌内注射', schedule: [] },
  {
    code: '5601',
    name: '新冠病毒灭活疫苗（Vero细胞）',
    manufacturers: ['北京科兴中维生物技术有限公司', '北京生物制品研究所有限责任公司', '武汉生物制品研究所有限责任公司'],
    site: '上臂三角肌',
    route: '肌内注射',
    schedule: [],
  },
];

const VACCINE_BY_CODE: ReadonlyMap<string, VaccineDefinition> = new Map(VACCINES.map((v) => [v.code, v]));

/** The catalogue vaccine for a code; throws for an unknown one (a programming error). */
export function vaccine(code: string): VaccineDefinition {
  const found = VACCINE_BY_CODE.get(code);
  if (!found) throw new Error(`no vaccine ${code} in the catalogue`);
  return found;
}
