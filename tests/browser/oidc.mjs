// The web form's sign-in with the force's identity provider, in headless Chromium (Debian's, driven by
// playwright-core): from the form's button to the provider's own login page (oidc-provider, run by
// tests/oidc/provider.mjs), back to "My cases" with the app's session, a record read with the reason
// chosen before leaving, and sign-out offering the provider's end-session page. tests/api/oidc.rs starts
// the provider and the app and passes APP_URL and ISSUER.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const url = process.env.APP_URL;
const issuer = process.env.ISSUER;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const failures = [];
try {
  const context = await browser.newContext({ viewport: { width: 375, height: 780 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
  await page.goto(url);
  await page.waitForSelector('h1:has-text("Sign in")');
  await page.check('input[name="reason"][value="safeguarding"]');
  await page.click('button:has-text("Sign in with your force account")');
  // The provider's own page.
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.fill('input[name="login"]', 'officer-1');
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.waitForSelector('h1:has-text("My cases")', { timeout: 15000 });
  assert.ok(page.url().startsWith(url), page.url());

  // The app's own cookie, HttpOnly and SameSite=Strict; nothing of the provider's in the page's storage.
  const cookies = await context.cookies(url);
  const session = cookies.find((c) => c.name.endsWith('sr_session'));
  assert.ok(session, JSON.stringify(cookies.map((c) => c.name)));
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.cookie);
  assert.ok(!stored.includes('eyJ'), 'no provider token in the page');
  const me = await page.evaluate(() => JSON.parse(sessionStorage.getItem('session')));
  assert.equal(me.subject, '1234');
  assert.equal(me.role, 'officer');
  assert.equal(me.reason, 'safeguarding');
  assert.ok(me.csrf, 'the CSRF token, read back from the API');

  // A change with the cookie and the CSRF token works (the form's own request).
  const created = await page.evaluate(async (csrf) => {
    const response = await fetch('/api/v1/session', { headers: { 'x-csrf-token': csrf } });
    return response.status;
  }, me.csrf);
  assert.equal(created, 200);

  // Sign-out: the app's session ends, and the provider's end-session page is offered.
  await page.goto(`${url}/#/sign-out`);
  await page.waitForURL((u) => u.href.startsWith(`${issuer}/session/end`), { timeout: 15000 });
  const after = await page.evaluate(async (app) => (await fetch(`${app}/api/v1/session`).catch(() => null))?.status, url).catch(() => null);
  assert.notEqual(after, 200);
} catch (error) {
  failures.push(String(error?.stack || error));
}
await browser.close();
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('oidc browser test passed');
