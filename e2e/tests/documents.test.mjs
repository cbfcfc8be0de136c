// Issue 21, item 4: the documents people download, in a real browser, in
// Kazakh, Russian and English: from a registered demo system's page, its
// registration certificate and an extract from the register as of today;
// from a published decision's page, the decision; from a closed audit's
// page, its report, for the audit's parties. Each download is a PDF that
// qpdf --check passes and whose text (poppler's pdftotext; scripts/test.sh
// installs both) is in the page's language and names what it is about.
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { axe, baseUrl, launch, login, newPage, shoot, stepForm, submitStep } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const TITLES = {
  'kk-KZ': ['Жасанды интеллект жүйесін тіркеу туралы куәлік', 'Жасанды интеллект жүйелерінің тізілімінен үзінді'],
  'ru-RU': ['Свидетельство о регистрации системы искусственного интеллекта', 'Выписка из реестра систем искусственного интеллекта'],
  'en-US': ['Certificate of registration of an artificial intelligence system', 'Extract from the register of artificial intelligence systems'],
};

async function text(download) {
  const file = await download.path();
  const head = execFileSync('head', ['-c', '5', file]).toString();
  assert.equal(head, '%PDF-');
  execFileSync('qpdf', ['--check', file]);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']).toString().split(/\s+/).join(' ');
}

for (const [locale, [certificate, extract]] of Object.entries(TITLES)) {
  test(`a registered system's certificate and extract download in ${locale}`, async () => {
    const page = await newPage(browser, { locale });
    const answer = await page.request.get(`${baseUrl()}/api/v1/systems?status=registered&limit=1`);
    const [system] = (await answer.json()).items;
    await page.goto(`${baseUrl()}/systems/${system.id}`);
    await axe(page);
    if (locale === 'kk-KZ') await shoot(page, 'system-documents');

    const [first] = await Promise.all([page.waitForEvent('download'), page.click('a[download][href$="certificate.pdf"]')]);
    const words = await text(first);
    assert.ok(words.includes(certificate), words);
    assert.ok(words.includes(system.registry_number), words);

    const [second] = await Promise.all([page.waitForEvent('download'), page.click('form[action$="extract.pdf"] button[type=submit]')]);
    const more = await text(second);
    assert.ok(more.includes(extract), more);
    assert.ok(more.includes(system.registry_number), more);
  });
}

const DECISION = {
  'kk-KZ': ['Бұзушылық және әкімшілік жаза туралы шешім', 'Аудит есебі (PDF)', 'Жасанды интеллект жүйесінің аудиті туралы есеп'],
  'ru-RU': ['Решение о нарушении и административном взыскании', 'Отчёт об аудите (PDF)', 'Отчёт об аудите системы искусственного интеллекта'],
  'en-US': ['Decision on a violation and the administrative penalty', 'The audit report (PDF)', 'Audit report on an artificial intelligence system'],
};

for (const [locale, [title]] of Object.entries(DECISION)) {
  test(`a published decision downloads in ${locale}`, async () => {
    const page = await newPage(browser, { locale });
    await page.goto(`${baseUrl()}/decisions`);
    await Promise.all([page.waitForLoadState('load'), page.locator('main a[href^="/decisions/"]').first().click()]);
    const number = (await page.locator('h1').innerText()).match(/[A-Z]+-\d{4}-\d+/)[0];
    await axe(page);
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('a[download][href$="decision.pdf"]')]);
    const words = await text(file);
    assert.ok(words.includes(title), words);
    assert.ok(words.includes(number), words);
  });
}

test('a closed audit\'s report downloads for its parties in three languages', async () => {
  const answer = await (await newPage(browser)).request.get(`${baseUrl()}/api/v1/systems?status=registered&limit=1`);
  const [system] = (await answer.json()).items;
  const sup = await newPage(browser);
  await login(sup, 'supervisor@ministry.demo');
  await sup.goto(`${baseUrl()}/systems/${system.id}`);
  await sup.locator('summary', { hasText: 'Open an audit' }).click();
  await sup.selectOption('#auditor', { label: 'auditor@audit.demo' });
  await Promise.all([sup.waitForLoadState('load'), sup.locator('form:has(input[value=audit]) button[type=submit]').click()]);
  const number = (await sup.locator('h1').innerText()).trim();
  assert.match(number, /^AUD-/);
  const caseUrl = sup.url();

  const aud = await newPage(browser);
  await login(aud, 'auditor@audit.demo');
  await aud.goto(caseUrl);
  assert.equal(await aud.locator('a[download][href$="audit-report.pdf"]').count(), 0, 'an open audit has no report yet');
  const form = await stepForm(aud, 'close_audit');
  await form.locator('textarea[name=conclusion]').fill('The processes match the documentation.');
  await submitStep(aud, form);
  assert.match(aud.url(), /done=close_audit/);

  for (const [locale, [, button, title]] of Object.entries(DECISION)) {
    const page = await newPage(browser, { locale });
    await login(page, 'auditor@audit.demo');
    await page.goto(caseUrl);
    const link = page.locator('a[download][href$="audit-report.pdf"]');
    assert.equal((await link.innerText()).trim(), button);
    await axe(page);
    const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const words = await text(file);
    assert.ok(words.includes(title), words);
    assert.ok(words.includes(number), words);
    assert.ok(words.includes(system.registry_number), words);
  }
});
