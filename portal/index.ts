/** The resident portal (DESIGN §2): its HTTP routes for the gateway, and the FHIR export. */
export { portalRoutes, type PortalOptions, type PortalDemoResident, type PortalOidcOptions } from './routes.js';
export { toFhirBundle, fhirId, type FhirBundle, type FhirResource } from './fhir.js';
export { portalSecurityHeaders } from './headers.js';
export { FHIR_EXPORT_PATH } from './export.js';
