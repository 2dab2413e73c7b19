/**
 * Clinical knowledge the generator uses to make plausible records: for each catalogue diagnosis, who
 * gets it, where it is seen, what is prescribed, tested and imaged, and how results deviate.
 */

export interface Drug {
  /** WHO ATC code. */
  atc: string;
  name: string;
  dosage: string;
  route: string;
  frequency: string;
  days: number;
}

export interface ImagingOrder {
  code: string;
  probability: number;
  /** Probability the report shows one of the procedure's abnormal findings. */
  abnormal: number;
  /** Which abnormal finding (index), when a specific one fits the diagnosis. */
  finding?: number;
}

export interface Condition {
  code: string;
  department: string;
  /** Where it is usually seen: a community centre, a hospital, or either. */
  setting: 'primary' | 'hospital' | 'either';
  emergency: number;
  inpatient: number;
  complaints: readonly string[];
  drugs: readonly Drug[];
  childDrugs?: readonly Drug[];
  /** Lab panels ordered, with probability. */
  labs: ReadonlyArray<readonly [string, number]>;
  imaging: readonly ImagingOrder[];
  /** Lab items that tend to be abnormal with this diagnosis. */
  labBias?: Readonly<Record<string, 'H' | 'L' | 'A'>>;
  /** Relative frequency of an acute episode for a person of this age and sex; 0 if it never happens. */
  weight(age: number, sex: string): number;
}

const d = (atc: string, name: string, dosage: string, frequency: string, days: number, route = '口服'): Drug => ({ atc, name, dosage, route, frequency, days });

