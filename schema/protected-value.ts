/**
 * What a subgraph may know about protected values without any key: the shape of a field ciphertext
 * (`hm1.<alg>.<keyRef>.<iv>.<ciphertext>`, written by the gateway's keyring) and of a blind index
 * (`bi1.<kind>.<hmac>`). A subgraph refuses an identifying field that is not in this shape, so
 * plaintext can never be stored by mistake.
 */
const FIELD_CIPHERTEXT = /^hm1\.[a-z0-9]+\.[A-Za-z0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BLIND_INDEX = /^bi1\.[A-Za-z]+\.[A-Za-z0-9_-]+$/;

export function looksLikeFieldCiphertext(value: unknown): value is string {
  return typeof value === 'string' && FIELD_CIPHERTEXT.test(value);
}

export function looksLikeBlindIndex(value: unknown, kind?: 'idCard' | 'healthCard' | 'phone'): value is string {
  return typeof value === 'string' && BLIND_INDEX.test(value) && (kind === undefined || value.startsWith(`bi1.${kind}.`));
}
