// The smallest end-to-end check: the home page loads, has a title, passes
// axe's WCAG 2.1 AA rules and is photographed; /healthz answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, newPage, shoot } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the home page loads, is accessible and is photographed', async () => {
  const page = await newPage(browser);
  const response = await page.goto(`${baseUrl()}/`);
  assert.equal(response.status(), 200);
  assert.notEqual((await page.title()).trim(), '', 'the page has an empty <title>');
  await axe(page);
  await shoot(page, 'home');
});

test('the home page works without JavaScript', async () => {
  const page = await newPage(browser, { javaScript: false });
  const response = await page.goto(`${baseUrl()}/`);
  assert.equal(response.status(), 200);
  await axe(page);
});

test('/healthz answers ok', async () => {
  const response = await fetch(`${baseUrl()}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});
