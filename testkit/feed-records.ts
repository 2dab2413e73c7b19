/** Good hospital-feed records for tests (each case changes one thing), and the shape of a refused feed. */
import type { GraphQLResponse } from './platform.js';

type Json = Record<string, unknown>;

/** An outpatient hypertension visit with one prescription. */
export const feedEncounter = (residentId: string, change: Json = {}): Json => ({
  residentId,
  encounterClass: 'OUTPATIENT',
  department: '全科医疗科',
  startedAt: '2026-01-10T01:30:00.000Z',
  endedAt: '2026-01-10T02:00:00.000Z',
  diagnoses: [{ code: 'I10.x00', codeSystem: 'ICD-10-CN', codeSystemVersion: '2.0', display: '高血压', rank: 'PRIMARY' }],
  prescriptions: [{ drugCode: 'C08CA01', drugName: '氨氯地平片', dosage: '5mg', route: '口服', frequency: 'qd', days: 30 }],
  ...change,
});

/** An HbA1c report of one item; `item` changes the item. */
export const feedLabReport = (residentId: string, change: Json = {}, item: Json = {}): Json => ({
  residentId,
  panelCode: 'HBA1C',
  panelName: '糖化血红蛋白',
  specimen: '全血',
  collectedAt: '2026-01-10T00:00:00.000Z',
  reportedAt: '2026-01-10T02:00:00.000Z',
  items: [{ localCode: 'HBA1C', loinc: '4548-4', name: '糖化血红蛋白', value: '6.8', unit: '%', referenceRange: '4.0-6.0', abnormalFlag: 'H', ...item }],
  ...change,
});

/** A plain chest CT (catalogue item CT-CHEST) without findings. */
export const feedImagingReport = (residentId: string, change: Json = {}): Json => ({
  residentId,
  itemCode: 'CT-CHEST',
  modality: 'CT',
  bodyPart: 'CHEST',
  findings: '两肺野清晰，未见明显结节及实变影。',
  impression: '胸部CT平扫未见明显异常。',
  performedAt: '2026-01-10T03:00:00.000Z',
  contrast: false,
  ...change,
});

/** A first hepatitis B dose. */
export const feedDose = (residentId: string, change: Json = {}): Json => ({
  residentId, vaccineCode: '0101', vaccineName: '乙肝疫苗', doseNumber: 1, lotNumber: '202501A01', manufacturer: '深圳康泰',
  administeredOn: '2026-01-10', site: '左上臂三角肌', route: '肌内注射', ...change,
});

/** The single error of a refused feed: its code, field, rule and HTTP status (throws unless it is one refusal without data). */
export function feedRefusal(response: GraphQLResponse): { status: number; code: unknown; field: unknown; rule: unknown } {
  const errors = response.body.errors ?? [];
  if ((response.body.data ?? null) !== null || errors.length !== 1) throw new Error(`expected one refusal without data, got ${JSON.stringify(response.body)}`);
  const extensions = errors[0]!.extensions ?? {};
  return { status: response.status, code: extensions['code'], field: extensions['field'], rule: extensions['rule'] };
}
