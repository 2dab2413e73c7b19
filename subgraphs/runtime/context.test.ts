import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFetchSigner, type FetchSigner } from '../../gateway/stages/sign-context.js';
import { CONTEXT_BODY_DIGEST_CLAIM, CONTEXT_ISSUER, contextBodyDigest, type GatewayContextClaims } from '../../schema/context.js';
import { createContextVerifier, type ContextVerifier } from './context.js';
import { ReplayCache } from './replay-cache.js';

const claims: GatewayContextClaims = { requestId: 'req-1', actor: { sub: 'resident-1', role: 'resident', residentId: 'res-1' } };
const body = JSON.stringify({ query: '{ me { sub } }' });
const bytes = (text: string) => Buffer.from(text, 'utf8');

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'accepted',
    (error: { extensions?: { code?: string; http?: { status?: number } } }) => [error.extensions?.code, error.extensions?.http?.status],
  );
}

describe('verifying a signed context', () => {
  let sign: FetchSigner;
  let otherKeySign: FetchSigner;
  let verify: ContextVerifier;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    privateKey = pair.privateKey;
    sign = createFetchSigner(pair.privateKey, 'k1');
    otherKeySign = createFetchSigner((await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey, 'k1');
    verify = createContextVerifier(pair.publicKey, { audience: 'consent', replayCache: new ReplayCache(100) });
  });

  it('accepts a context signed for this subgraph and this body once, with its claims', async () => {
    const token = await sign({ subgraph: 'consent', body, claims });
    expect(await verify(token, bytes(body))).toEqual(claims);
    expect(await refusal(verify(token, bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
  });

  it('refuses a missing context, another audience and another body with 401 UNAUTHENTICATED', async () => {
    expect(await refusal(verify(undefined, bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
    expect(await refusal(verify(await sign({ subgraph: 'clinical', body, claims }), bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
    expect(await refusal(verify(await sign({ subgraph: 'consent', body, claims }), bytes(`${body}\n`)))).toEqual(['UNAUTHENTICATED', 401]);
  });

  it('does not let a forged context with a real context id use that id up', async () => {
    const real = await sign({ subgraph: 'consent', body, claims });
    const { jti } = JSON.parse(Buffer.from(real.split('.')[1]!, 'base64url').toString()) as { jti: string };
    const forged = await new SignJWT({ ctx: claims, [CONTEXT_BODY_DIGEST_CLAIM]: contextBodyDigest(body) })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setIssuer(CONTEXT_ISSUER)
      .setAudience('consent')
      .setIssuedAt()
      .setExpirationTime('10s')
      .setJti(jti)
      .sign((await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey);
    expect(await refusal(verify(forged, bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
    expect(await refusal(verify(await otherKeySign({ subgraph: 'consent', body, claims }), bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
    expect(await verify(real, bytes(body))).toEqual(claims);
  });

  it('refuses a context without an id or a digest, even when signed by the gateway key', async () => {
    const base = () =>
      new SignJWT({ ctx: claims, [CONTEXT_BODY_DIGEST_CLAIM]: contextBodyDigest(body) }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer(CONTEXT_ISSUER).setAudience('consent').setIssuedAt().setExpirationTime('10s');
    expect(await refusal(verify(await base().sign(privateKey), bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
    const withoutDigest = await new SignJWT({ ctx: claims }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setIssuer(CONTEXT_ISSUER).setAudience('consent').setIssuedAt().setExpirationTime('10s').setJti('j-1').sign(privateKey);
    expect(await refusal(verify(withoutDigest, bytes(body)))).toEqual(['UNAUTHENTICATED', 401]);
    expect(await verify(await base().setJti('j-2').sign(privateKey), bytes(body))).toEqual(claims);
  });
});
