// Issue 21, item 4: the documents people download, in a real browser: from
// a registered demo system's page, its registration certificate and an
// extract from the register as of today, in Kazakh, Russian and English.
// Each download is a PDF whose text (poppler's pdftotext, installed by
// scripts/test.sh) is in the page's language and names the registry number.
import { execFileSync } from 'node:child_process';
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

const TITLES = {
  'kk-KZ': ['Жасанды интеллект жүйесін тіркеу туралы куәлік', 'Жасанды интеллект жүйелерінің тізілімінен үзінді'],
  'ru-RU': ['Свидетельство о регистрации системы искусственного интеллекта', 'Выписка из реестра систем искусственного интеллекта'],
  'en-US': ['Certificate of registration of an artificial intelligence system', 'Extract from the register of artificial intelligence systems'],
};

async function text(download) {
  const file = await download.path();
  const head = execFileSync('head', ['-c', '5', file]).toString();
  assert.equal(head, '%PDF-');
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