export const DRUGS = {
  paracetamol: d('N02BE01', '对乙酰氨基酚片', '0.5 g', 'prn', 3),
  ibuprofenSyrup: d('M01AE01', '布洛芬混悬液', '5 ml', 'prn', 3),
  ibuprofen: d('M01AE01', '布洛芬缓释胶囊', '0.3 g', 'bid', 3),
  ambroxol: d('R05CB06', '盐酸氨溴索口服溶液', '10 ml', 'tid', 5),
  dextromethorphan: d('R05DA09', '氢溴酸右美沙芬片', '15 mg', 'tid', 5),
  amoxicillin: d('J01CA04', '阿莫西林胶囊', '0.5 g', 'tid', 5),
  amoxiClav: d('J01CR02', '阿莫西林克拉维酸钾片', '0.625 g', 'bid', 7),
  cefaclor: d('J01DC04', '头孢克洛干混悬剂', '0.125 g', 'tid', 5),
  ceftriaxone: d('J01DD04', '注射用头孢曲松钠', '2 g', 'qd', 7, '静脉滴注'),
  levofloxacin: d('J01MA12', '左氧氟沙星片', '0.5 g', 'qd', 7),
  azithromycin: d('J01FA10', '阿奇霉素片', '0.5 g', 'qd', 3),
  nitrofurantoin: d('J01XE01', '呋喃妥因肠溶片', '0.1 g', 'bid', 5),
  smectite: d('A07BC05', '蒙脱石散', '3 g', 'tid', 3),
  ors: d('A07CA', '口服补液盐散(III)', '1 袋', 'prn', 3),
  omeprazole: d('A02BC01', '奥美拉唑肠溶胶囊', '20 mg', 'bid', 14),
  rabeprazole: d('A02BC04', '雷贝拉唑钠肠溶片', '10 mg', 'qd', 28),
  hydrotalcite: d('A02AD04', '铝碳酸镁咀嚼片', '1 g', 'tid', 14),
  tamsulosin: d('G04CA02', '盐酸坦索罗辛缓释胶囊', '0.2 mg', 'qn', 30),
  finasteride: d('G04CB01', '非那雄胺片', '5 mg', 'qd', 30),
  ferrous: d('B03AA06', '琥珀酸亚铁片', '0.1 g', 'tid', 30),
  levothyroxine: d('H03AA01', '左甲状腺素钠片', '50 μg', 'qd', 30),
  thiamazole: d('H03BB02', '甲巯咪唑片', '10 mg', 'tid', 30),
  celecoxib: d('M01AH01', '塞来昔布胶囊', '0.2 g', 'qd', 7),
  diclofenac: d('M01AB05', '双氯芬酸钠缓释片', '75 mg', 'qd', 7),
  diclofenacGel: d('M02AA15', '双氯芬酸二乙胺乳胶剂', '适量', 'tid', 7, '外用'),
  glucosamine: d('M01AX05', '硫酸氨基葡萄糖胶囊', '0.5 g', 'tid', 30),
  calcium: d('A12AX', '碳酸钙D3片', '0.6 g', 'qd', 30),
  alendronate: d('M05BA04', '阿仑膦酸钠片', '70 mg', 'qw', 28),
  zolmitriptan: d('N02CC03', '佐米曲普坦片', '2.5 mg', 'prn', 5),
  eszopiclone: d('N05CF04', '右佐匹克隆片', '3 mg', 'qn', 14),
  levofloxacinEye: d('S01AE05', '左氧氟沙星滴眼液', '1 滴', 'qid', 7, '滴眼'),
  mometasone: d('D07AC13', '糠酸莫米松乳膏', '适量', 'qd', 7, '外用'),
  loratadine: d('R06AX13', '氯雷他定片', '10 mg', 'qd', 7),
  budesonideFormoterol: d('R03AK07', '布地奈德福莫特罗吸入粉雾剂', '160/4.5 μg', 'bid', 30, '吸入'),
  salbutamol: d('R03AC02', '硫酸沙丁胺醇吸入气雾剂', '100 μg', 'prn', 30, '吸入'),
  tiotropium: d('R03BB04', '噻托溴铵粉吸入剂', '18 μg', 'qd', 30, '吸入'),
  salmeterolFluticasone: d('R03AK06', '沙美特罗替卡松粉吸入剂', '50/250 μg', 'bid', 30, '吸入'),
  aspirin: d('B01AC06', '阿司匹林肠溶片', '100 mg', 'qd', 30),
  clopidogrel: d('B01AC04', '硫酸氢氯吡格雷片', '75 mg', 'qd', 30),
  atorvastatin: d('C10AA05', '阿托伐他汀钙片', '20 mg', 'qn', 30),
  rosuvastatin: d('C10AA07', '瑞舒伐他汀钙片', '10 mg', 'qn', 30),
  isosorbide: d('C01DA14', '单硝酸异山梨酯缓释片', '40 mg', 'qd', 30),
  metoprolol: d('C07AB02', '琥珀酸美托洛尔缓释片', '47.5 mg', 'qd', 30),
  amlodipine: d('C08CA01', '苯磺酸氨氯地平片', '5 mg', 'qd', 30),
  valsartan: d('C09CA03', '缬沙坦胶囊', '80 mg', 'qd', 30),
  irbesartan: d('C09CA04', '厄贝沙坦片', '150 mg', 'qd', 30),
  hydrochlorothiazide: d('C03AA03', '氢氯噻嗪片', '12.5 mg', 'qd', 30),
  furosemide: d('C03CA01', '呋塞米片', '20 mg', 'qd', 14),
  spironolactone: d('C03DA01', '螺内酯片', '20 mg', 'qd', 30),
  sacubitrilValsartan: d('C09DX04', '沙库巴曲缬沙坦钠片', '100 mg', 'bid', 30),
  metformin: d('A10BA02', '盐酸二甲双胍片', '0.5 g', 'tid', 30),
  glimepiride: d('A10BB12', '格列美脲片', '2 mg', 'qd', 30),
  acarbose: d('A10BF01', '阿卡波糖片', '50 mg', 'tid', 30),
  sitagliptin: d('A10BH01', '磷酸西格列汀片', '100 mg', 'qd', 30),
  dapagliflozin: d('A10BK01', '达格列净片', '10 mg', 'qd', 30),
  glargine: d('A10AE04', '甘精胰岛素注射液', '12 U', 'qn', 30, '皮下注射'),
  sertraline: d('N06AB06', '盐酸舍曲林片', '50 mg', 'qd', 28),
  escitalopram: d('N06AB10', '草酸艾司西酞普兰片', '10 mg', 'qd', 28),
  paroxetine: d('N06AB05', '盐酸帕罗西汀片', '20 mg', 'qd', 28),
  buspirone: d('N05BE01', '盐酸丁螺环酮片', '5 mg', 'tid', 28),
  tenofovir: d('J05AF07', '富马酸替诺福韦二吡呋酯片', '300 mg', 'qd', 30),
  lamivudine: d('J05AF05', '拉米夫定片', '300 mg', 'qd', 30),
  efavirenz: d('J05AG03', '依非韦伦片', '400 mg', 'qn', 30),
  benzathine: d('J01CE08', '注射用苄星青霉素', '240 万U', 'qw', 21, '肌内注射'),
  dydrogesterone: d('G03DB01', '地屈孕酮片', '10 mg', 'bid', 14),
  clomifene: d('G03GB02', '枸橼酸氯米芬胶囊', '50 mg', 'qd', 5),
} as const;

