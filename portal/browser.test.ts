/**
 * The resident's journey in a real browser (Debian chromium, 390×844): sign in by keyboard, read the
 * archive, approve a clinician's request, see the clinician's read in the log with its grant, revoke
 * that grant from the entry, grant and revoke a consent, act for the ward, download the export; in
 * Chinese and English, with axe-core finding no serious or critical violation on any page.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InPage, launchChromium, loopbackContext, screenshot, seriousViolations, watchConsole } from '../testkit/browser.js';
import { startTestPlatform, testBackends, type TestPlatform } from '../testkit/index.js';

const FhirValidator = createRequire(import.meta.url)('@asymmetrik/fhir-json-schema-validator') as new () => { validate(resource: unknown, verbose: boolean): unknown[] };

// One backend is enough for the browser: the API underneath is tested on both.
const [backend] = testBackends();

describe(`the resident portal in chromium (${backend!.name})`, () => {
  let stack: TestPlatform;
  let browser: Browser;
  let page: Page;
  let origin: string;
  let problems: string[];
  let requestId: string;
  let grantToken: string;
  const residentId = () => stack.actor('resident-multi').residentId!;

  beforeAll(async () => {
    stack = await startTestPlatform(backend!);
    origin = new URL(stack.platform.gateway.url).origin;
    browser = await launchChromium();
    const context = await loopbackContext(browser, { locale: 'zh-CN' });
    page = await context.newPage();
    problems = watchConsole(page);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function accessible(name: string): Promise<void> {
    await screenshot(page, name);
    expect(await seriousViolations(page), name).toEqual([]);
  }

  /** Presses Tab until the focused element matches, as a keyboard-only user would (bounded). */
  async function tabTo(selector: string): Promise<void> {
    for (let presses = 0; presses < 40; presses += 1) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => (globalThis as unknown as InPage).document.activeElement?.matches(s) ?? false, selector)) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  }

  it('signs in with the keyboard alone as a demo resident', async () => {
    await page.goto(`${origin}/`);
    await page.waitForURL(`${origin}/signin`);
    await page.locator('[data-actor="resident-multi"]').waitFor();
    expect(await page.locator('h1').textContent()).toBe('登录居民健康门户');
    await accessible('01-signin-zh');
    await tabTo('[data-actor="resident-multi"]');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/archive`);
    await page.locator('#identity').waitFor();
  });

  it('shows the whole archive: identity in clear, visits, results with flags, a trend, imaging, immunisations, health archive', async () => {
    const me = stack.actor('resident-multi');
    const identity = page.locator('#identity');
    await expect.poll(() => identity.textContent()).toContain(me.idCardNumber!);
    expect(await identity.textContent()).toContain(me.displayName);
    for (const section of ['#encounters', '#labs', '#imaging', '#immunizations', '#health-archive']) expect(await page.locator(section).count(), section).toBe(1);
    expect(await page.locator('#encounters .item').count()).toBeGreaterThan(0);
    expect(await page.locator('#encounters').textContent()).toContain('高血压');
    expect(await page.locator('#labs table').count()).toBeGreaterThan(0);
    expect(await page.locator('#labs .trend svg[role="img"], #labs .trend').count()).toBeGreaterThan(0);
    expect(await page.locator('#health-archive').textContent()).toContain('糖尿病');
    await accessible('02-archive-zh');
  });

  it('approves a request a clinician made through the API', async () => {
    const requested = await stack.query<{ requestAccess: { id: string } }>(
      'clinician-c',
      'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }',
      { input: { residentId: residentId(), categories: ['CLINICAL', 'RESULTS'], purpose: 'TREAT', reason: '会诊：胸痛待查', uses: 2 } },
    );
    requestId = requested.body.data!.requestAccess.id;
    await tabTo('nav a[href="/requests"]');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}/requests`);
    const item = page.locator(`[data-request="${requestId}"]`);
    await item.waitFor();
    const text = (await item.textContent()) ?? '';
    expect(text).toContain('会诊：胸痛待查');
    expect(text).toContain('诊疗记录');
    expect(text).toContain('可使用 2 次');
    await accessible('03-requests-zh');
    await item.getByRole('button', { name: '同意' }).click();
    await expect.poll(async () => (await page.locator(`[data-request="${requestId}"] .status`).textContent()) ?? '').toBe('已同意');
    const mine = await stack.query<{ myAccessRequests: Array<{ id: string; status: string; grantToken: string | null }> }>('clinician-c', '{ myAccessRequests { id status grantToken } }');
    const approved = mine.body.data!.myAccessRequests.find((r) => r.id === requestId)!;
    expect(approved.status).toBe('APPROVED');
    grantToken = approved.grantToken!;
  });

  it("shows the clinician's read in the log with its grant, and revokes that grant from the entry", async () => {
    const read = await stack.query('clinician-c', `{ resident(id: "${residentId()}") { encounters(first: 3) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': grantToken });
    expect(read.body.errors).toBeUndefined();
    await page.locator('nav a[href="/log"]').click();
    const entry = page.locator('[data-basis="GRANT"]').first();
    await entry.waitFor();
    expect(await entry.textContent()).toContain('您批准的授权');
    await accessible('04-log-zh');
    await entry.getByRole('button', { name: '撤回此授权' }).click();
    await expect.poll(async () => (await page.locator('[data-basis="GRANT"]').first().textContent()) ?? '').toContain('已撤回');
    const again = await stack.query('clinician-c', `{ resident(id: "${residentId()}") { encounters(first: 3) { department } } }`, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': grantToken });
    expect(again.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_INVALID');
  });

  it("marks an emergency access, and stops a treating institution from its read's entry", async () => {
    const query = `{ resident(id: "${residentId()}") { encounters(first: 3) { department } } }`;
    const emergency = await stack.query('clinician-b', query, {}, { 'x-purpose-of-use': 'ETREAT', 'x-break-glass-reason': encodeURIComponent('急诊昏迷') });
    expect(emergency.body.errors).toBeUndefined();
    const treating = await stack.query('clinician-a', query, {}, { 'x-purpose-of-use': 'TREAT' });
    expect(treating.body.errors).toBeUndefined();
    await page.locator('nav a[href="/requests"]').click();
    await page.locator('nav a[href="/log"]').click();
    const flagged = page.locator('[data-basis="BREAK_GLASS"]').first();
    await flagged.waitFor();
    expect(await flagged.locator('.badge.alert').textContent()).toBe('紧急访问');
    expect(await flagged.textContent()).toContain('急诊昏迷');
    const care = page.locator('[data-basis="CARE_RELATIONSHIP"]').first();
    expect(await care.textContent()).toContain('诊疗关系');
    await care.getByRole('button', { name: '拒绝该机构继续查看' }).click();
    await care.getByRole('button', { name: '确认' }).click();
    await expect
      .poll(async () => {
        const consents = await stack.query<{ myConsents: Array<{ provision: string; status: string; recipient: { id: string } }> }>('resident-multi', '{ myConsents { provision status recipient { id } } }');
        return consents.body.data!.myConsents.some((c) => c.provision === 'DENY' && c.status === 'ACTIVE' && c.recipient.id === 'inst-01');
      })
      .toBe(true);
    const after = await stack.query('clinician-a', query, {}, { 'x-purpose-of-use': 'TREAT' });
    expect(after.body.errors?.[0]?.extensions?.['code']).toBe('CONSENT_REQUIRED');
  });

  it('grants a consent after showing the notice and its version, downloads its receipt, and revokes it', async () => {
    await page.locator('nav a[href="/consents"]').click();
    const form = page.locator('#new-consent form');
    await form.waitFor();
    expect(await page.locator('#new-consent').textContent()).toContain('告知版本 2026-01');
    await form.locator('select').first().selectOption('INSTITUTION');
    await form.locator('select').nth(1).selectOption('inst-03');
    await form.locator('input[name="category"][value="RESULTS"]').check();
    const submit = form.locator('button[type="submit"]');
    expect(await submit.isDisabled()).toBe(true);
    await form.locator('input[name="notice-read"]').check();
    await accessible('05-consents-zh');
    await submit.click();
    type Consents = { myConsents: Array<{ id: string; status: string; categories: string[]; recipient: { id: string | null } }> };
    const granted = async () =>
      (await stack.query<Consents>('resident-multi', '{ myConsents { id status categories recipient { id } } }')).body.data!.myConsents.find((c) => c.categories.join() === 'RESULTS' && c.recipient.id === 'inst-03');
    await expect.poll(async () => (await granted())?.status).toBe('ACTIVE');
    const consent = page.locator(`[data-consent="${(await granted())!.id}"]`);
    await consent.waitFor();
    expect(await consent.locator('.status').textContent()).toBe('有效');
    const [receipt] = await Promise.all([page.waitForEvent('download'), consent.getByRole('button', { name: '下载签名回执' }).click()]);
    expect(readFileSync((await receipt.path())!, 'utf8')).toContain('-----BEGIN PKCS7-----');
    await consent.getByRole('button', { name: '撤回' }).click();
    await expect.poll(async () => (await consent.locator('.status').textContent()) ?? '').toBe('已撤回');
    expect((await granted())?.status).toBe('REVOKED');
  });

  it('downloads the whole record as FHIR R4', async () => {
    await page.locator('nav a[href="/archive"]').click();
    await page.locator('#export button').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export button').click()]);
    expect(download.suggestedFilename()).toBe(`healthmesh-${residentId()}.fhir.json`);
    const bundle = JSON.parse(readFileSync((await download.path())!, 'utf8')) as { resourceType: string; entry: unknown[] };
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.entry.length).toBeGreaterThan(10);
    expect(new FhirValidator().validate(bundle, true)).toEqual([]);
  });

  it("switches to the ward and acts for them: the ward's archive and export", async () => {
    const ward = stack.actor('resident-child');
    await page.locator('header select').selectOption(ward.residentId!);
    await expect.poll(async () => (await page.locator('#identity').textContent()) ?? '').toContain(ward.displayName);
    await accessible('06-ward-archive-zh');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export button').click()]);
    expect(download.suggestedFilename()).toBe(`healthmesh-${ward.residentId}.fhir.json`);
    await page.locator('nav a[href="/consents"]').click();
    const form = page.locator('#new-consent form');
    await form.waitFor();
    await form.locator('select').first().selectOption('ANYONE');
    await form.locator('input[name="category"][value="PUBLIC_HEALTH"]').check();
    await form.locator('input[name="notice-read"]').check();
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-consent]').filter({ hasText: '公共卫生' }).first().waitFor();
    const consents = await stack.query<{ myConsents: Array<{ residentId: string; guardianId: string | null; categories: string[] }> }>('resident-multi', '{ myConsents { residentId guardianId categories } }');
    expect(consents.body.data!.myConsents.find((c) => c.categories.join() === 'PUBLIC_HEALTH')).toEqual({ residentId: ward.residentId, guardianId: residentId(), categories: ['PUBLIC_HEALTH'] });
  });

  it("shows the ward's access log to the guardian, and revokes a grant for the ward from its entry", async () => {
    const ward = stack.actor('resident-child');
    // A clinician asks for the ward's data; the guardian approves (API); the clinician reads with the grant.
    const requested = await stack.query<{ requestAccess: { id: string } }>(
      'clinician-c',
      'mutation($input: AccessRequestInput!) { requestAccess(input: $input) { id } }',
      { input: { residentId: ward.residentId, categories: ['PUBLIC_HEALTH'], purpose: 'TREAT', reason: '儿科会诊：疫苗接种史', uses: 3 } },
    );
    const wardRequest = requested.body.data!.requestAccess.id;
    const approved = await stack.query<{ approveAccessRequest: { status: string } }>('resident-multi', 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id: wardRequest });
    expect(approved.body.data!.approveAccessRequest.status).toBe('APPROVED');
    // The token is the requester's to fetch.
    const mine = await stack.query<{ myAccessRequests: Array<{ id: string; grantToken: string | null }> }>('clinician-c', '{ myAccessRequests { id grantToken } }');
    const wardGrant = mine.body.data!.myAccessRequests.find((r) => r.id === wardRequest)!.grantToken!;
    const query = `{ resident(id: "${ward.residentId}") { immunizations(first: 3) { vaccineCode } } }`;
    const read = await stack.query('clinician-c', query, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': wardGrant });
    expect(read.body.errors, JSON.stringify(read.body)).toBeUndefined();

    // Still acting for the ward: the log is the ward's, newest first.
    await page.locator('nav a[href="/log"]').click();
    await page.locator('main .badge').filter({ hasText: '被监护人的访问记录' }).waitFor();
    const grantEntry = page.locator('[data-basis="GRANT"]').first();
    await grantEntry.waitFor();
    // In words about the ward, not "your" data.
    expect(await grantEntry.textContent()).toContain(`查看了${ward.displayName}的公共卫生数据`);
    // The entries shown are exactly the ward's (as the ward sees them), none of the guardian's own.
    type Ids = { myAccessLog: { edges: Array<{ node: { id: string } }> } };
    const wardIds = (await stack.query<Ids>('resident-child', '{ myAccessLog(first: 100) { edges { node { id } } } }')).body.data!.myAccessLog.edges.map((e) => e.node.id);
    const ownIds = (await stack.query<Ids>('resident-multi', '{ myAccessLog(first: 100) { edges { node { id } } } }')).body.data!.myAccessLog.edges.map((e) => e.node.id);
    const shown = await page.locator('[data-entry]').evaluateAll((items) => items.map((item) => item.getAttribute('data-entry')!));
    expect(shown.length).toBeGreaterThan(1);
    expect(wardIds).toEqual(expect.arrayContaining(shown));
    expect(shown.filter((id) => ownIds.includes(id))).toEqual([]);
    await accessible('06b-ward-log-zh');

    await grantEntry.getByRole('button', { name: '撤回此授权' }).click();
    await expect.poll(async () => (await page.locator('[data-basis="GRANT"]').first().textContent()) ?? '').toContain('已撤回');
    const again = await stack.query('clinician-c', query, {}, { 'x-purpose-of-use': 'TREAT', 'x-access-grant': wardGrant });
    expect(again.body.errors?.[0]?.extensions?.['code']).toBe('GRANT_INVALID');
    await page.locator('header select').selectOption(residentId());
  });

  it('switches to English, and every page reads in English', async () => {
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await expect.poll(() => page.locator('nav').textContent()).toContain('Access log');
    // The page's language is set once the render is committed: poll it like the text.
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as InPage).document.documentElement.lang)).toBe('en');
    for (const [path, heading, shot] of [
      ['/archive', 'Record', '07-archive-en'],
      ['/requests', 'Access requests', '08-requests-en'],
      ['/consents', 'Consents', '09-consents-en'],
      ['/log', 'Access log', '10-log-en'],
    ] as const) {
      await page.locator(`nav a[href="${path}"]`).click();
      await expect.poll(() => page.locator('main h1').textContent()).toBe(heading);
      await page.locator('main .card').first().waitFor();
      await accessible(shot);
    }
    expect(await page.locator('[data-basis="GRANT"]').first().textContent()).toContain('A grant you approved');
  });

  it('signs out: the token was only in memory, and nothing of it is left in storage', async () => {
    const stored = await page.evaluate(() => {
      const browser = globalThis as unknown as InPage;
      return JSON.stringify({ local: { ...browser.localStorage }, session: { ...browser.sessionStorage }, cookie: browser.document.cookie });
    });
    expect(stored).not.toMatch(/eyJ/);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${origin}/signin`);
    await page.reload();
    await page.locator('[data-actor]').first().waitFor();
    expect(page.url()).toBe(`${origin}/signin`);
  });

  it('ran without a script error or a CSP refusal', () => {
    expect(problems).toEqual([]);
  });
});
