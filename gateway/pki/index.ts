/** The platform's PKI: CA, institution certificates and signed consent receipts (node-forge). */
export {
  CA_COMMON_NAME,
  CertificateRequestError,
  ORGANIZATION,
  issueInstitutionCertificate,
  issuedBy,
  loadOrCreatePlatformCa,
  loadOrCreateReceiptSigner,
  revokeInstitutionCertificate,
  revokedCertificates,
  type InstitutionCertificate,
  type InstitutionCertificateRequest,
  type RevokedCertificate,
  type KeyedCertificate,
  type PlatformCa,
} from './ca.js';
export {
  ReceiptVerificationError,
  canonicalJson,
  consentReceiptContent,
  consentReceiptJson,
  signConsentReceipt,
  verifyConsentReceipt,
  type ConsentReceiptContent,
} from './receipts.js';
export { CRL_PATH, crlRoute, currentCrlDer } from './crl.js';
