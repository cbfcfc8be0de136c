// Forms that carry a file, by clicking: a data steward publishes a dataset's
// description (a missing field is named, nothing typed is lost) and adds its
// file, which the public then finds with its columns and downloads; an
// auditor sends a predictions file to an audit and reads the run's figures.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { axe, baseUrl, launch, login, newPage, shoot, takeProblems } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const TITLE = `Ward triage outcomes ${Date.now()}`;
const CSV = 'category,outcome,age_band\nred,admitted,60+\ngreen,discharged,18-29\nyellow,admitted,30-44\n';

test('a data steward publishes a dataset and adds its file; the public downloads it', async () => {
  const page = await newPage(browser);
  await login(page, 'data_steward@hospital.demo');
  assert.match(page.url(), /\/steward$/);
  await Promise.all([page.waitForLoadState('load'), page.click('main a[href="/steward/datasets/new"]')]);
  await axe(page);
  await page.fill('#title_en', TITLE);
  await page.check('#personal_data-true');
  await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit]')]);
  const summary = await page.locator('.error-summary').innerText();
  assert.match(summary, /Description: this is required/);
  assert.match(summary, /Legal basis for the personal data: this is required/);
  assert.equal(await page.inputValue('#title_en'), TITLE, 'nothing typed is lost');
  takeProblems(page);
  await axe(page);
  await shoot(page, 'steward-dataset-problems');
  await page.fill('#description_en', 'Triage category and outcome of each emergency admission, anonymised.');
  await page.fill('#description_ru', 'Категория сортировки и исход каждой экстренной госпитализации, обезличенные.');
  await page.fill('#keywords', 'triage, emergency');
  await page.check('#theme-health');
  await page.fill('#temporal_start', '2024-01-01');
  await page.fill('#temporal_end', '2024-12-31');
  await page.fill('#producer_name', 'City Hospital No. 1');
  await page.selectOption('#licence', 'CC-BY-4.0');
  await page.selectOption('#legal_basis', 'anonymised');
  await page.check('#access-open');
  await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit]')]);
  assert.match(page.url(), /\/library\/[0-9a-f-]+\?done=published$/);
  const datasetPath = new URL(page.url()).pathname;
  assert.match(await page.locator('.banner').innerText(), /published/);

  await page.setInputFiles('#file', { name: 'triage.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
  await Promise.all([page.waitForLoadState('load'), page.click(`form[action="${datasetPath}/files"] button[type=submit]`)]);
  assert.match(page.url(), /done=file-added$/);
  const row = page.locator('tr', { hasText: 'triage.csv' });
  assert.match(await row.innerText(), /3 × 3/, 'the columns were read');
  await axe(page);
  await shoot(page, 'steward-dataset-file');

  // The public finds it in the library and downloads the same bytes.
  const pub = await newPage(browser);
  await pub.goto(`${baseUrl()}/library?q=${encodeURIComponent('triage')}`);
  await Promise.all([pub.waitForLoadState('load'), pub.click(`a:text-is("${TITLE}")`)]);
  assert.equal(new URL(pub.url()).pathname, datasetPath);
  assert.equal(await pub.locator('form[enctype="multipart/form-data"]').count(), 0, 'no upload form for the public');
  const href = await pub.locator('a', { hasText: 'triage.csv' }).getAttribute('href');
  const file = await fetch(`${baseUrl()}${href}`);
  assert.equal(await file.text(), CSV);
});

test('an auditor sends a predictions file to an audit and reads the run', async () => {
  const page = await newPage(browser);
  await login(page, 'auditor@audit.demo');
  await Promise.all([page.waitForLoadState('load'), page.locator('main a[href^="/desk/cases/"]').first().click()]);
  const details = page.locator('details:has(input[name=action][value=metrics])');
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  const form = details.locator('form');
  await form.locator('input[name=y_true]').fill('repaid');
  await form.locator('input[name=y_pred]').fill('approved');
  await form.locator('input[name=sensitive]').fill('gender');
  const csv = readFileSync(new URL('../../examples/credit-predictions.csv', import.meta.url));
  await form.locator('input[type=file]').setInputFiles({ name: 'credit-predictions.csv', mimeType: 'text/csv', buffer: csv });
  await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
  // A column the file does not have is named, beside its field.
  assert.match(await page.locator('.error-summary').innerText(), /Predictions file: column "gender" not found/);
  takeProblems(page);
  const again = page.locator('details:has(input[name=action][value=metrics]) form');
  assert.equal(await again.locator('input[name=y_true]').inputValue(), 'repaid', 'nothing typed is lost');
  await again.locator('input[name=sensitive]').fill('sex');
  await again.locator('input[name=score]').fill('score');
  await again.locator('input[name=privileged]').fill('sex=male');
  await again.locator('input[type=file]').setInputFiles({ name: 'credit-predictions.csv', mimeType: 'text/csv', buffer: csv });
  await Promise.all([page.waitForLoadState('load'), again.locator('button[type=submit]').click()]);
  assert.match(page.url(), /done=metrics$/);
  const main = await page.locator('main').innerText();
  assert.match(main, /Run 1/);
  assert.match(main, /demographic_parity_difference/);
  assert.match(main, /sex=female/);
  assert.match(main, /400 rows/);
  await axe(page);
  await shoot(page, 'case-audit-metrics');
  const report = await page.locator('a', { hasText: 'The whole report' }).getAttribute('href');
  const body = await page.evaluate(async (href) => (await fetch(href)).json(), report);
  assert.equal(body.input.rows_read, 400);
});
