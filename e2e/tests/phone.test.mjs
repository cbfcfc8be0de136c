// Issue 20, finding 3: at 390 px several pages scrolled sideways (the
// developer's systems, the checklists, the dataset and log pages, the
// administrator's lists). Every page type each role reaches, found by
// following the links from where the role lands, is now checked at 320 px
// (the narrowest phones) in Kazakh, Russian and English and at 390 px in
// Russian: the page is never wider than the window. Tables stack their
// cells instead; long words, codes and notes wrap; the menu scrolls
// sideways on its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, launch, login, newPage } from '../lib.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const WHO = [
  null,
  'developer@hospital.demo',
  'expert@ministry.demo',
  'supervisor@ministry.demo',
  'auditor@audit.demo',
  'data_steward@hospital.demo',
  'programmes@platform.demo',
  'compute@platform.demo',
  'teacher@university.demo',
  'admin@senim.demo',
];

/** One page of each kind: ids and numbers in the path do not make a new one. */
function kind(path) {
  return path
    .split('?')[0]
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
    .replace(/\d+/g, 'N');
}

/** Links worth following: pages, not files, exports, the API or sign-out. */
function followable(href) {
  return (
    href.startsWith('/') &&
    !href.startsWith('//') &&
    !href.startsWith('/api/') &&
    !href.startsWith('/log/') &&
    !href.startsWith('/assets/') &&
    !/logout|download|\/file|format=|lang=|\.csv|\.json|\.jsonld|\.ttl|\.parquet/.test(href)
  );
}

async function tooWide(width, locale, who) {
  const page = await newPage(browser, { locale, width });
  if (who) await login(page, who);
  else await page.goto(`${baseUrl()}/`);
  const queue = [new URL(page.url()).pathname + new URL(page.url()).search];
  const seen = new Set();
  const wide = [];
  while (queue.length && seen.size < 60) {
    const path = queue.shift();
    if (seen.has(kind(path))) continue;
    seen.add(kind(path));
    const response = await page.goto(`${baseUrl()}${path}`);
    if (!response || !(response.headers()['content-type'] || '').startsWith('text/html')) continue;
    const found = await page.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    }));
    if (found.width > width) wide.push(`${path} is ${found.width} px wide`);
    for (const href of found.links) if (followable(href)) queue.push(href);
  }
  await page.context().close();
  return { wide, pages: seen.size };
}

for (const [width, locale] of [
  [320, 'kk-KZ'],
  [320, 'ru-RU'],
  [320, 'en-US'],
  [390, 'ru-RU'],
]) {
  test(`no page scrolls sideways at ${width} px in ${locale}`, async () => {
    let pages = 0;
    const wide = [];
    for (const who of WHO) {
      const found = await tooWide(width, locale, who);
      pages += found.pages;
      wide.push(...found.wide.map((w) => `${who ?? 'anyone'}: ${w}`));
    }
    assert.ok(pages > 100, `only ${pages} pages were reached`);
    assert.deepEqual(wide, []);
  });
}
