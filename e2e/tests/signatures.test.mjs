// Issue 21, item 3: a supervisor signs a decision with the signing key of
// their electronic digital signature. e2e/run.sh links the test
// organisation employee's IIN (tools/test-pki, org-signer) to the demo
// supervisor; NCALayer's part is played by the test key (lib.mjs,
// withTestKey). The decision (a suspension) is then lifted, signed too, so
// the demo stays as the other tests expect it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, login, newPage, shoot, stepForm, withTestKey } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function signed(page, action, reasons) {
  const form = await stepForm(page, action);
  await form.locator('textarea[name=reasons]').fill(reasons);
  await form.locator('input[name=sign]').check();
  await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
  assert.match(await page.locator('h1').innerText(), /Sign the decision/);
  assert.match(await page.locator('#document').innerText(), new RegExp(reasons));
  await axe(page);
  await shoot(page, `sign-${action}`);
  await Promise.all([page.waitForURL(new RegExp(`done=${action}`)), page.click('button:text("Sign with NCALayer and decide")')]);
}

test('a supervisor signs a suspension and its lifting with an EDS', async () => {
  const page = await newPage(browser);
  await withTestKey(page, 'org-signer');
  await login(page, 'supervisor@ministry.demo');
  const answer = await page.request.get(`${baseUrl()}/api/v1/cases?kind=registration&state=registered&limit=1`);
  assert.equal(answer.status(), 200);
  const [registered] = (await answer.json()).items;
  assert.ok(registered, 'the demo has a registered system');
  await page.goto(`${baseUrl()}/desk/cases/${registered.id}`);

  await signed(page, 'suspend', 'Incident under investigation, signed.');
  const text = await page.locator('main').innerText();
  assert.match(text, /Signatures/);
  assert.match(text, /АХМЕТОВА АЙГҮЛ/);
  const files = page.locator('.signatures a');
  assert.equal(await files.count(), 2);
  const signature = await page.request.get(new URL(await files.first().getAttribute('href'), baseUrl()).toString());
  assert.equal(signature.status(), 200);
  assert.equal(signature.headers()['content-type'], 'application/pkcs7-signature');
  await axe(page);
  await shoot(page, 'signed-decision');

  await signed(page, 'reinstate', 'Investigation closed, signed.');
  assert.equal(await page.locator('.signatures li').count(), 2);
});
