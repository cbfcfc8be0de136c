// Every page type in the three languages: axe finds no WCAG 2.1 AA
// violation, <html lang> names the language shown, the switch marks it;
// choosing a language sticks; forms work with JavaScript off; hostile text
// in every free-text field comes back as text, never as markup.
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

async function api(path) {
  const r = await fetch(`${baseUrl()}${path}`);
  assert.equal(r.status, 200, path);
  return r.json();
}

const LOCALES = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-US' };

async function publicPages() {
  const systems = await api('/api/v1/systems?limit=5');
  const decisions = await api('/api/v1/decisions');
  const datasets = await api('/api/v1/datasets?limit=5');
  const checkpoint = await (await fetch(`${baseUrl()}/log/checkpoint`)).text();
  const size = Number(checkpoint.split('\n')[1]);
  const answers = 'sectors=healthcare&functions=decision_support&affects=health&failure_impact=severe&autonomy=low';
  const pages = [
    ['home', '/'],
    ['register', '/register'],
    ['register-filtered', '/register?sector=healthcare&risk=high&sort=name'],
    ['system', `/systems/${systems.items[0].id}`],
    ['statistics', '/statistics'],
    ['decisions', '/decisions'],
    ['trusted-lists', '/trusted-lists'],
    ['library', '/library'],
    ['dataset', `/library/${datasets.items[0].id}`],
    ['report', '/report'],
    ['report-status', '/report/status'],
    ['self-check', '/self-check'],
    ['self-check-step-2', `/self-check?from=1&${answers}`],
    ['self-check-check', `/self-check?step=check&${answers}`],
    ['self-check-result', `/self-check/result?${answers}`],
    ['audit-log', '/audit-log'],
    ['log-entry', `/audit-log/entries/${size - 1}`],
    ['sign-in', '/login'],
  ];
  if (decisions.items.length) pages.push(['decision', `/decisions/${decisions.items[0].case_id}`]);
  return pages;
}