const adult = (age: number) => age >= 14;
const band = (age: number, weights: readonly [number, number, number, number]) =>
  age < 14 ? weights[0] : age < 45 ? weights[1] : age < 65 ? weights[2] : weights[3];

/** Acute or episodic conditions, drawn per episode by `weight`. */
export const ACUTE_CONDITIONS: readonly Condition[] = [
  {
    code: 'J06.900', department: '全科医学科', setting: 'either', emergency: 0.05, inpatient: 0,
    complaints: ['咳嗽、流涕2天', '咽痛伴发热1天', '鼻塞、流涕3天', '发热、咳嗽1天'],
    drugs: [DRUGS.paracetamol, DRUGS.dextromethorphan, DRUGS.ambroxol], childDrugs: [DRUGS.ibuprofenSyrup, DRUGS.ambroxol],
    labs: [['CBC', 0.25], ['CRP', 0.15]], imaging: [], labBias: { 'CBC-LYMPH%': 'H' },
    weight: (age) => band(age, [12, 6, 5, 4]),
  },
  {
    code: 'J02.900', department: '全科医学科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['咽痛3天', '咽部异物感1周'], drugs: [DRUGS.amoxicillin, DRUGS.paracetamol],
    labs: [['CBC', 0.3]], imaging: [], weight: (age) => band(age, [3, 3, 2, 1]),
  },
  {
    code: 'J03.900', department: '儿科', setting: 'either', emergency: 0.1, inpatient: 0,
    complaints: ['发热、咽痛2天', '高热伴咽痛1天'], drugs: [DRUGS.amoxicillin, DRUGS.paracetamol], childDrugs: [DRUGS.cefaclor, DRUGS.ibuprofenSyrup],
    labs: [['CBC', 0.8], ['CRP', 0.6]], imaging: [], labBias: { 'CBC-WBC': 'H', 'CBC-NEUT%': 'H', CRP: 'H' },
    weight: (age) => band(age, [5, 1.5, 0.5, 0.2]),
  },
  {
    code: 'R50.900', department: '儿科', setting: 'hospital', emergency: 0.4, inpatient: 0,
    complaints: ['发热1天，最高39.2℃', '反复发热2天'], drugs: [DRUGS.paracetamol], childDrugs: [DRUGS.ibuprofenSyrup],
    labs: [['CBC', 0.9], ['CRP', 0.7]], imaging: [], weight: (age) => band(age, [6, 0.5, 0.5, 0.8]),
  },
  {
    code: 'J20.900', department: '呼吸与危重症医学科', setting: 'either', emergency: 0.05, inpatient: 0,
    complaints: ['咳嗽、咳痰1周', '咳嗽伴少量黄痰5天'], drugs: [DRUGS.ambroxol, DRUGS.amoxiClav], childDrugs: [DRUGS.ambroxol, DRUGS.cefaclor],
    labs: [['CBC', 0.6], ['CRP', 0.4]], imaging: [{ code: 'DX-CHEST', probability: 0.5, abnormal: 0.7, finding: 1 }],
    weight: (age) => band(age, [3, 2, 2.5, 3]),
  },
  {
    code: 'J18.900', department: '呼吸与危重症医学科', setting: 'hospital', emergency: 0.25, inpatient: 0.35,
    complaints: ['发热、咳嗽、咳痰3天', '咳嗽伴气促5天'], drugs: [DRUGS.ceftriaxone, DRUGS.levofloxacin, DRUGS.azithromycin], childDrugs: [DRUGS.azithromycin, DRUGS.ambroxol],
    labs: [['CBC', 1], ['CRP', 0.9], ['LFT', 0.5], ['RFT', 0.5]],
    imaging: [{ code: 'DX-CHEST', probability: 0.7, abnormal: 0.9, finding: 0 }, { code: 'CT-CHEST', probability: 0.4, abnormal: 0.9, finding: 1 }],
    labBias: { 'CBC-WBC': 'H', 'CBC-NEUT%': 'H', CRP: 'H' },
    weight: (age) => band(age, [1.5, 0.4, 0.8, 2]),
  },
  {
    code: 'U07.100', department: '全科医学科', setting: 'either', emergency: 0.1, inpatient: 0.03,
    complaints: ['发热、咽痛、乏力2天，新冠抗原阳性', '发热伴全身酸痛1天'], drugs: [DRUGS.paracetamol, DRUGS.ibuprofen], childDrugs: [DRUGS.ibuprofenSyrup],
    labs: [['CBC', 0.5], ['CRP', 0.4]], imaging: [{ code: 'CT-CHEST', probability: 0.15, abnormal: 0.3, finding: 1 }], labBias: { 'CBC-LYMPH%': 'L' },
    weight: () => 0, // placed by the generator in the winter 2022–23 wave
  },
  {
    code: 'A09.900', department: '消化内科', setting: 'either', emergency: 0.2, inpatient: 0,
    complaints: ['腹泻3次伴腹痛1天', '恶心、呕吐、腹泻半天'], drugs: [DRUGS.smectite, DRUGS.ors],
    labs: [['CBC', 0.5]], imaging: [], weight: (age) => band(age, [3, 1.5, 1, 1]),
  },
  {
    code: 'K29.500', department: '消化内科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['反复上腹胀痛半年', '餐后上腹不适2月'], drugs: [DRUGS.omeprazole, DRUGS.hydrotalcite],
    labs: [], imaging: [], weight: (age) => (adult(age) ? band(age, [0, 2, 2.5, 2]) : 0),
  },
  {
    code: 'K21.900', department: '消化内科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['反酸、烧心3月'], drugs: [DRUGS.rabeprazole], labs: [], imaging: [], weight: (age) => (adult(age) ? 1 : 0),
  },
  {
    code: 'K76.000', department: '消化内科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['体检发现肝功能异常1周', '体检发现脂肪肝'], drugs: [], labs: [['LFT', 0.9], ['LIPID', 0.7]],
    imaging: [{ code: 'US-ABD', probability: 0.9, abnormal: 1, finding: 0 }], labBias: { 'LFT-ALT': 'H', 'LIPID-TG': 'H' },
    weight: (age) => (adult(age) ? band(age, [0, 1.2, 1.5, 0.8]) : 0),
  },
  {
    code: 'K80.200', department: '普通外科', setting: 'hospital', emergency: 0.2, inpatient: 0.3,
    complaints: ['右上腹隐痛1周', '进食油腻后右上腹痛2天'], drugs: [DRUGS.omeprazole], labs: [['LFT', 0.8], ['CBC', 0.6]],
    imaging: [{ code: 'US-ABD', probability: 0.95, abnormal: 1, finding: 1 }], weight: (age) => (adult(age) ? band(age, [0, 0.5, 1, 1]) : 0),
  },
  {
    code: 'K35.900', department: '普通外科', setting: 'hospital', emergency: 0.6, inpatient: 0.7,
    complaints: ['转移性右下腹痛12小时', '右下腹痛伴发热1天'], drugs: [DRUGS.ceftriaxone], labs: [['CBC', 1], ['CRP', 0.8]],
    imaging: [], labBias: { 'CBC-WBC': 'H', 'CBC-NEUT%': 'H', CRP: 'H' }, weight: (age) => band(age, [0.4, 0.5, 0.3, 0.2]),
  },
  {
    code: 'N39.000', department: '泌尿外科', setting: 'either', emergency: 0.05, inpatient: 0,
    complaints: ['尿频、尿急、尿痛2天'], drugs: [DRUGS.levofloxacin, DRUGS.nitrofurantoin], labs: [['URINE', 1], ['CBC', 0.3]],
    imaging: [], labBias: { 'URINE-WBC': 'H' }, weight: (age, sex) => (adult(age) ? (sex === '2' ? 2 : 0.4) : 0.2),
  },
  {
    code: 'N40.x00', department: '泌尿外科', setting: 'hospital', emergency: 0, inpatient: 0.05,
    complaints: ['夜尿增多、排尿不畅1年'], drugs: [DRUGS.tamsulosin, DRUGS.finasteride], labs: [['URINE', 0.5]], imaging: [],
    weight: (age, sex) => (sex === '1' && age >= 50 ? (age >= 65 ? 3 : 1) : 0),
  },
  {
    code: 'D50.900', department: '全科医学科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['乏力、头晕1月'], drugs: [DRUGS.ferrous], labs: [['CBC', 1]], imaging: [], labBias: { 'CBC-HGB': 'L', 'CBC-MCV': 'L', 'CBC-MCH': 'L' },
    weight: (age, sex) => (sex === '2' && age >= 14 && age < 55 ? 1.2 : 0.2),
  },
  {
    code: 'E03.900', department: '内分泌科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['乏力、怕冷3月'], drugs: [DRUGS.levothyroxine], labs: [['THYROID', 1]],
    imaging: [{ code: 'US-THYROID', probability: 0.5, abnormal: 0.3 }], labBias: { 'THYROID-TSH': 'H', 'THYROID-FT4': 'L' },
    weight: (age, sex) => (adult(age) ? (sex === '2' ? 0.8 : 0.15) : 0),
  },
  {
    code: 'E05.900', department: '内分泌科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['心悸、多汗、消瘦2月'], drugs: [DRUGS.thiamazole], labs: [['THYROID', 1]],
    imaging: [{ code: 'US-THYROID', probability: 0.6, abnormal: 0.4 }], labBias: { 'THYROID-TSH': 'L', 'THYROID-FT4': 'H' },
    weight: (age, sex) => (adult(age) && age < 65 ? (sex === '2' ? 0.5 : 0.1) : 0),
  },
  {
    code: 'M54.500', department: '骨科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['腰痛2周', '反复腰痛伴左下肢放射痛1月'], drugs: [DRUGS.celecoxib, DRUGS.diclofenac], labs: [],
    imaging: [{ code: 'MR-LSPINE', probability: 0.3, abnormal: 0.6 }], weight: (age) => (adult(age) ? band(age, [0, 2, 2.5, 2]) : 0),
  },
  {
    code: 'M17.900', department: '骨科', setting: 'either', emergency: 0, inpatient: 0.03,
    complaints: ['双膝关节疼痛2年，加重1月', '上下楼梯时膝关节疼痛'], drugs: [DRUGS.celecoxib, DRUGS.glucosamine], labs: [],
    imaging: [{ code: 'DX-KNEE', probability: 0.7, abnormal: 0.9 }], weight: (age) => (age >= 50 ? (age >= 65 ? 3 : 1.5) : 0),
  },
  {
    code: 'M81.900', department: '内分泌科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['腰背痛，骨密度检查提示骨质疏松'], drugs: [DRUGS.calcium, DRUGS.alendronate], labs: [['ELEC', 0.5]], imaging: [],
    weight: (age, sex) => (age >= 55 ? (sex === '2' ? 2 : 0.5) : 0),
  },
  {
    code: 'S52.500', department: '骨科', setting: 'hospital', emergency: 0.7, inpatient: 0.2,
    complaints: ['跌倒致右腕部肿痛、活动受限2小时'], drugs: [DRUGS.celecoxib], labs: [['CBC', 0.3]],
    imaging: [{ code: 'DX-WRIST', probability: 1, abnormal: 1, finding: 0 }], weight: (age, sex) => (age >= 60 && sex === '2' ? 0.8 : 0.2),
  },
  {
    code: 'S93.400', department: '骨科', setting: 'hospital', emergency: 0.5, inpatient: 0,
    complaints: ['扭伤致左踝肿痛1天'], drugs: [DRUGS.diclofenacGel], labs: [], imaging: [], weight: (age) => band(age, [0.5, 1, 0.5, 0.3]),
  },
  {
    code: 'G43.900', department: '神经内科', setting: 'hospital', emergency: 0.1, inpatient: 0,
    complaints: ['反复发作性头痛3年，再发2天'], drugs: [DRUGS.ibuprofen, DRUGS.zolmitriptan], labs: [],
    imaging: [{ code: 'CT-HEAD', probability: 0.2, abnormal: 0 }, { code: 'MR-HEAD', probability: 0.1, abnormal: 0 }],
    weight: (age, sex) => (adult(age) && age < 65 ? (sex === '2' ? 1.2 : 0.4) : 0),
  },
  {
    code: 'G47.000', department: '神经内科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['入睡困难、易醒3月'], drugs: [DRUGS.eszopiclone], labs: [], imaging: [], weight: (age) => (adult(age) ? band(age, [0, 0.8, 1.2, 1.5]) : 0),
  },
  {
    code: 'H10.900', department: '眼科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['双眼红、分泌物增多2天'], drugs: [DRUGS.levofloxacinEye], labs: [], imaging: [], weight: (age) => band(age, [1.5, 1, 0.6, 0.6]),
  },
  {
    code: 'H25.900', department: '眼科', setting: 'hospital', emergency: 0, inpatient: 0.3,
    complaints: ['双眼视物模糊1年'], drugs: [], labs: [], imaging: [], weight: (age) => (age >= 60 ? (age >= 70 ? 2 : 1) : 0),
  },
  {
    code: 'L30.900', department: '皮肤科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['四肢皮疹伴瘙痒1周'], drugs: [DRUGS.mometasone, DRUGS.loratadine], labs: [], imaging: [], weight: (age) => band(age, [1.5, 1, 0.8, 0.8]),
  },
  {
    code: 'J45.900', department: '呼吸与危重症医学科', setting: 'hospital', emergency: 0.15, inpatient: 0.05,
    complaints: ['反复喘息、胸闷，再发3天'], drugs: [DRUGS.budesonideFormoterol, DRUGS.salbutamol], labs: [['CBC', 0.4]], imaging: [],
    weight: (age) => band(age, [0.8, 0.4, 0.4, 0.4]),
  },
  {
    code: 'I63.900', department: '神经内科', setting: 'hospital', emergency: 0.5, inpatient: 0.85,
    complaints: ['突发左侧肢体无力3小时', '言语含糊伴右侧肢体麻木1天'], drugs: [DRUGS.aspirin, DRUGS.atorvastatin, DRUGS.clopidogrel],
    labs: [['CBC', 1], ['LFT', 0.8], ['RFT', 0.8], ['LIPID', 0.9], ['ELEC', 0.8], ['FBG', 0.8]],
    imaging: [{ code: 'CT-HEAD', probability: 1, abnormal: 0.9, finding: 0 }, { code: 'MR-HEAD', probability: 0.6, abnormal: 0.95, finding: 0 }],
    weight: (age) => (age >= 50 ? (age >= 70 ? 0.6 : 0.25) : 0),
  },
  {
    code: 'I50.900', department: '心血管内科', setting: 'hospital', emergency: 0.3, inpatient: 0.5,
    complaints: ['活动后气促、双下肢水肿1月'], drugs: [DRUGS.furosemide, DRUGS.spironolactone, DRUGS.sacubitrilValsartan],
    labs: [['RFT', 0.9], ['ELEC', 0.9], ['CBC', 0.6]],
    imaging: [{ code: 'US-HEART', probability: 0.8, abnormal: 1, finding: 1 }, { code: 'DX-CHEST', probability: 0.6, abnormal: 0.5, finding: 2 }],
    weight: (age) => (age >= 60 ? (age >= 75 ? 0.8 : 0.3) : 0),
  },
  {
    code: 'Z00.000', department: '全科医学科', setting: 'either', emergency: 0, inpatient: 0,
    complaints: ['健康体检'], drugs: [], labs: [['CBC', 1], ['LFT', 0.9], ['RFT', 0.9], ['LIPID', 0.9], ['FBG', 0.9], ['URINE', 0.8]],
    imaging: [{ code: 'DX-CHEST', probability: 0.7, abnormal: 0.05 }, { code: 'US-ABD', probability: 0.7, abnormal: 0.25 }],
    weight: (age) => (adult(age) ? 0.5 : 0),
  },
];

