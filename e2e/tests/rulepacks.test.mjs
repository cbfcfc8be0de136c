// A supervisor publishes a new version of the rule set in force: the text
// is checked, a mistake is reported by line, the change report is previewed,
// then published; the register is classified again.
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

test('a supervisor checks, previews and publishes a rule set version', async () => {
  const list = await (await fetch(`${baseUrl()}/api/v1/rulepacks`)).json();
  const inForce = list.items.find((p) => p.in_force);
  const pack = await (await fetch(`${baseUrl()}/api/v1/rulepacks/${inForce.id}/${inForce.version}`)).json();
  let bumped;
  const next = pack.source.replace(/^version\s*=\s*"(\d+)\.(\d+)\.(\d+)"/m, (_, a, b, c) => {
    bumped = `${a}.${b}.${Number(c) + 1}`;
    return `version = "${bumped}"`;
  });
  assert.notEqual(next, pack.source, 'the version line was found');

  const page = await newPage(browser);
  await login(page, 'supervisor@ministry.demo');
  await page.goto(`${baseUrl()}/supervisor/rulepacks`);
  await axe(page);
  // The same version again: refused, with the reason, nothing published.
  await page.fill('#source', pack.source);
  await Promise.all([page.waitForLoadState('load'), page.click('button[name=preview]')]);
  assert.match(await page.locator('.error-summary').innerText(), /higher version/);
  assert.ok(takeProblems(page).every((p) => p.includes('422')));
  // A broken text: its problem by line.
  await page.fill('#source', `${next}\n[[rules]]\nid = 7\n`);
  await Promise.all([page.waitForLoadState('load'), page.click('button[name=preview]')]);
  assert.match(await page.locator('.error-summary').innerText(), /Line \d+/);
  takeProblems(page);
  // The next version: previewed, then published.
  await page.fill('#source', next);
  await Promise.all([page.waitForLoadState('load'), page.click('button[name=preview]')]);
  assert.match(await page.locator('section.inset').innerText(), /classified again/);
  await axe(page);
  await shoot(page, 'rulepacks-preview');
  await Promise.all([page.waitForLoadState('load'), page.click('button[name=publish]')]);
  assert.ok((await page.locator('.banner').innerText()).includes(bumped));
  const after = await (await fetch(`${baseUrl()}/api/v1/rulepacks`)).json();
  assert.ok(after.items.some((p) => p.in_force && p.version === bumped));
});
