import { describe, expect, it } from 'vitest';
import { DIAGNOSES, LAB_PANELS } from './code-catalogue.js';
import { SENSITIVE_DEPARTMENTS, labTestCodes, recordSensitivity, sensitivityOfDepartment, type SensitivityLabel } from './sensitivity.js';

/** Department (name or 诊疗科目 code) → the label it gives a record. */
const DEPARTMENTS: ReadonlyArray<readonly [string, SensitivityLabel]> = [
  // Mental health
  ['精神科', 'MENTAL_HEALTH'],
  ['心理科', 'MENTAL_HEALTH'],
  ['精神心理科', 'MENTAL_HEALTH'],
  ['临床心理门诊', 'MENTAL_HEALTH'],
  ['  精神卫生中心 ', 'MENTAL_HEALTH'],
  ['Psychiatry', 'MENTAL_HEALTH'],
  ['Mental Health Clinic', 'MENTAL_HEALTH'],
  ['15', 'MENTAL_HEALTH'], // 精神科
  ['15.06', 'MENTAL_HEALTH'], // 临床心理专业
  ['15.6 临床心理专业', 'MENTAL_HEALTH'],
  ['09.03', 'MENTAL_HEALTH'], // 儿童心理卫生专业
  // HIV/STI
  ['性病艾滋病防制所', 'HIV_STI'],
  ['皮肤性病科', 'HIV_STI'],
  ['艾滋病门诊', 'HIV_STI'],
  ['HIV/AIDS门诊', 'HIV_STI'],
  ['ＨＩＶ自愿咨询检测门诊', 'HIV_STI'], // full-width letters
  ['STD clinic', 'HIV_STI'],
  ['性传播疾病专业', 'HIV_STI'],
  ['13.02', 'HIV_STI'], // 性传播疾病专业
  // Reproductive medicine
  ['生殖医学中心', 'REPRODUCTIVE'],
  ['计划生育科', 'REPRODUCTIVE'],
  ['不孕不育门诊', 'REPRODUCTIVE'],
  ['男性不育专科', 'REPRODUCTIVE'],
  ['Reproductive Medicine', 'REPRODUCTIVE'],
  ['IVF center', 'REPRODUCTIVE'],
  ['05.03', 'REPRODUCTIVE'], // 计划生育专业
  ['05.05', 'REPRODUCTIVE'], // 生殖健康与不孕症专业
  // Genetics
  ['医学遗传与产前诊断科', 'GENETIC'],
  ['遗传咨询门诊', 'GENETIC'],
  ['基因检测中心', 'GENETIC'],
  ['Medical Genetics', 'GENETIC'],
  ['05.04', 'GENETIC'], // 优生学专业
  ['07.10', 'GENETIC'], // 小儿遗传病专业
  // Not sensitive: the words above do not occur, or only as part of another word or number
  ['心血管内科', 'NONE'],
  ['神经内科', 'NONE'],
  ['妇产科', 'NONE'],
  ['感染科', 'NONE'],
  ['皮肤科', 'NONE'],
  ['免疫规划所', 'NONE'],
  ['Archive office', 'NONE'], // "hiv" only inside a word
  ['Gastroenterology', 'NONE'],
  ['Investigation office', 'NONE'], // "sti" only inside a word
  ['05', 'NONE'], // 妇产科 as a whole
  ['13', 'NONE'], // 皮肤科 as a whole
  ['13.01', 'NONE'], // 皮肤病专业
  ['150', 'NONE'],
  ['15病区', 'NONE'], // a ward number, not a 诊疗科目 code
  ['', 'NONE'],
];

