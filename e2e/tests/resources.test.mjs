// What an award buys, by clicking: the public reads the Platform's resources
// in Russian on a phone; the start-up exchanges credits of its accepted award
// for days of a ready model, the Platform's compute team approves it from
// its desk and reports a day's use of the running GPU allocation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, login, newPage, shoot, stepForm, submitRefused, submitStep } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** A day as YYYY-MM-DD, `offset` days from today in Kazakhstan (UTC+5), as the server counts days. */
function day(offset) {
  return new Date(Date.now() + 5 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10);
}

test('the public reads the resources in Russian on a phone', async () => {
  const page = await newPage(browser, { locale: 'ru-RU', width: 390 });
  await page.goto(`${baseUrl()}/programmes/resources`);
  assert.match(await page.locator('h1').innerText(), /Ресурсы Платформы/);
  const main = await page.locator('main').innerText();
  assert.match(main, /GPU-кластер/);
  assert.match(main, /Apache-2.0/);
  await axe(page);
  await shoot(page, 'resources-ru-phone');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `the resources page fits a phone (${scrollWidth}px wide)`);
});

test('the programmes\' statistics in Kazakh on a phone', async () => {
  const page = await newPage(browser, { locale: 'kk-KZ', width: 390 });
  await page.goto(`${baseUrl()}/programmes/statistics`);
  assert.match(await page.locator('h1').innerText(), /Бағдарламалар статистикасы/);
  const main = await page.locator('main').innerText();
  assert.match(main, /Конкурстар бойынша/);
  assert.match(main, /Денсаулық сақтау/);
  await axe(page);
  await shoot(page, 'programme-statistics-kk-phone');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `the statistics fit a phone (${scrollWidth}px wide)`);
});

test('an awardee exchanges credits, the provider approves and reports usage', async () => {
  // The start-up finds its award on its desk and exchanges credits for
  // forty days of the clinical language model.
  const awardee = await newPage(browser);
  await login(awardee, 'developer@startup.demo');
  const row = awardee.locator('main tr', { hasText: 'Kazakh speech recognition' }).first();
  await Promise.all([awardee.waitForLoadState('load'), row.locator('a').click()]);
  assert.match(await awardee.locator('main').innerText(), /Credits left to exchange/);
  await axe(awardee);
  let form = await stepForm(awardee, 'request_allocation');
  // Too early a start is named beside its field, and nothing is opened.
  await form.getByLabel(/clinical language model/).check();
  await form.locator('input[name=units]').fill('40');
  await form.locator('input[name=starts]').fill(day(-30));
  await form.locator('input[name=ends]').fill(day(45));
  await submitRefused(awardee, form);
  assert.match(await awardee.locator('main').innerText(), /must be today/);
  form = await stepForm(awardee, 'request_allocation');
  await form.getByLabel(/clinical language model/).check();
  await form.locator('input[name=starts]').fill(day(0));
  await submitStep(awardee, form);
  assert.match(awardee.url(), /done=request_allocation/, await awardee.locator('main').innerText());
  assert.match(await awardee.locator('main').innerText(), /Requested/);
  await shoot(awardee, 'allocation-requested');
  const allocation = new URL(awardee.url()).pathname;

  // The compute team's desk lists it first; they approve it with
  // instructions.
  const provider = await newPage(browser);
  await login(provider, 'compute@platform.demo');
  assert.match(provider.url(), /\/resources\/desk$/);
  await axe(provider);
  await shoot(provider, 'resource-desk');
  await provider.goto(`${baseUrl()}${allocation}`);
  form = await stepForm(provider, 'approve_allocation');
  await form.locator('textarea[name=instructions]').fill('Token on https://models.platform.kz/clinical; 40 days.');
  await submitStep(provider, form);
  assert.match(await provider.locator('main').innerText(), /In use/);

  // And reports a day's use of the start-up's running GPU allocation.
  await provider.goto(`${baseUrl()}/resources/desk`);
  const gpu = provider.locator('main tr', { hasText: 'GPU-hours' }).first();
  await Promise.all([provider.waitForLoadState('load'), gpu.locator('a').click()]);
  const before = await provider.locator('main').innerText();
  assert.match(before, /1650 of 3000/);
  form = await stepForm(provider, 'report_usage');
  await form.locator('input[name=day]').fill(day(0));
  await form.locator('input[name=units]').fill('150');
  await submitStep(provider, form);
  assert.match(await provider.locator('main').innerText(), /1800 of 3000/);
  await axe(provider);

  // The awardee sees the model's allocation in use, with its instructions.
  await awardee.goto(`${baseUrl()}${allocation}`);
  assert.match(await awardee.locator('main').innerText(), /models\.platform\.kz/);
});

test('the compute team assesses the GPU-hours an application asks for', async () => {
  // Admission asked the cluster's team to assess the hospital's 2,500
  // GPU-hours; the application waits on their desk, and they open it.
  const provider = await newPage(browser);
  await login(provider, 'compute@platform.demo');
  await provider.goto(`${baseUrl()}/resources/desk`);
  const waiting = provider.locator('#assess + .table-wrap a');
  assert.equal(await waiting.count(), 1, await provider.locator('main').innerText());
  await Promise.all([provider.waitForLoadState('load'), waiting.click()]);
  const main = await provider.locator('main').innerText();
  assert.match(main, /National GPU cluster \(A100\) · 2500 · awaited from the provider/);
  // A joint application: the university validates the model with the hospital.
  assert.match(main, /Partner organisations\s+.*Saryarka University of Technology.*\(960640005526\)/);
  await axe(provider);
  const form = await stepForm(provider, 'assess_feasibility');
  await form.getByLabel(/GPU cluster/).check();
  await form.locator('input[name=feasible][value=true]').check();
  await form.locator('textarea[name=note]').fill('2,500 GPU-hours fit the next quarter.');
  await submitStep(provider, form);
  assert.match(provider.url(), /done=assess_feasibility/, await provider.locator('main').innerText());
  assert.match(await provider.locator('main').innerText(), /feasible — 2,500 GPU-hours fit/);
  await shoot(provider, 'assessment-done');
  // Assessed, it leaves the desk's queue.
  await provider.goto(`${baseUrl()}/resources/desk`);
  assert.match(await provider.locator('main').innerText(), /No application is waiting for your assessment/);
});
