/**
 * The resident's whole record as the portal and the FHIR export read it: one GraphQL selection over
 * every subgraph, and the types of its answer. Shared by the page (vite) and the export route (tsc).
 */

/** How many records of each list one read returns (the subgraphs' page limit). */
export const ARCHIVE_PAGE = 100;

const RESIDENT_SELECTION = `
  id name sex birthDate idCardNumber phone address guardianId district { code name }
  encounters(first: ${ARCHIVE_PAGE}) {
    id encounterClass department startedAt endedAt chiefComplaint level sensitivity
    institution { id name }
    diagnoses { id code codeSystem codeSystemVersion display rank recordedAt level sensitivity }
    prescriptions { id drugCode drugName dosage route frequency days prescribedAt level sensitivity }
  }
  labReports(first: ${ARCHIVE_PAGE}) {
    id panelCode panelName specimen collectedAt reportedAt level sensitivity institution { id name }
    items { id localCode loinc name value unit referenceRange abnormalFlag }
  }
  imagingReports(first: ${ARCHIVE_PAGE}) { id modality bodyPart findings impression performedAt contrast level sensitivity institution { id name } }
  immunizations(first: ${ARCHIVE_PAGE}) { id vaccineCode vaccineName doseNumber lotNumber manufacturer administeredOn site route level institution { id name } }
  healthArchive {
    id archiveNumber openedOn bloodType level managingInstitution { id name }
    chronicConditions { code codeSystem codeSystemVersion display since }
    allergies { substance reaction }
    physicalExams(first: 20) { id examDate heightCm weightKg systolic diastolic fastingGlucose summary level }
    followUps(first: 50) { id programme visitDate mode systolic diastolic fastingGlucose assessment nextVisitDate level }
  }
`;

/** The signed-in resident's own record. */
export const MY_ARCHIVE_QUERY = `query PortalMyArchive { myArchive { ${RESIDENT_SELECTION} } }`;
/** A ward's record, read by their guardian. */
export const WARD_ARCHIVE_QUERY = `query PortalWardArchive($id: ID!) { resident(id: $id) { ${RESIDENT_SELECTION} } }`;

export interface Named {
  id: string;
  name: string;
}
export interface Diagnosis {
  id: string;
  code: string | null;
  codeSystem: string | null;
  codeSystemVersion: string | null;
  display: string | null;
  rank: string | null;
  recordedAt: string | null;
  level: number | null;
  sensitivity: string | null;
}
export interface Prescription {
  id: string;
  drugCode: string | null;
  drugName: string | null;
  dosage: string | null;
  route: string | null;
  frequency: string | null;
  days: number | null;
  prescribedAt: string | null;
  level: number | null;
  sensitivity: string | null;
}
export interface Encounter {
  id: string;
  encounterClass: string | null;
  department: string | null;
  startedAt: string | null;
  endedAt: string | null;
  chiefComplaint: string | null;
  level: number | null;
  sensitivity: string | null;
  institution: Named | null;
  diagnoses: Diagnosis[] | null;
  prescriptions: Prescription[] | null;
}
export interface LabItem {
  id: string;
  localCode: string | null;
  loinc: string | null;
  name: string | null;
  value: string | null;
  unit: string | null;
  referenceRange: string | null;
  abnormalFlag: string | null;
}
export interface LabReport {
  id: string;
  panelCode: string | null;
  panelName: string | null;
  specimen: string | null;
  collectedAt: string | null;
  reportedAt: string | null;
  level: number | null;
  sensitivity: string | null;
  institution: Named | null;
  items: LabItem[] | null;
}
export interface ImagingReport {
  id: string;
  modality: string | null;
  bodyPart: string | null;
  findings: string | null;
  impression: string | null;
  performedAt: string | null;
  contrast: boolean | null;
  level: number | null;
  sensitivity: string | null;
  institution: Named | null;
}
export interface Immunization {
  id: string;
  vaccineCode: string | null;
  vaccineName: string | null;
  doseNumber: number | null;
  lotNumber: string | null;
  manufacturer: string | null;
  administeredOn: string | null;
  site: string | null;
  route: string | null;
  level: number | null;
  institution: Named | null;
}
export interface HealthArchive {
  id: string;
  archiveNumber: string | null;
  openedOn: string | null;
  bloodType: string | null;
  level: number | null;
  managingInstitution: Named | null;
  chronicConditions: Array<{ code: string | null; codeSystem: string | null; codeSystemVersion: string | null; display: string | null; since: string | null }> | null;
  allergies: Array<{ substance: string | null; reaction: string | null }> | null;
  physicalExams: Array<{ id: string; examDate: string | null; heightCm: number | null; weightKg: number | null; systolic: number | null; diastolic: number | null; fastingGlucose: number | null; summary: string | null; level: number | null }> | null;
  followUps: Array<{ id: string; programme: string | null; visitDate: string | null; mode: string | null; systolic: number | null; diastolic: number | null; fastingGlucose: number | null; assessment: string | null; nextVisitDate: string | null; level: number | null }> | null;
}
/** A consent as the portal lists it (the export takes consents from `myConsentsFhir`). */
export interface ArchiveConsent {
  id: string;
  version: number;
  status: string;
  provision: string | null;
  categories: string[] | null;
  purposes: string[] | null;
  recipient: { kind: string; id: string | null } | null;
  validFrom: string;
  validUntil: string | null;
  noticeVersion: string;
  recordedAt: string;
  guardianId: string | null;
}
export interface ResidentRecord {
  id: string;
  name: string | null;
  sex: string | null;
  birthDate: string | null;
  idCardNumber: string | null;
  phone: string | null;
  address: string | null;
  guardianId: string | null;
  district: { code: string; name: string } | null;
  encounters: Encounter[] | null;
  labReports: LabReport[] | null;
  imagingReports: ImagingReport[] | null;
  immunizations: Immunization[] | null;
  healthArchive: HealthArchive | null;
}

/** Level 5 (especially sensitive, GB/T 39725): shown only to the resident, marked as such. */
export const SENSITIVE_LEVEL = 5;
