/** The documents the benchmarks read. One resident's whole record across six subgraphs: the selection every gateway is compared on. */
export const RESIDENT_FIELDS = `
  id name sex birthDate idCardNumber district { code name }
  encounters(first: 10) { id encounterClass department startedAt institution { id name grade } diagnoses { code codeSystem display } }
  labReports(first: 10) { panelName collectedAt institution { id name } items { name value unit abnormalFlag } }
  imagingReports(first: 5) { modality bodyPart impression institution { id name } }
  healthArchive { archiveNumber chronicConditions { code display } }
  immunizations(first: 10) { vaccineName doseNumber administeredOn institution { id name } }
`;

/** The history a clinician opens: the first page of every list, each record with institution, grade and time. */
export const CLINICIAN_HISTORY_QUERY = `query History($id: ID!) { resident(id: $id) {
  encounters(first: 20) { id startedAt department institution { name grade } diagnoses { code display } prescriptions { drugName } }
  labReports(first: 20) { id panelName collectedAt institution { name grade } }
  imagingReports(first: 10) { id modality bodyPart performedAt institution { name grade } }
  immunizations(first: 20) { id vaccineName administeredOn institution { name grade } }
} }`;

/** A resident's own access log, first page, as the portal shows it (who read what, when, why). */
export const ACCESS_LOG_QUERY = `query AccessLog { myAccessLog(first: 20) {
  edges { node { id at kind summary actorRole actorInstitution { name } purpose categories outcome breakGlass leafIndex } }
  pageInfo { hasNextPage endCursor }
} }`;
