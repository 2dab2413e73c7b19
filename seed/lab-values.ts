/** Plausible lab results: values drawn around the reference interval, deviating where a diagnosis says so. */
import { rangeFor, type LabItemDefinition } from '../schema/codes.js';
import type { Random } from './random.js';

/** A result value for `item`; `bias` pushes it out of range (H high, L low, A abnormal). */
export function labValue(item: LabItemDefinition, sex: string, age: number, bias: 'H' | 'L' | 'A' | undefined, random: Random): string {
  if (item.kind === 'qualitative') {
    if (bias === 'A' && random.chance(0.8)) return item.abnormal;
    return item.localCode.startsWith('HIV') || !random.chance(0.01) ? item.normal : item.abnormal;
  }
  const { low, high } = rangeFor(item, sex);
  const width = low !== undefined && high !== undefined ? high - low : (high ?? low ?? 1) * 0.5;
  let value: number;
  if (bias === 'H' && high !== undefined) {
    value = high + width * random.float(0.05, 0.8);
  } else if (bias === 'L' && low !== undefined) {
    value = Math.max(low - width * random.float(0.05, 0.6), low * 0.3);
  } else if (low !== undefined && high !== undefined) {
    value = random.normal((low + high) / 2, width / 4.6);
  } else if (high !== undefined) {
    value = random.normal(high * 0.72, high * 0.14);
  } else {
    // Lower bound only (eGFR, HDL): healthy values sit above it, falling with age for eGFR.
    const centre = item.localCode === 'RFT-EGFR' ? Math.min(125, 135 - age * 0.8) : low! * 1.3;
    value = random.normal(centre, low! * 0.1);
  }
  const floor = 10 ** -item.decimals;
  return Math.max(value, floor).toFixed(item.decimals);
}