/** Chronic conditions (archive chronicConditions; regular care visits and, for two of them, follow-ups). */
export interface ChronicCondition {
  code: string;
  department: string;
  /** Follow-up programme (慢病随访) when the national basic public health service manages it. */
  programme?: 'HYPERTENSION' | 'DIABETES';
  drugs: readonly Drug[];
  labs: ReadonlyArray<readonly [string, number]>;
  imaging: readonly ImagingOrder[];
  labBias?: Readonly<Record<string, 'H' | 'L' | 'A'>>;
  prevalence(age: number, sex: string): number;
}

export const CHRONIC_CONDITIONS: readonly ChronicCondition[] = [
  {
    code: 'I10.x00', department: '心血管内科', programme: 'HYPERTENSION',
    drugs: [DRUGS.amlodipine, DRUGS.valsartan, DRUGS.irbesartan, DRUGS.metoprolol, DRUGS.hydrochlorothiazide],
    labs: [['RFT', 0.25], ['ELEC', 0.2], ['LIPID', 0.25]],
    imaging: [{ code: 'US-HEART', probability: 0.05, abnormal: 0.5, finding: 0 }, { code: 'US-CAROTID', probability: 0.05, abnormal: 0.6 }],
    prevalence: (age) => (age < 35 ? 0.01 : age < 45 ? 0.1 : age < 55 ? 0.22 : age < 65 ? 0.35 : age < 75 ? 0.5 : 0.6),
  },
  {
    code: 'E11.900', department: '内分泌科', programme: 'DIABETES',
    drugs: [DRUGS.metformin, DRUGS.glimepiride, DRUGS.acarbose, DRUGS.sitagliptin, DRUGS.dapagliflozin, DRUGS.glargine],
    labs: [['FBG', 0.5], ['HBA1C', 0.6], ['RFT', 0.25], ['LIPID', 0.2], ['URINE', 0.15]],
    imaging: [], labBias: { FBG: 'H', HBA1C: 'H', 'URINE-GLU': 'A' },
    prevalence: (age) => (age < 35 ? 0.005 : age < 45 ? 0.04 : age < 55 ? 0.08 : age < 65 ? 0.14 : 0.2),
  },
  {
    code: 'E78.500', department: '心血管内科', drugs: [DRUGS.atorvastatin, DRUGS.rosuvastatin], labs: [['LIPID', 0.6]], imaging: [],
    labBias: { 'LIPID-TC': 'H', 'LIPID-LDL': 'H', 'LIPID-TG': 'H' }, prevalence: (age) => (age < 35 ? 0.01 : age < 55 ? 0.08 : 0.15),
  },
  {
    code: 'I25.103', department: '心血管内科', drugs: [DRUGS.aspirin, DRUGS.atorvastatin, DRUGS.isosorbide, DRUGS.metoprolol], labs: [['LIPID', 0.4]],
    imaging: [{ code: 'US-HEART', probability: 0.15, abnormal: 0.4, finding: 0 }], prevalence: (age) => (age < 50 ? 0 : age < 65 ? 0.04 : 0.1),
  },
  {
    code: 'J44.900', department: '呼吸与危重症医学科', drugs: [DRUGS.tiotropium, DRUGS.salmeterolFluticasone], labs: [['CBC', 0.3]],
    imaging: [{ code: 'DX-CHEST', probability: 0.2, abnormal: 0.8, finding: 2 }], prevalence: (age, sex) => (age < 50 ? 0 : (age < 65 ? 0.03 : 0.08) * (sex === '1' ? 1.6 : 0.5)),
  },
  {
    code: 'N18.900', department: '肾内科', drugs: [DRUGS.valsartan], labs: [['RFT', 0.8], ['ELEC', 0.5], ['URINE', 0.5]], imaging: [],
    labBias: { 'RFT-CREA': 'H', 'RFT-EGFR': 'L', 'URINE-PRO': 'A' }, prevalence: (age) => (age < 50 ? 0.005 : age < 65 ? 0.02 : 0.05),
  },
];