for (const [lang, locale] of Object.entries(LOCALES)) {
  test(`every public page in ${lang}: accessible, in its language`, async () => {
    const page = await newPage(browser, { locale });
    for (const [name, path] of await publicPages()) {
      const response = await page.goto(`${baseUrl()}${path}`);
      assert.equal(response.status(), 200, `${path} answered ${response.status()}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang, `${path}: <html lang>`);
      assert.equal(await page.locator(`.langs a[aria-current][lang=${lang}]`).count(), 1, `${path}: the switch marks ${lang}`);
      const title = await page.title();
      assert.ok(title.trim().length > 0 && !/^[a-z-]+ ·/.test(title), `${path}: a title, not a message id: ${title}`);
      await axe(page).catch((e) => {
        throw new Error(`${path} (${lang}): ${e.message}`);
      });
      if (lang === 'kk') await shoot(page, `${name}-kk`);
      else if (lang === 'en') await shoot(page, name);
    }
  });
}

test('every desk and a case page, signed in: accessible', async () => {
  for (const [email, paths] of [
    ['developer@hospital.demo', ['/developer', '/developer/new']],
    ['expert@ministry.demo', ['/reviewer']],
    ['supervisor@ministry.demo', ['/supervisor', '/supervisor/reviewers']],
    ['auditor@audit.demo', ['/auditor']],
    ['data_steward@hospital.demo', ['/steward', '/steward/datasets/new']],
  ]) {
    const page = await newPage(browser);
    await login(page, email);
    for (const path of paths) {
      const response = await page.goto(`${baseUrl()}${path}`);
      assert.equal(response.status(), 200, `${path} for ${email}`);
      await axe(page);
      await shoot(page, `desk${path.replaceAll('/', '-')}`);
    }
    // One expert's page in the pool.
    const expert = page.locator('main a[href^="/supervisor/reviewers/"]').first();
    if (paths.includes('/supervisor/reviewers')) {
      await page.goto(`${baseUrl()}/supervisor/reviewers`);
      await Promise.all([page.waitForLoadState('load'), expert.click()]);
      await axe(page);
    }
    const firstCase = page.locator('a[href^="/desk/cases/"]').first();
    if (await firstCase.count()) {
      await Promise.all([page.waitForLoadState('load'), firstCase.click()]);
      await axe(page);
    }
  }
});

test('a page that does not exist is a page in the reader\'s language', async () => {
  const page = await newPage(browser, { locale: 'ru-RU' });
  const response = await page.goto(`${baseUrl()}/systems/00000000-0000-7000-8000-000000000000`);
  assert.equal(response.status(), 404);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  takeProblems(page);
  await axe(page);
});

test('the language switch, the cookie and Accept-Language', async () => {
  const page = await newPage(browser, { locale: 'ru-RU' });
  await page.goto(`${baseUrl()}/register`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ru');
  await Promise.all([page.waitForLoadState('load'), page.click('.langs a[lang=kk]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'kk');
  assert.match(page.url(), /lang=kk/);
  // The choice is remembered on the next page, over Accept-Language.
  await page.goto(`${baseUrl()}/statistics`);
  assert.equal(await page.getAttribute('html', 'lang'), 'kk');
  const kk = await page.locator('h1').innerText();
  await page.goto(`${baseUrl()}/statistics?lang=en`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.notEqual(await page.locator('h1').innerText(), kk, 'the heading changes with the language');
  // Rule-pack texts follow the language too.
  const answers = 'sectors=healthcare&functions=decision_support&affects=health&failure_impact=severe&autonomy=low';
  await page.goto(`${baseUrl()}/self-check/result?${answers}&lang=ru`);
  assert.match(await page.locator('main ol').first().innerText(), /[а-яё]/i);
});

test('forms work with JavaScript off: a complaint and the register\'s filters', async () => {
  const page = await newPage(browser, { javaScript: false });
  await page.goto(`${baseUrl()}/report`);
  await page.check('#type-incident');
  await page.fill('#description', 'The parking camera misread my plate and fined me.');
  await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit]')]);
  assert.match(await page.locator('#tracking-code').innerText(), /^[A-Z2-9]{4}-/);
  await page.goto(`${baseUrl()}/register`);
  await page.check('#f-sector-healthcare');
  await Promise.all([page.waitForLoadState('load'), page.click('.facets button[type=submit]')]);
  assert.match(page.url(), /sector=healthcare/);
  const results = await page.locator('.results li').count();
  assert.ok(results > 0);
  assert.ok(results <= (await api('/api/v1/systems?sector=healthcare')).total);
});

const PAYLOADS = [
  '<script>alert("x")</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  'javascript:alert(1)',
  '{{7*7}} ${7*7} &lt;b&gt;',
];

test('hostile text in every free-text field is shown as text', async () => {
  const page = await newPage(browser);
  page.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  const payload = PAYLOADS.join(' ');
  // The public report form: every free-text field.
  await page.goto(`${baseUrl()}/report`);
  await page.check('#type-tip');
  for (const field of ['#system_name', '#description', '#name', '#phone']) await page.fill(field, payload);
  await page.fill('#email', 'x@example.kz');
  await Promise.all([page.waitForLoadState('load'), page.click('main form button[type=submit]')]);
  const code = await page.locator('#tracking-code').innerText();
  // The supervisor reads it on the case page.
  const sup = await newPage(browser);
  sup.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  await login(sup, 'supervisor@ministry.demo');
  await sup.goto(`${baseUrl()}/supervisor`);
  const link = sup.locator('a[href^="/desk/cases/"]', { hasText: 'RPT-' }).last();
  await Promise.all([sup.waitForLoadState('load'), link.click()]);
  assert.ok((await sup.locator('main').innerText()).includes('<script>alert("x")</script>'));
  assert.equal(await sup.locator('main img[src=x], main svg[onload]').count(), 0);
  // A system named and documented with it, in the register and on its page.
  const dev = await newPage(browser);
  dev.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  await login(dev, 'developer@startup.demo');
  await dev.goto(`${baseUrl()}/developer/new`);
  await dev.fill('#name_en', `XSS ${payload}`);
  await Promise.all([dev.waitForLoadState('load'), dev.click('main form button[type=submit]:not([name=back])')]);
  await dev.check('#sectors-media');
  await dev.check('#functions-recommendation');
  await Promise.all([dev.waitForLoadState('load'), dev.click('main form button[type=submit]:not([name=back])')]);
  await dev.check('#affects-none');
  await dev.check('#failure_impact-minimal');
  await dev.check('#autonomy-low');
  await Promise.all([dev.waitForLoadState('load'), dev.click('main form button[type=submit]:not([name=back])')]);
  await Promise.all([dev.waitForLoadState('load'), dev.click('main form button[type=submit]:not([name=back])')]);
  const areas = dev.locator('main textarea');
  for (let i = 0; i < (await areas.count()); i++) await areas.nth(i).fill(payload);
  await Promise.all([dev.waitForLoadState('load'), dev.click('main form button[type=submit]:not([name=back])')]);
  await Promise.all([dev.waitForLoadState('load'), dev.click('main form button[type=submit]:not([name=back])')]);
  assert.match(dev.url(), /done=created/);
  // Submitted (no review on this path), it is in the public register.
  await Promise.all([dev.waitForLoadState('load'), dev.locator('tr', { hasText: 'XSS' }).locator('button[type=submit]').click()]);
  assert.match(dev.url(), /done=submit/);
  const pub = await newPage(browser);
  pub.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  await pub.goto(`${baseUrl()}/register?q=XSS`);
  const result = pub.locator('.results a').first();
  assert.ok((await result.innerText()).includes('<script>'));
  await Promise.all([pub.waitForLoadState('load'), result.click()]);
  const text = await pub.locator('main').innerText();
  assert.ok(text.includes('"><img src=x onerror=alert(1)>'));
  assert.equal(await pub.locator('main img[src=x], main svg[onload]').count(), 0);
  // The export carries the text as data (a CSV cell, quoted).
  const csv = await (await fetch(`${baseUrl()}/register.csv?q=XSS`)).text();
  assert.ok(csv.includes('"XSS <script>alert(""x"")</script>'));
  assert.ok(code.length > 0);
  // A dataset described with it by a data steward, in the library and on its page.
  const steward = await newPage(browser);
  steward.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  await login(steward, 'data_steward@akimat.demo');
  await steward.goto(`${baseUrl()}/steward/datasets/new`);
  for (const field of ['#title_en', '#keywords', '#spatial', '#producer_name', '#producer_contact', '#opt_out_reference', '#version']) {
    await steward.fill(field, field === '#title_en' ? `XSS dataset ${payload}` : payload.slice(0, 40));
  }
  for (const field of ['#description_en', '#provenance', '#collection_method', '#changelog']) await steward.fill(field, payload);
  await steward.selectOption('#licence', 'CC0-1.0');
  await Promise.all([steward.waitForLoadState('load'), steward.click('main form button[type=submit]')]);
  assert.match(steward.url(), /done=published/);
  assert.equal(await steward.locator('main img[src=x], main svg[onload]').count(), 0);
  await pub.goto(`${baseUrl()}/library?q=XSS`);
  const found = pub.locator('main a', { hasText: 'XSS dataset' }).first();
  assert.ok((await found.innerText()).includes('<script>'));
  await Promise.all([pub.waitForLoadState('load'), found.click()]);
  assert.ok((await pub.locator('main').innerText()).includes('"><img src=x onerror=alert(1)>'));
  assert.equal(await pub.locator('main img[src=x], main svg[onload]').count(), 0);
});
