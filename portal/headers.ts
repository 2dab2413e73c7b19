/**
 * Security headers on every portal response: no inline script, no eval, no framing, no referrer
 * leaking a client route, no content sniffing. The identity provider's origin is the only other place
 * the page may talk to (the OpenID Connect token exchange), and the only other place a form may go.
 */
export interface PortalHeaderOptions {
  /** The OpenID Connect issuer's origin, when production sign-in is configured. */
  identityProviderOrigin?: string;
}

export function portalSecurityHeaders(options: PortalHeaderOptions = {}): Record<string, string> {
  const provider = options.identityProviderOrigin ? ` ${options.identityProviderOrigin}` : '';
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${provider}`,
    `form-action 'self'${provider}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}
