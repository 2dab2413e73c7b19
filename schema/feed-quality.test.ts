import { describe, expect, it } from 'vitest';
import { feedDose, feedEncounter, feedImagingReport, feedLabReport } from '../testkit/feed-records.js';
import { catalogueCodesOf, feedCatalogue, QUALITY_RULES, qualityRule, qualityViolations, type QualityContext } from './feed-quality.js';

const NOW = new Date('2026-03-01T04:00:00.000Z');
/** What the gateway would look up in the steward's catalogue for these records. */
const CATALOGUE = feedCatalogue([
  { code: 'HBA1C', loinc: '4548-4', modality: null, bodyPart: null, unit: '%' },
  { code: 'ELEC-K', loinc: '2823-3', modality: null, bodyPart: null, unit: 'mmol/L' },
  { code: 'CT-CHEST', loinc: null, modality: 'CT', bodyPart: 'CHEST', unit: null },
]);
const context: QualityContext = { now: NOW, mayWriteFor: (institutionId) => institutionId === 'inst-05', catalogue: CATALOGUE };
const rulesOf = (kind: Parameters<typeof qualityViolations>[0], record: unknown) => qualityViolations(kind, record, context);

describe('the feed quality rules', () => {
  it('are data: unique ids, a message each, and a rule per id', () => {
    const ids = QUALITY_RULES.map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(qualityRule(id).message.length).toBeGreaterThan(0);
    expect(() => qualityRule('NO_SUCH_RULE')).toThrow();
  });

  it('pass the good records of every kind', () => {
    expect(rulesOf('encounter', feedEncounter('res-1'))).toEqual([]);
    expect(rulesOf('labReport', feedLabReport('res-1'))).toEqual([]);
    expect(rulesOf('immunization', feedDose('res-1'))).toEqual([]);
  });

  it('name the concrete element of a list: the second diagnosis, the second item', () => {
    const encounter = feedEncounter('res-1', {
      diagnoses: [
        { code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' },
        { code: 'E11.900', codeSystem: 'ICD-10-CN', codeSystemVersion: '1.1', display: '', rank: 'TERTIARY' },
      ],
    });
    expect(rulesOf('encounter', encounter)).toEqual([
      { field: 'diagnoses[1].display', rule: 'REQUIRED_FIELD' },
      { field: 'diagnoses[1].rank', rule: 'ALLOWED_VALUE' },
      { field: 'diagnoses[1].code', rule: 'CODE_SYSTEM' },
    ]);
    const report = feedLabReport('res-1');
    (report['items'] as unknown[]).push({ localCode: 'ELEC-K', loinc: '2823-3', name: '钾', value: '4.1', unit: 'mg/dL', abnormalFlag: 'N' });
    expect(rulesOf('labReport', report)).toEqual([{ field: 'items[1].unit', rule: 'UNIT' }]);
  });

  it('check catalogue items and units against the catalogue given (the gateway looks it up), and leave them to the gateway without one', () => {
    const offline: QualityContext = { now: NOW, mayWriteFor: () => true };
    const wrongUnit = feedLabReport('res-1', {}, { unit: 'mmol/mol' });
    const unknownExam = feedImagingReport('res-1', { itemCode: 'CT-PELVIS', bodyPart: 'PELVIS' });
    expect(rulesOf('labReport', wrongUnit)).toEqual([{ field: 'items[0].unit', rule: 'UNIT' }]);
    expect(rulesOf('imagingReport', unknownExam)).toEqual([{ field: 'itemCode', rule: 'KNOWN_ITEM' }]);
    expect(rulesOf('imagingReport', feedImagingReport('res-1', { bodyPart: 'HEAD' }))).toEqual([{ field: 'bodyPart', rule: 'KNOWN_ITEM' }]);
    // A lab item found by its LOINC under another local code still carries the catalogue's unit.
    expect(rulesOf('labReport', feedLabReport('res-1', {}, { localCode: 'K-SERUM', loinc: '2823-3', unit: 'mg/dL', value: '4' }))).toEqual([{ field: 'items[0].unit', rule: 'UNIT' }]);
    expect(qualityViolations('labReport', wrongUnit, offline)).toEqual([]);
    expect(qualityViolations('imagingReport', unknownExam, offline)).toEqual([]);
    expect(catalogueCodesOf('imagingReport', unknownExam)).toEqual(['CT-PELVIS']);
    expect(catalogueCodesOf('labReport', wrongUnit)).toEqual(['HBA1C', '4548-4']);
    expect(catalogueCodesOf('encounter', feedEncounter('res-1'))).toEqual([]);
  });

  it('treat missing, null, blank and empty lists as missing, and leave optional lists alone when absent', () => {
    expect(rulesOf('labReport', feedLabReport('res-1', { specimen: null, items: [] }))).toEqual([
      { field: 'specimen', rule: 'REQUIRED_FIELD' },
      { field: 'items', rule: 'REQUIRED_FIELD' },
    ]);
    const { prescriptions: _omitted, ...withoutPrescriptions } = feedEncounter('res-1');
    void _omitted;
    expect(rulesOf('encounter', withoutPrescriptions)).toEqual([]);
    expect(rulesOf('immunization', 'not a record')).toEqual([{ field: '', rule: 'REQUIRED_FIELD' }]);
  });

  it('read times as the gateway sees them (Date) and as a file has them (text); a date is a day in China', () => {
    const inAnHour = new Date(NOW.getTime() + 3_600_000);
    expect(rulesOf('encounter', feedEncounter('res-1', { startedAt: inAnHour, endedAt: null }))).toEqual([{ field: 'startedAt', rule: 'NOT_FUTURE' }]);
    expect(rulesOf('encounter', feedEncounter('res-1', { startedAt: new Date(NOW.getTime() + 60_000), endedAt: null }))).toEqual([]);
    // 04:00 UTC is noon in China: today there is not the future, tomorrow is.
    expect(rulesOf('immunization', feedDose('res-1', { administeredOn: '2026-03-01' }))).toEqual([]);
    expect(rulesOf('immunization', feedDose('res-1', { administeredOn: '2026-03-02' }))).toEqual([{ field: 'administeredOn', rule: 'NOT_FUTURE' }]);
    expect(rulesOf('encounter', feedEncounter('res-1', { endedAt: '2026-01-10T01:00:00.000Z' }))).toEqual([{ field: 'endedAt', rule: 'CHRONOLOGY' }]);
  });

  it('bound numbers and lab values: a dose number, prescription days, a value far beyond its reference range or not a number', () => {
    expect(rulesOf('immunization', feedDose('res-1', { doseNumber: 0 }))).toEqual([{ field: 'doseNumber', rule: 'RANGE' }]);
    expect(rulesOf('encounter', feedEncounter('res-1', { prescriptions: [{ drugCode: 'C08CA01', drugName: '氨氯地平片', dosage: '5mg', route: '口服', frequency: 'qd', days: 400 }] }))).toEqual([
      { field: 'prescriptions[0].days', rule: 'RANGE' },
    ]);
    expect(rulesOf('labReport', feedLabReport('res-1', {}, { value: '很高' }))).toEqual([{ field: 'items[0].value', rule: 'RANGE' }]);
    expect(rulesOf('labReport', feedLabReport('res-1', {}, { value: '-1' }))).toEqual([{ field: 'items[0].value', rule: 'RANGE' }]);
    expect(rulesOf('labReport', feedLabReport('res-1', {}, { value: '14.0' }))).toEqual([]);
  });

  it('ask the policy about a record naming its institution, and say nothing of records that name none', () => {
    expect(rulesOf('immunization', feedDose('res-1', { institutionId: 'inst-05' }))).toEqual([]);
    expect(rulesOf('immunization', feedDose('res-1', { institutionId: 'inst-03' }))).toEqual([{ field: 'institutionId', rule: 'OWN_INSTITUTION' }]);
  });
});
