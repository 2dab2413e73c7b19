/** The platform's PKI: CA, institution certificates and signed consent receipts (node-forge). */
export {
  CA_COMMON_NAME,
  ORGANIZATION,
  issueInstitutionCertificate,
  issuedBy,
  loadOrCreatePlatformCa,
  loadOrCreateReceiptSigner,
  type InstitutionCertificate,
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
