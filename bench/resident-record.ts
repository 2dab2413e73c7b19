/** One resident's whole record across six subgraphs: the selection every benchmark reads. */
export const RESIDENT_FIELDS = `
  id name sex birthDate idCardNumber district { code name }
  encounters(first: 10) { id encounterClass department startedAt institution { id name grade } diagnoses { code codeSystem display } }
  labReports(first: 10) { panelName collectedAt institution { id name } items { name value unit abnormalFlag } }
  imagingReports(first: 5) { modality bodyPart impression institution { id name } }
  healthArchive { archiveNumber chronicConditions { code display } }
  immunizations(first: 10) { vaccineName doseNumber administeredOn institution { id name } }
`;
