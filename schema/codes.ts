/**
 * Code systems (DESIGN §9): every code is stored with its system and version, and a code whose system
 * or version the platform does not know is refused rather than stored.
 */
import { InvalidInputError } from './errors.js';

export interface Coding {
  system: string;
  version: string;
  code: string;
}

export interface CodeSystem {
  id: string;
  name: string;
  /** Accepted versions; `null` means any non-empty version (local code systems). */
  versions: readonly string[] | null;
  /** What a well-formed code of this system looks like, in words (used in error messages). */
  format: string;
  isWellFormed(code: string): boolean;
}

/** ICD-10 国家临床版: letter, two digits, optionally '.' and up to three digits or x, and an x-extension. */
const ICD10_PATTERN = /^[A-Z]\d{2}(\.[0-9x]{1,3}(x\d{3})?)?$/i;
/** ICD-9-CM-3 国家临床版: two digits, optionally '.' and up to four digits, and an x-extension. */
const ICD9CM3_PATTERN = /^\d{2}(\.\d{1,4}(x\d{3})?)?$/;
const LOINC_PATTERN = /^(\d{1,7})-(\d)$/;
const LOCAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** DICOM acquisition modalities a regional imaging report comes from (CR/DX radiography, CT, MR, US, mammography, nuclear medicine, PET, angiography, fluoroscopy). */
const DICOM_MODALITIES: ReadonlySet<string> = new Set(['CR', 'DX', 'CT', 'MR', 'US', 'MG', 'NM', 'PT', 'XA', 'RF']);
/** DICOM Body Part Examined defined terms the region's examinations use. */
const DICOM_BODY_PARTS: ReadonlySet<string> = new Set([
  'HEAD', 'BRAIN', 'NECK', 'CHEST', 'HEART', 'BREAST', 'ABDOMEN', 'PELVIS', 'KIDNEY', 'LIVER', 'CSPINE', 'TSPINE', 'LSPINE', 'SPINE',
  'SHOULDER', 'ELBOW', 'WRIST', 'HAND', 'HIP', 'KNEE', 'ANKLE', 'FOOT', 'EXTREMITY', 'WHOLEBODY',
]);

export const CODE_SYSTEMS: Readonly<Record<string, CodeSystem>> = {
  'ICD-10-CN': {
    id: 'ICD-10-CN',
    name: 'ICD-10 国家临床版',
    versions: ['2.0'],
    format: 'a letter, two digits, optionally "." and digits or x (e.g. I10.x00, E11.900)',
    isWellFormed: (code) => ICD10_PATTERN.test(code),
  },
  'ICD-9-CM-3': {
    id: 'ICD-9-CM-3',
    name: 'ICD-9-CM-3 手术操作分类代码国家临床版',
    versions: ['3.0'],
    format: 'two digits, optionally "." and up to four digits (e.g. 47.0901)',
    isWellFormed: (code) => ICD9CM3_PATTERN.test(code),
  },
  LOINC: {
    id: 'LOINC',
    name: 'LOINC',
    versions: ['2.78'],
    format: 'digits, "-" and a valid check digit (e.g. 718-7)',
    isWellFormed: (code) => {
      const match = LOINC_PATTERN.exec(code);
      return match !== null && loincCheckDigit(match[1]!) === match[2];
    },
  },
  'NIP-VACCINE': {
    id: 'NIP-VACCINE',
    name: '国家免疫规划疫苗编码',
    versions: ['2021'],
    format: 'four digits (e.g. 0101)',
    isWellFormed: (code) => /^\d{4}$/.test(code),
  },
  ATC: {
    id: 'ATC',
    name: 'WHO Anatomical Therapeutic Chemical classification',
    versions: ['2024'],
    format: 'letter, two digits, two letters, two digits (e.g. C08CA01)',
    isWellFormed: (code) => /^[A-Z]\d{2}([A-Z]([A-Z](\d{2})?)?)?$/.test(code),
  },
  'DICOM-MODALITY': {
    id: 'DICOM-MODALITY',
    name: 'DICOM Modality (PS3.3 C.7.3.1.1.1, the acquisition modalities of CID 29)',
    versions: ['2025b'],
    format: `one of ${[...DICOM_MODALITIES].join(', ')}`,
    isWellFormed: (code) => DICOM_MODALITIES.has(code),
  },
  'DICOM-BODY-PART': {
    id: 'DICOM-BODY-PART',
    name: 'DICOM Body Part Examined (PS3.16 Annex L, defined terms)',
    versions: ['2025b'],
    format: 'a defined term such as CHEST, HEAD, ABDOMEN, LSPINE',
    isWellFormed: (code) => DICOM_BODY_PARTS.has(code),
  },
  LOCAL: {
    id: 'LOCAL',
    name: '机构本地编码',
    versions: null,
    format: 'letters, digits, ".", "_" or "-", at most 64 characters',
    isWellFormed: (code) => LOCAL_PATTERN.test(code),
  },
};

export const ICD10_CN = { system: 'ICD-10-CN', version: '2.0' } as const;
export const ICD9_CM3 = { system: 'ICD-9-CM-3', version: '3.0' } as const;
export const LOINC = { system: 'LOINC', version: '2.78' } as const;
export const NIP_VACCINE = { system: 'NIP-VACCINE', version: '2021' } as const;
export const DICOM_MODALITY = { system: 'DICOM-MODALITY', version: '2025b' } as const;
export const DICOM_BODY_PART = { system: 'DICOM-BODY-PART', version: '2025b' } as const;

/** Whether `system` is a code system the platform knows. */
export function isKnownCodeSystem(system: string): boolean {
  return Object.hasOwn(CODE_SYSTEMS, system);
}

/** Refuses (BAD_USER_INPUT) an unknown system, an unknown version, or a code not of the system's format. */
export function assertKnownCode(coding: Coding, field = 'code'): void {
  const system = Object.hasOwn(CODE_SYSTEMS, coding.system) ? CODE_SYSTEMS[coding.system] : undefined;
  if (!system) {
    throw new InvalidInputError(`unknown code system "${coding.system}"; known systems: ${Object.keys(CODE_SYSTEMS).join(', ')}`, { field });
  }
  const version = coding.version.trim();
  if (version === '' || (system.versions !== null && !system.versions.includes(version))) {
    const known = system.versions === null ? 'any non-empty version' : system.versions.join(', ');
    throw new InvalidInputError(`unknown version "${coding.version}" of ${system.id}; accepted: ${known}`, { field });
  }
  if (!system.isWellFormed(coding.code)) {
    throw new InvalidInputError(`"${coding.code}" is not a ${system.id} code: expected ${system.format}`, { field });
  }
}

/** LOINC's mod-10 check digit for the part before the hyphen (Luhn, doubling from the rightmost digit). */
export function loincCheckDigit(base: string): string {
  let sum = 0;
  for (let i = 0; i < base.length; i++) {
    const digit = base.charCodeAt(base.length - 1 - i) - 48;
    const weighted = i % 2 === 0 ? digit * 2 : digit;
    sum += weighted > 9 ? weighted - 9 : weighted;
  }
  return String((10 - (sum % 10)) % 10);
}

export * from './code-catalogue.js';
