-- The unit each seeded lab item is reported in (feed rule UNIT), for a catalogue seeded before the
-- column existed: UNIT then read the platform code catalogue (schema/code-catalogue.ts), and these are
-- its units, so an upgraded catalogue checks the units of its items it checked before. A unit a steward
-- has set is kept; codes that are not in the catalogue are untouched.
UPDATE "results"."recognition_item" AS item SET "unit" = seeded.unit
FROM (VALUES
  ('CBC-HCT', '%'),
  ('CBC-HGB', 'g/L'),
  ('CBC-LYMPH%', '%'),
  ('CBC-MCH', 'pg'),
  ('CBC-MCHC', 'g/L'),
  ('CBC-MCV', 'fL'),
  ('CBC-NEUT%', '%'),
  ('CBC-PLT', '10^9/L'),
  ('CBC-RBC', '10^12/L'),
  ('CBC-WBC', '10^9/L'),
  ('ELEC-CA', 'mmol/L'),
  ('ELEC-CL', 'mmol/L'),
  ('ELEC-K', 'mmol/L'),
  ('ELEC-NA', 'mmol/L'),
  ('FBG', 'mmol/L'),
  ('HBA1C', '%'),
  ('LFT-ALB', 'g/L'),
  ('LFT-ALP', 'U/L'),
  ('LFT-ALT', 'U/L'),
  ('LFT-AST', 'U/L'),
  ('LFT-DBIL', 'μmol/L'),
  ('LFT-GGT', 'U/L'),
  ('LFT-TBIL', 'μmol/L'),
  ('LFT-TP', 'g/L'),
  ('LIPID-HDL', 'mmol/L'),
  ('LIPID-LDL', 'mmol/L'),
  ('LIPID-TC', 'mmol/L'),
  ('LIPID-TG', 'mmol/L'),
  ('RFT-CREA', 'μmol/L'),
  ('RFT-EGFR', 'mL/min/1.73m²'),
  ('RFT-UA', 'μmol/L'),
  ('RFT-UREA', 'mmol/L'),
  ('THYROID-FT4', 'pmol/L'),
  ('THYROID-TSH', 'mIU/L')
) AS seeded(code, unit)
WHERE item.code = seeded.code AND item.unit IS NULL;