describe('sensitivityOfDepartment', () => {
  it('labels departments by their normalised names and by 诊疗科目 codes', () => {
    expect(DEPARTMENTS.length).toBeGreaterThan(40);
    const labelled = DEPARTMENTS.map(([department]) => [department, sensitivityOfDepartment(department)]);
    expect(labelled).toEqual(DEPARTMENTS.map(([department, label]) => [department, label]));
  });

  it('declares every sensitive kind but NONE, each with names and codes', () => {
    expect(SENSITIVE_DEPARTMENTS.map((d) => d.label).sort()).toEqual(['GENETIC', 'HIV_STI', 'MENTAL_HEALTH', 'REPRODUCTIVE']);
    for (const entry of SENSITIVE_DEPARTMENTS) {
      expect(entry.names.length, entry.label).toBeGreaterThan(0);
      expect(entry.codes.length, entry.label).toBeGreaterThan(0);
    }
  });
});

describe('labTestCodes', () => {
  it('lists the panel code, then each item’s local code and its LOINC code where it has one', () => {
    expect(labTestCodes('HIV-AB', [{ localCode: 'HIV-AB', loinc: '75622-1' }, { localCode: 'X-1', loinc: null }, { localCode: 'X-2' }])).toEqual(['HIV-AB', 'HIV-AB', '75622-1', 'X-1', 'X-2']);
  });
});

describe('recordSensitivity', () => {
  it('is level 3 and NONE for a record with nothing sensitive', () => {
    expect(recordSensitivity({})).toEqual({ sensitivity: 'NONE', level: 3 });
    expect(recordSensitivity({ diagnosisCodes: ['I10.x00', 'Z00.000'], testCodes: ['CBC', 'CBC-WBC', '6690-2'], department: '全科医学科', within: ['NONE'] })).toEqual({
      sensitivity: 'NONE',
      level: 3,
    });
  });

  it('is level 5 when the department alone is sensitive: a routine check-up at an STD/HIV clinic', () => {
    expect(recordSensitivity({ diagnosisCodes: ['Z00.000'], department: '性病艾滋病防制所' })).toEqual({ sensitivity: 'HIV_STI', level: 5 });
    expect(recordSensitivity({ diagnosisCodes: ['G47.000'], department: '精神科' })).toEqual({ sensitivity: 'MENTAL_HEALTH', level: 5 });
  });

  it('is level 5 when a diagnosis, a test or a record it belongs to is sensitive', () => {
    const table: ReadonlyArray<readonly [Parameters<typeof recordSensitivity>[0], SensitivityLabel]> = [
      [{ diagnosisCodes: ['I10.x00', 'F32.900'], department: '心血管内科' }, 'MENTAL_HEALTH'],
      [{ diagnosisCodes: ['b20.900'] }, 'HIV_STI'],
      [{ diagnosisCodes: ['O03.900'] }, 'REPRODUCTIVE'],
      [{ diagnosisCodes: ['Q90.900'] }, 'GENETIC'],
      [{ testCodes: ['HIV-AB'] }, 'HIV_STI'],
      [{ testCodes: ['CBC', '75622-1'] }, 'HIV_STI'], // HIV by its LOINC code only
      [{ testCodes: ['THYROID'], within: ['MENTAL_HEALTH'] }, 'MENTAL_HEALTH'], // a thyroid panel of a psychiatric visit
      [{ within: ['NONE', 'REPRODUCTIVE'] }, 'REPRODUCTIVE'],
    ];
    expect(table.length).toBeGreaterThan(0);
    for (const [sources, label] of table) expect(recordSensitivity(sources), JSON.stringify(sources)).toEqual({ sensitivity: label, level: 5 });
  });

  it('labels the catalogue: only the level-5 diagnoses and the HIV panel are sensitive', () => {
    const sensitiveDiagnoses = DIAGNOSES.filter((d) => recordSensitivity({ diagnosisCodes: [d.code] }).level === 5).map((d) => d.code);
    expect(sensitiveDiagnoses).toEqual(['F32.900', 'F41.100', 'B20.900', 'A53.900', 'O03.900', 'N97.900', 'Q90.900']);
    const sensitivePanels = LAB_PANELS.filter((p) => recordSensitivity({ testCodes: labTestCodes(p.code, p.items) }).level === 5);
    expect(sensitivePanels.map((p) => p.code)).toEqual(['HIV-AB']);
  });
});