/** Especially sensitive conditions (level 5): per-resident traits with a few visits each. */
export const SENSITIVE_CONDITIONS: readonly Condition[] = [
  {
    code: 'F32.900', department: '精神心理科', setting: 'hospital', emergency: 0, inpatient: 0.03,
    complaints: ['情绪低落、兴趣减退2月', '失眠、心情差，不想出门1月'], drugs: [DRUGS.sertraline, DRUGS.escitalopram], labs: [['THYROID', 0.3]], imaging: [],
    weight: (age) => (age >= 14 ? 0.03 : 0.005),
  },
  {
    code: 'F41.100', department: '精神心理科', setting: 'hospital', emergency: 0.05, inpatient: 0,
    complaints: ['紧张、担心、坐立不安半年'], drugs: [DRUGS.paroxetine, DRUGS.buspirone], labs: [], imaging: [], weight: (age) => (age >= 14 ? 0.02 : 0),
  },
  {
    code: 'B20.900', department: '感染科', setting: 'hospital', emergency: 0, inpatient: 0.1,
    complaints: ['HIV感染随访，复查', '抗病毒治疗随访'], drugs: [DRUGS.tenofovir, DRUGS.lamivudine, DRUGS.efavirenz], labs: [['HIV-AB', 0.3], ['CBC', 0.8], ['LFT', 0.6]],
    imaging: [], labBias: { 'HIV-AB': 'A', 'CBC-LYMPH%': 'L' }, weight: (age) => (age >= 18 && age < 70 ? 0.001 : 0),
  },
  {
    code: 'A53.900', department: '皮肤科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['体检发现梅毒抗体阳性'], drugs: [DRUGS.benzathine], labs: [], imaging: [], weight: (age) => (age >= 18 ? 0.003 : 0),
  },
  {
    code: 'O03.900', department: '妇产科', setting: 'hospital', emergency: 0.3, inpatient: 0.3,
    complaints: ['停经8周，阴道流血2天'], drugs: [DRUGS.dydrogesterone], labs: [['CBC', 0.9]], imaging: [],
    weight: (age, sex) => (sex === '2' && age >= 20 && age < 45 ? 0.02 : 0),
  },
  {
    code: 'N97.900', department: '妇产科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['未避孕未孕2年'], drugs: [DRUGS.clomifene], labs: [['THYROID', 0.4]], imaging: [], weight: (age, sex) => (sex === '2' && age >= 25 && age < 42 ? 0.01 : 0),
  },
  {
    code: 'Q90.900', department: '儿科', setting: 'hospital', emergency: 0, inpatient: 0,
    complaints: ['唐氏综合征随访'], drugs: [], labs: [['THYROID', 0.5]], imaging: [{ code: 'US-HEART', probability: 0.5, abnormal: 0.3, finding: 0 }],
    weight: (age) => (age < 40 ? 0.001 : 0),
  },
];

export function acuteCondition(code: string): Condition {
  const found = ACUTE_CONDITIONS.find((c) => c.code === code) ?? SENSITIVE_CONDITIONS.find((c) => c.code === code);
  if (!found) throw new Error(`no condition ${code}`);
  return found;
}

export function chronicCondition(code: string): ChronicCondition {
  const found = CHRONIC_CONDITIONS.find((c) => c.code === code);
  if (!found) throw new Error(`no chronic condition ${code}`);
  return found;
}
