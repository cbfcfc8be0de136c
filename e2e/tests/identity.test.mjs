// Issue 21: signing in through an OpenID provider in a real browser. The
// demo server offers a certified provider (npm oidc-provider, started by
// e2e/run.sh) beside passwords; its login form asks who you are. A demo
// account's address is the invitation: the provider vouches for it, and
// the person lands on their desk; a stranger is sent back to the sign-in
// page with the reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, newPage, shoot, signWith, takeProblems, withTestKey } from '../lib.mjs';

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

// Issue 21, item 2: signing in with an electronic digital signature. The
// demo server trusts the test PKI (tools/test-pki/make.sh, made by
// e2e/run.sh, which links the test person's IIN to the expert's account).
// NCALayer is not on this machine: the page's signer is replaced by one
// that signs with the test key through openssl (lib.mjs, withTestKey), as
// NCALayer would with the person's key.
test('an expert signs in with the authentication key of an EDS', async () => {
  const page = await newPage(browser);
  await withTestKey(page, 'person');
  await page.goto(`${baseUrl()}/login`);
  await page.click('a:text("Sign in with an electronic digital signature (EDS)")');
  await page.waitForURL(/\/login\/signature/);
  await axe(page);
  await shoot(page, 'eds-sign-in');
  await Promise.all([page.waitForURL(/\/reviewer$/), page.click('button:text("Sign with NCALayer")')]);
  assert.match(await page.locator('main').innerText(), /Expert/i);
});

test('a revoked key is refused with its reason, in Kazakh', async () => {
  const page = await newPage(browser, { locale: 'kk-KZ' });
  await withTestKey(page, 'revoked');
  await page.goto(`${baseUrl()}/login/signature`);
  await Promise.all([page.waitForLoadState('load'), page.click('[data-eds-sign]')]);
  await page.waitForSelector('.error-summary');
  assert.match(await page.locator('.error-summary').innerText(), /кері қайтарылған тіркеу куәлігімен/);
  const logged = takeProblems(page);
  assert.ok(logged.every((p) => p.includes('401')), logged.join('\n'));
  await axe(page);
});

test('without NCALayer the page says so and takes a pasted signature', async () => {
  const page = await newPage(browser, { width: 375 });
  await page.goto(`${baseUrl()}/login/signature`);
  await page.click('[data-eds-sign]');
  await page.waitForFunction(() => document.querySelector('details').open);
  assert.match(await page.locator('[data-eds-status]').innerText(), /NCALayer does not answer/);
  const nonce = await page.locator('input[name=nonce]').inputValue();
  await page.fill('#signature', signWith('person', Buffer.from(nonce).toString('base64')));
  await shoot(page, 'eds-sign-in-pasted-phone');
  await Promise.all([page.waitForURL(/\/reviewer$/), page.click('button:text("Sign in")')]);
  // The refused websocket to the absent NCALayer is logged by the browser.
  takeProblems(page);
});
