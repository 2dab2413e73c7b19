import { afterEach, describe, expect, it, vi } from 'vitest';
import { GraphQLError } from 'graphql';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createAuthenticator } from './authenticate.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'healthmesh';

async function issuer() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA');
  const token = (claims: Record<string, unknown>, { exp, nbf }: { exp: number; nbf?: number }) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('clinician-a').setExpirationTime(exp);
    if (nbf !== undefined) jwt.setNotBefore(nbf);
    return jwt.sign(privateKey);
  };
  return { publicKey: publicKey as CryptoKey, token };
}

const CLINICIAN = { role: 'clinician', institution_id: 'inst-01', practitioner_id: 'prac-01' };

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  return (error as GraphQLError).extensions['code'];
}

describe('createAuthenticator: a verified token is remembered, never past its exp or before its nbf', () => {
  afterEach(() => vi.useRealTimers());

  it('answers the same actor for the same token, and a copy each time', async () => {
    const { publicKey, token } = await issuer();
    const authenticate = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey });
    const header = `Bearer ${await token(CLINICIAN, { exp: Math.floor(Date.now() / 1000) + 600 })}`;
    const first = await authenticate(header);
    expect(first).toEqual({ sub: 'clinician-a', role: 'clinician', institutionId: 'inst-01', practitionerId: 'prac-01' });
    first!.role = 'steward';
    expect(await authenticate(header)).toMatchObject({ role: 'clinician' });
  });

  it('refuses a remembered token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2026-12-01T12:00:00Z');
    vi.setSystemTime(start);
    const { publicKey, token } = await issuer();
    const authenticate = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey });
    const header = `Bearer ${await token(CLINICIAN, { exp: start.getTime() / 1000 + 30 })}`;
    expect(await authenticate(header)).toMatchObject({ sub: 'clinician-a' });
    vi.setSystemTime(new Date(start.getTime() + 31_000));
    expect(await refusal(authenticate(header))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token before its nbf, and does not remember it as good', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2026-12-01T12:00:00Z');
    vi.setSystemTime(start);
    const { publicKey, token } = await issuer();
    const authenticate = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey });
    const header = `Bearer ${await token(CLINICIAN, { exp: start.getTime() / 1000 + 600, nbf: start.getTime() / 1000 + 60 })}`;
    expect(await refusal(authenticate(header))).toBe('UNAUTHENTICATED');
    vi.setSystemTime(new Date(start.getTime() + 61_000));
    expect(await authenticate(header)).toMatchObject({ sub: 'clinician-a' });
  });

  it('verifies every other token: a forged one is refused while a good one is remembered', async () => {
    const { publicKey, token } = await issuer();
    const forger = await issuer();
    const authenticate = createAuthenticator({ issuer: ISSUER, audience: AUDIENCE, keys: publicKey });
    const exp = Math.floor(Date.now() / 1000) + 600;
    expect(await authenticate(`Bearer ${await token(CLINICIAN, { exp })}`)).toMatchObject({ role: 'clinician' });
    expect(await refusal(authenticate(`Bearer ${await forger.token({ ...CLINICIAN, role: 'steward' }, { exp })}`))).toBe('UNAUTHENTICATED');
  });
});
