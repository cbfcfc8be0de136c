// Shared helpers for Senim's browser tests: Debian's Chromium driven by
// playwright-core, axe-core scans and screenshots. The tests run through
// e2e/run.sh, which starts a demo server and sets:
//   SENIM_URL            the server, e.g. http://127.0.0.1:PORT
//   SENIM_DEMO_ACCOUNTS  the demo accounts file (e-mail, roles, password; tab-separated)
//   SENIM_ARTIFACTS      where screenshots go
//   CHROMIUM             (optional) the browser binary, default /usr/bin/chromium
//
// A page made by newPage() records every console error, uncaught page error
// and request to another origin than SENIM_URL's (which is aborted: the site
// must never reach the internet). After each test, the recorded problems fail
// that test; a test that expects one takes it first with takeProblems(page).

import { execFileSync } from 'node:child_process';
import { after, afterEach } from 'node:test';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const SHOT_WIDTHS = [320, 1280];

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through e2e/run.sh`);
  return value;
}

/** The server's base URL, without a trailing slash. */
export function baseUrl() {
  return env('SENIM_URL').replace(/\/+$/, '');
}

// What went wrong on the pages, as { page, text }, until a test's end.
const problems = [];
// Browsers launched here, closed after the file's tests if a test did not.
const browsers = new Set();
// Pages made with JavaScript off (axe needs a shim there, see axe()).
const noScriptPages = new WeakSet();

afterEach(() => {
  const found = problems.splice(0);
  if (found.length) {
    throw new Error(`the page had problems:\n${found.map((p) => `  - ${p.text}`).join('\n')}`);
  }
});

after(async () => {
  await Promise.all([...browsers].map((b) => b.close().catch(() => {})));
  const found = problems.splice(0);
  if (found.length) {
    throw new Error(`problems after the last test:\n${found.map((p) => `  - ${p.text}`).join('\n')}`);
  }
});

/** Returns the problems recorded for `page` so far and forgets them. */
export function takeProblems(page) {
  const taken = [];
  for (let i = problems.length - 1; i >= 0; i--) {
    if (problems[i].page === page) taken.unshift(problems.splice(i, 1)[0].text);
  }
  return taken;
}

/** Starts headless Chromium (Debian's, never a downloaded build). */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  browsers.add(browser);
  browser.on('disconnected', () => browsers.delete(browser));
  return browser;
}

/**
 * A page in a fresh context (its own cookies). `locale` sets Accept-Language
 * and navigator.language; `width` the viewport's width (height 800).
 */
export async function newPage(browser, { javaScript = true, locale = 'en-US', width = 1280, others = [] } = {}) {
  const origin = new URL(baseUrl()).origin;
  // Other sites a test goes to on purpose (an identity provider), by origin.
  const allowed = new Set([origin, ...others.map((o) => new URL(o).origin)]);
  const context = await browser.newContext({
    javaScriptEnabled: javaScript,
    locale,
    viewport: { width, height: 800 },
    // Service workers could fetch past context.route; the site has none.
    // (WebSockets are not routed; the CSP's connect-src 'self' stops
    // off-site ones, and its violation is a console error.)
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  const record = (text) => problems.push({ page, text: `${text} (on ${page.url()})` });

  page.on('console', (msg) => {
    if (msg.type() === 'error') record(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => record(`page error: ${err.message}`));
  page.on('crash', () => record('the page crashed'));
  await context.route('**', (route) => {
    const url = route.request().url();
    if (allowed.has(new URL(url).origin)) return route.continue();
    record(`request to another site: ${route.request().method()} ${url}`);
    return route.abort('blockedbyclient');
  });
  if (!javaScript) noScriptPages.add(page);
  return page;
}

/** The demo account's password, from SENIM_DEMO_ACCOUNTS. */
export function account(email) {
  const file = env('SENIM_DEMO_ACCOUNTS');
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('\t'));
  // Each line: e-mail, roles (comma-separated), password.
  const row = rows.find(([e]) => e === email);
  if (!row || !row[2]) {
    throw new Error(`no demo account ${email} in ${file}; there are: ${rows.map(([e]) => e).join(', ')}`);
  }
  return row[2];
}

/**
 * Signs in through the sign-in page's form and waits for the page it leads
 * to; throws if that is the sign-in page again. Returns the navigation's
 * response.
 */
export async function login(page, email, password = account(email)) {
  await page.goto(`${baseUrl()}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.click('button[type=submit]'),
  ]);
  if (new URL(page.url()).pathname === '/login') {
    throw new Error(`signing in as ${email} failed: still on ${page.url()}`);
  }
  return response;
}

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page's current document;
 * throws listing the violations, returns axe's results otherwise.
 *
 * How axe gets in: the site's Content-Security-Policy (script-src 'self', no
 * inline script) blocks page.addScriptTag({ content }), an inline <script>.
 * page.evaluate(source) goes through the DevTools protocol, which CSP does not
 * govern, so axe loads and runs without weakening the page (no bypassCSP: the
 * tests see the CSP the site sends, violations included).
 *
 * With JavaScript off (javaScriptEnabled: false), Chromium still evaluates
 * what DevTools sends and runs promise jobs, but calls back no web API:
 * setTimeout and queueMicrotask callbacks never run, and axe, which waits on
 * setTimeout(0) between rules, would hang. There, for the scan only, both are
 * replaced by promise jobs (longer delays, only axe's time-outs, never fire).
 */
export async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(AXE_SOURCE);
  }
  const results = await page.evaluate(
    async ({ tags, shim }) => {
      const saved = { setTimeout: window.setTimeout, queueMicrotask: window.queueMicrotask };
      if (shim) {
        window.setTimeout = (fn, ms, ...args) => {
          if (!(ms > 1)) Promise.resolve().then(() => fn(...args));
          return 0;
        };
        window.queueMicrotask = (fn) => void Promise.resolve().then(fn);
      }
      try {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
        // Only what the report needs: axe's full results do not all serialise.
        const brief = (list) =>
          list.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
          }));
        return { violations: brief(r.violations), incomplete: brief(r.incomplete), passes: r.passes.length };
      } finally {
        Object.assign(window, saved);
      }
    },
    { tags: AXE_TAGS, shim: noScriptPages.has(page) },
  );
  if (results.violations.length) {
    const lines = results.violations.map(
      (v) =>
        `  - ${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes.map((n) => `      ${n.target.join(' ')}`).join('\n'),
    );
    throw new Error(`axe found ${results.violations.length} violation(s) on ${page.url()}:\n${lines.join('\n')}`);
  }
  return results;
}

/**
 * Full-page PNG screenshots at widths 320 and 1280 into SENIM_ARTIFACTS
 * (NAME-320.png, NAME-1280.png); the viewport is restored after.
 * Returns the files' paths.
 */
export async function shoot(page, name) {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use letters, digits, . _ -`);
  const dir = env('SENIM_ARTIFACTS');
  mkdirSync(dir, { recursive: true });
  const viewport = page.viewportSize();
  const files = [];
  try {
    for (const width of SHOT_WIDTHS) {
      await page.setViewportSize({ width, height: viewport.height });
      const file = path.join(dir, `${name}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
    }
  } finally {
    await page.setViewportSize(viewport);
  }
  return files;
}

/** Opens the step form for `action` on a case page and returns it. */
export async function stepForm(page, action) {
  const details = page.locator(`details:has(input[name=action][value=${action}])`);
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  return details.locator('form');
}

/** Sends a step form and waits for the page it leads to. */
export async function submitStep(page, form) {
  await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
}

/**
 * Sends a step form that the server refuses (422): waits for the page and
 * for the browser's console error about the 422, and takes that one problem
 * so it does not fail the test.
 */
export async function submitRefused(page, form) {
  const logged = page.waitForEvent('console', (m) => m.type() === 'error' && m.text().includes('422'));
  await submitStep(page, form);
  await logged;
  const problems = takeProblems(page);
  if (!problems.every((p) => p.includes('422'))) {
    throw new Error(`the refused form had other problems:\n${problems.join('\n')}`);
  }
}

/**
 * A CMS signature (base64) of the base64 `data` by the test PKI's `who`
 * (tools/test-pki/make.sh, made by e2e/run.sh), the text attached: what
 * NCALayer makes with a person's key.
 */
export function signWith(who, data) {
  const pki = process.env.SENIM_TEST_PKI;
  const cms = execFileSync('openssl', [
    'cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256',
    '-signer', path.join(pki, `${who}.pem`), '-inkey', path.join(pki, `${who}.key`),
    '-certfile', path.join(pki, 'inter.pem'),
  ], { input: Buffer.from(data, 'base64') });
  return cms.toString('base64');
}

/**
 * Gives the page a signer of its own (window.senimSigner, which the
 * pages' script uses instead of NCALayer) that signs with `who`'s key.
 */
export async function withTestKey(page, who) {
  await page.exposeFunction('senimTestSign', (data) => signWith(who, data));
  await page.addInitScript(() => {
    window.senimSigner = { sign: (data) => window.senimTestSign(data) };
  });
}
