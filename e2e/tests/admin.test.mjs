// The administrator adds an organisation (a bad BIN is named on its field,
// nothing is lost) and an account for it; the new developer signs in. Then
// the administrator changes the organisation and closes the account, which
// can no longer sign in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, login, newPage, shoot, takeProblems } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A BIN with its check digit (the two rounds of weights, modulo 11). */
function bin() {
  for (;;) {
    const d = Array.from({ length: 11 }, () => Math.floor(Math.random() * 10));
    const round = (w) => d.reduce((s, x, i) => s + x * w[i], 0) % 11;
    let c = round([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if (c === 10) c = round([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    if (c !== 10) return d.join('') + c;
  }
}

test('the administrator adds an organisation and an account, who signs in', async () => {
  const page = await newPage(browser);
  await login(page, 'admin@senim.demo');
  assert.match(page.url(), /\/admin$/);
  await axe(page);
  await page.locator('summary', { hasText: 'Add an organisation' }).click();
  await page.fill('#org_name_en', 'Steppe Vision LLP');
  await page.fill('#org_bin', '123456789012');
  await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/admin/organisations"] button').click()]);
  assert.match(await page.locator('.error-summary').innerText(), /BIN/);
  assert.equal(await page.inputValue('#org_name_en'), 'Steppe Vision LLP', 'nothing typed is lost');
  takeProblems(page);
  await axe(page);
  await page.fill('#org_bin', bin());
  await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/admin/organisations"] button').click()]);
  assert.match(await page.locator('.banner').innerText(), /organisation was added/);
  await page.locator('summary', { hasText: 'Add an account' }).click();
  await page.fill('#acc_email', 'dev@steppe.example');
  await page.fill('#acc_display_name', 'Aigerim');
  await page.fill('#acc_password', 'a long enough password');
  await page.check('#role-developer');
  await page.selectOption('#acc_organisation_id', { label: 'Steppe Vision LLP' });
  await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/admin/accounts"] button').click()]);
  assert.match(await page.locator('.banner').innerText(), /account was added/);
  await shoot(page, 'admin');
  const dev = await newPage(browser);
  await login(dev, 'dev@steppe.example', 'a long enough password');
  assert.match(dev.url(), /\/developer$/);

  // The organisation's details change from its page.
  await page.goto(`${baseUrl()}/admin?lang=en`);
  await Promise.all([page.waitForLoadState('load'), page.click('a:text-is("Steppe Vision LLP")')]);
  await axe(page);
  await page.fill('#org_phone', '+7 727 123 45 67');
  await Promise.all([page.waitForLoadState('load'), page.locator('main form').first().locator('button[type=submit]').click()]);
  assert.match(await page.locator('.banner').innerText(), /changes were saved/);
  assert.equal(await page.inputValue('#org_phone'), '+7 727 123 45 67');

  // The account is closed only once the box is ticked.
  await page.goto(`${baseUrl()}/admin?lang=en`);
  await Promise.all([page.waitForLoadState('load'), page.click('a:text-is("dev@steppe.example")')]);
  assert.equal(await page.inputValue('#acc_password'), '', 'no password is shown');
  const close = page.locator('form[action$="/close"]');
  await Promise.all([page.waitForLoadState('load'), close.locator('button[type=submit]').click()]);
  assert.match(await page.locator('.error-summary').innerText(), /Tick the box to confirm/);
  takeProblems(page);
  await axe(page);
  await page.check('#confirm');
  await Promise.all([page.waitForLoadState('load'), page.locator('form[action$="/close"] button[type=submit]').click()]);
  assert.match(await page.locator('.banner').innerText(), /It is closed/);
  await shoot(page, 'admin-account-closed');
  const again = await newPage(browser);
  await again.goto(`${baseUrl()}/login`);
  await again.fill('input[name=email]', 'dev@steppe.example');
  await again.fill('input[name=password]', 'a long enough password');
  // The refused sign-in's 401 is logged by the browser; wait for it, then take it.
  const refused = again.waitForEvent('console', (m) => m.type() === 'error');
  await Promise.all([again.waitForLoadState('load'), again.locator('main form button[type=submit]').click()]);
  await refused;
  assert.match(again.url(), /\/login/, 'a closed account cannot sign in');
  await again.locator('.error-summary').waitFor();
  takeProblems(again);
});
