/** The synthetic region: deterministic generator, demo actors and the batch writer. */
export {
  DEFAULT_AS_OF,
  DEFAULT_SEED,
  DEMO_RESIDENT_INDEX,
  bundleRowCount,
  generateResident,
  residentId,
  type GenerateOptions,
  type ResidentBundle,
} from './generator.js';
export { DEMO_RESEARCH_INSTITUTION, DEMO_SCENARIO_ID, demoActors, type DemoActor, type DemoRole } from './demo.js';
export { DEMO_CLINICIANS } from './demo-profiles.js';
export { buildRegion, type InstitutionProfile, type Region } from './region.js';
export {
  RegionAlreadySeededError,
  isRegionSeeded,
  plaintextProtector,
  protectBundle,
  seedRegion,
  type FieldProtector,
  type SeedDatabase,
  type SeedOptions,
  type SeedProgress,
} from './write.js';
