// Issue 20, finding 3: at 390 px several pages scrolled sideways (the
// developer's systems, the checklists, the dataset and log pages, the
// administrator's lists). Every page type each role reaches, found by
// following the links from where the role lands, is now checked at 320 px
// (the narrowest phones) in Kazakh, Russian and English, at 390 px in
// Russian and at 1280 px in Kazakh: the page is never wider than the
// window. Tables stack their cells instead; long words, codes and notes
// wrap; the menu scrolls sideways on its own.
//
// The same crawl checks that no page shows a message id instead of its
// words (a message missing from the catalogues shows its id), and at 390 px
// runs axe on every page type each role reaches. On Kazakh and Russian
// pages no run of English words may stand outside a passage marked
// lang="en": neither in the page's own words (labels, buttons, headings,
// hints) nor in what people wrote (names, documentation, findings), which
// the pages mark with its language (issue 20's test of legal texts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { axe, baseUrl, launch, login, newPage } from '../lib.mjs';

/** Every message id of the catalogues (the English file has them all). */
const MESSAGE_IDS = new Set(
  readFileSync(new URL('../../crates/senim-app/locales/en.ftl', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => /^([a-z][a-z0-9-]*) =/.exec(line)?.[1])
    .filter(Boolean),
);

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

/** Names and codes that stay in Latin letters in every language. */
const LATIN_NAMES = new Set(
  (
    'Senim API CSV JSON JSON-LD SPDX GPU GPU-hours CPU URL OpenAPI CKAN DCAT DCAT-AP Croissant Fairlearn AIF360 ' +
    'Open Badges Creative Commons Data Apache MIT TOML Parquet SHA-256 UTF-8 ID KZ EU AI IT ICT CC BY SA NC ND PDF ' +
    'NCALayer eGov HTTP HTTPS Ed25519 C2SP RFC Merkle PNG JPEG DOCX XLSX ODT CMS PKCS PEM RSA GOST AUTH'
  ).split(' '),
);

/** Runs of two or more Latin words in a text, names and codes aside. */
function latinRuns(text) {
  const runs = [];
  // Addresses are names too: e-mail addresses, domains, decentralised ids.
  text = text.replace(/\S+@\S+|\b[\w-]+\.(?:demo|kz|org|com|example)\b|\bdid:[\w:.-]+/g, ' ');
  // A word begins after no letter or digit: C2SP is a code, not "SP".
  for (const m of text.matchAll(/(?<![A-Za-z0-9_])[A-Za-z][A-Za-z'’-]+(?:[\s,.:;()]+[A-Za-z][A-Za-z'’-]+)+/g)) {
    const words = m[0].split(/[\s,.:;()]+/).filter((w) => w && !LATIN_NAMES.has(w));
    if (words.length >= 2) runs.push(m[0]);
  }
  return runs;
}

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
    !/logout|download|\/file|format=|lang=|\.csv|\.json|\.jsonld|\.ttl|\.parquet|\.pdf|\.p7s/.test(href)
  );
}

async function tooWide(width, locale, who, { scan = false } = {}) {
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
      words: document.body.innerText.match(/[a-z][a-z0-9]*(?:-[a-z0-9]+)+/g) ?? [],
      // The page's own words (labels, buttons, headings of tables and
      // fields, hints, the menu), outside any passage marked as English.
      chrome:
        document.documentElement.lang === 'en'
          ? []
          : [...document.querySelectorAll('label, button, legend, th, dt, summary, nav.service a, .hint, .lead, .caption')]
              .filter((e) => !e.closest('[lang="en"], code, .mono'))
              .map((e) => e.innerText),
      // What people wrote (documentation, names, reports, decisions) and
      // every other text of the page's main part, outside passages marked
      // as English: each text node on its own.
      content:
        document.documentElement.lang === 'en'
          ? []
          : (() => {
              const texts = [];
              const main = document.querySelector('main');
              if (!main) return texts;
              const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
              for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                const e = n.parentElement;
                // The page's own words are the chrome check's, above.
                if (!e || e.closest('[lang="en"], code, .mono, script, style, textarea, option, label, button, legend, th, dt, summary, .hint, .lead, .caption')) continue;
                if (n.textContent.trim()) texts.push(n.textContent);
              }
              return texts;
            })(),
    }));
    if (found.width > width) wide.push(`${path} is ${found.width} px wide`);
    const latin = [...new Set(found.chrome.flatMap(latinRuns))];
    if (latin.length) wide.push(`${path} shows English words on a ${locale} page: ${latin.join(' | ')}`);
    const unmarked = [...new Set(found.content.flatMap(latinRuns))].filter((r) => !latin.includes(r));
    if (unmarked.length) wide.push(`${path} shows English text not marked lang="en" on a ${locale} page: ${unmarked.join(' | ')}`);
    const ids = [...new Set(found.words.filter((w) => MESSAGE_IDS.has(w)))];
    if (ids.length) wide.push(`${path} shows message ids: ${ids.join(', ')}`);
    if (scan) {
      try {
        await axe(page);
      } catch (e) {
        wide.push(`${path}: ${e.message}`);
      }
    }
    for (const href of found.links) if (followable(href)) queue.push(href);
  }
  await page.context().close();
  return { wide, pages: seen.size };
}

for (const [width, locale, scan] of [
  [320, 'kk-KZ', false],
  [320, 'ru-RU', false],
  [320, 'en-US', false],
  [390, 'ru-RU', true],
  [1280, 'kk-KZ', false],
]) {
  test(`no page scrolls sideways or shows a message id at ${width} px in ${locale}${scan ? ', and axe finds nothing' : ''}`, async () => {
    let pages = 0;
    const wide = [];
    for (const who of WHO) {
      const found = await tooWide(width, locale, who, { scan });
      pages += found.pages;
      wide.push(...found.wide.map((w) => `${who ?? 'anyone'}: ${w}`));
    }
    assert.ok(pages > 100, `only ${pages} pages were reached`);
    assert.deepEqual(wide, []);
  });
}
