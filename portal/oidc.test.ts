/**
 * Production sign-in against a real OpenID Connect provider started here (oidc-provider), not a mock:
 * the browser runs authorisation code + PKCE, and the gateway accepts the resulting access token
 * (verified against the provider's JWKS); the local issuer's tokens and demo sign-in are then refused.
 */
import type { Browser, Page, Response as PageResponse } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, loopbackContext, screenshot, seriousViolations, watchConsole } from '../testkit/browser.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';
import { startIdentityProvider, type TestIdentityProvider } from '../testkit/oidc.js';
import { demoActors } from '../seed/index.js';

const CLIENT_ID = 'healthmesh-portal';
const AUDIENCE = 'https://healthmesh.test/graphql';
const [backend] = testBackends();

describe(`OpenID Connect sign-in (${backend!.name})`, () => {
  let provider: TestIdentityProvider;
  let stack: TestPlatform;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let problems: string[];
  let accessToken: string | undefined;
  const resident = demoActors('healthmesh').find((a) => a.actor === 'resident-multi')!;

  beforeAll(async () => {
    provider = await startIdentityProvider({ 'wang.jiahao': { role: 'resident', resident_id: resident.residentId! } });
    stack = await startTestPlatform(backend!, {
      env: {
        HEALTHMESH_JWT_ISSUER: provider.issuer,
        HEALTHMESH_JWKS_URL: provider.jwksUrl,
        HEALTHMESH_JWT_AUDIENCE: AUDIENCE,
        HEALTHMESH_OIDC_ISSUER: provider.issuer,
        HEALTHMESH_OIDC_CLIENT_ID: CLIENT_ID,
      },
    });
    origin = new URL(stack.platform.gateway.url).origin;
    provider.register({ clientId: CLIENT_ID, origin, audience: AUDIENCE });
    browser = await launchChromium();
    page = await (await loopbackContext(browser, { locale: 'zh-CN' })).newPage();
    problems = watchConsole(page);
    page.on('response', (response: PageResponse) => {
      if (response.url() === `${provider.issuer}/token` && response.ok()) void response.json().then((body: { access_token?: string }) => (accessToken = body.access_token));
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await provider?.stop();
  });

  it('tells the page to sign in at the issuer, allows only that origin besides its own, and offers no demo sign-in', async () => {
    const config = await fetch(`${origin}/portal/config.json`);
    expect(await config.json()).toEqual({ signIn: 'oidc', issuer: provider.issuer, clientId: CLIENT_ID, resource: AUDIENCE, scope: 'openid' });
    expect(config.headers.get('content-security-policy')).toContain(`connect-src 'self' ${provider.issuer}`);
    const demo = await fetch(`${origin}/portal/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actor: 'resident-multi' }) });
    expect(demo.status).toBe(404);
  });

  it('signs in with authorisation code + PKCE in the browser; the portal never sees the password', async () => {
    await page.goto(`${origin}/archive`);
    await page.waitForURL(`${origin}/signin`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'oidc-01-signin');
    const [authorize] = await Promise.all([page.waitForRequest((r) => r.url().startsWith(`${provider.issuer}/auth`)), page.getByRole('button', { name: '使用统一身份认证登录' }).click()]);
    const parameters = new URL(authorize.url()).searchParams;
    expect(parameters.get('code_challenge_method')).toBe('S256');
    expect(parameters.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parameters.get('response_type')).toBe('code');
    expect(parameters.get('resource')).toBe(AUDIENCE);
    // The provider's own (development) login page: any login, any password.
    await page.locator('input[name="login"]').fill('wang.jiahao');
    await page.locator('input[name="password"]').fill('not-seen-by-the-portal');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]', { hasText: 'Continue' }).click();
    await page.waitForURL(`${origin}/archive`);
    await expect.poll(async () => (await page.locator('#identity').textContent()) ?? '').toContain(resident.idCardNumber!);
    await screenshot(page, 'oidc-02-archive');
    expect(page.url()).not.toContain('code=');
  });

  it("the gateway accepts the provider's access token, and refuses the local issuer's", async () => {
    expect(accessToken).toMatch(/^eyJ/);
    const me = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: '{ me { sub role residentId } }' }),
    });
    expect(((await me.json()) as { data: unknown }).data).toEqual({ me: { sub: 'wang.jiahao', role: 'resident', residentId: resident.residentId } });
    const local = await fetch(stack.platform.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.token('resident-multi')}` },
      body: JSON.stringify({ query: '{ me { sub } }' }),
    });
    expect(local.status).toBe(401);
    const stored = await page.evaluate(() => JSON.stringify({ ...(globalThis as unknown as { localStorage: Record<string, string> }).localStorage, ...(globalThis as unknown as { sessionStorage: Record<string, string> }).sessionStorage }));
    expect(stored).not.toContain(accessToken!);
  });

  it('refuses a callback whose state does not match (a forged redirect)', async () => {
    const other = await (await loopbackContext(browser)).newPage();
    await other.goto(`${origin}/callback?code=forged&state=forged`);
    await other.locator('[role="alert"]').waitFor();
    expect(other.url()).toBe(`${origin}/callback?code=forged&state=forged`);
    await other.close();
  });

  it('signs out at the provider too', async () => {
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${origin}/signin`);
    expect(problems).toEqual([]);
  });
});
