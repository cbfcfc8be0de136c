// Issue 21: signing in through an OpenID provider in a real browser. The
// demo server offers a certified provider (npm oidc-provider, started by
// e2e/run.sh) beside passwords; its login form asks who you are. A demo
// account's address is the invitation: the provider vouches for it, and
// the person lands on their desk; a stranger is sent back to the sign-in
// page with the reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, newPage, shoot, takeProblems } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function throughTheProvider(page, who) {
  await page.goto(`${baseUrl()}/login`);
  await axe(page);
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('a:text("Sign in with Test ID")')]);
  await page.fill('#login', who);
  await Promise.all([page.waitForURL((u) => u.toString().startsWith(baseUrl())), page.click('button[type=submit]')]);
  await page.waitForLoadState('load');
}

test('an expert signs in through the identity provider and lands on the desk', async () => {
  const page = await newPage(browser, { others: [process.env.SENIM_OIDC_ISSUER] });
  await throughTheProvider(page, 'expert@ministry.demo');
  assert.match(page.url(), /\/reviewer$/, await page.locator('main').innerText());
  await shoot(page, 'oidc-signed-in');
});

test('an identity no account is linked to is refused with its reason', async () => {
  const page = await newPage(browser, { others: [process.env.SENIM_OIDC_ISSUER] });
  await throughTheProvider(page, 'stranger@nowhere.demo');
  assert.match(new URL(page.url()).pathname, /^\/login\/oidc\/test\/callback/);
  assert.match(await page.locator('.error-summary').innerText(), /no account here is linked/);
  // The refusal is a 401 page: the browser logs its status, as expected.
  const logged = takeProblems(page);
  assert.ok(logged.every((p) => p.includes('401')), logged.join('\n'));
  await axe(page);
});
