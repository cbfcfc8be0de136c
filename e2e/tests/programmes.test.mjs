// The Platform's support programmes, by clicking: the public reads the
// programmes and a call in Kazakh on a phone; a programme manager returns an
// application for correction, the applicant completes and submits it again,
// the manager admits it, two experts declare and score it, and the manager
// awards it, which the call's public page then lists.
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

test('the public reads the programmes and a call in Kazakh on a phone', async () => {
  const page = await newPage(browser, { locale: 'kk-KZ', width: 390 });
  await page.goto(`${baseUrl()}/programmes`);
  assert.match(await page.locator('h1').innerText(), /қолдау бағдарламалары/i);
  await axe(page);
  await shoot(page, 'programmes-kk-phone');
  await Promise.all([page.waitForLoadState('load'), page.locator('main a[href^="/calls/"]').first().click()]);
  const main = await page.locator('main').innerText();
  assert.match(main, /Бюджет/);
  assert.match(main, /Өтінімдер қалай бағаланады/);
  await axe(page);
  await shoot(page, 'call-kk-phone');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `the call page fits a phone (${scrollWidth}px wide)`);
});

test('an application is returned, corrected, admitted, scored by two experts and awarded', async () => {
  // The manager's desk lists the bank's application waiting for its check.
  const manager = await newPage(browser);
  await login(manager, 'programmes@platform.demo');
  assert.match(manager.url(), /\/programmes\/desk$/);
  await axe(manager);
  await shoot(manager, 'programme-desk');
  const row = manager.locator('main tr', { hasText: 'Submitted' }).first();
  await Promise.all([manager.waitForLoadState('load'), row.locator('a').click()]);
  const casePath = new URL(manager.url()).pathname;
  let form = await stepForm(manager, 'return_application');
  await form.locator('textarea[name=reasons]').fill('Say how many GPU-hours each experiment needs.');
  await submitStep(manager, form);
  assert.match(await manager.locator('main').innerText(), /Draft/);

  // The applicant completes the draft and submits it again.
  const applicant = await newPage(browser);
  await login(applicant, 'developer@bank.demo');
  await applicant.goto(`${baseUrl()}${casePath}`);
  await axe(applicant);
  form = await stepForm(applicant, 'edit_application');
  await form.locator('#answer-plan').fill('Three experiments of 1,500 GPU-hours each on anonymised loan files.');
  await submitStep(applicant, form);
  assert.match(applicant.url(), /done=/);
  form = await stepForm(applicant, 'submit_application');
  await submitStep(applicant, form);
  assert.match(await applicant.locator('main').innerText(), /Submitted/);
  await shoot(applicant, 'application-submitted');

  // The manager admits it: reviewers are assigned from the pool.
  await manager.goto(`${baseUrl()}${casePath}`);
  form = await stepForm(manager, 'admit');
  await submitStep(manager, form);
  assert.match(await manager.locator('main').innerText(), /In expert review/);

  // Each expert with it on their desk declares no conflict and scores it.
  let scored = 0;
  for (const email of ['expert@ministry.demo', 'expert2@ministry.demo', 'expert3@ministry.demo']) {
    const expert = await newPage(browser);
    await login(expert, email);
    await expert.goto(`${baseUrl()}${casePath}`);
    if ((await expert.locator('input[name=action][value=declare_interest]').count()) === 0) continue;
    form = await stepForm(expert, 'declare_interest');
    await form.locator('input[name=conflict][value=false]').check();
    await submitStep(expert, form);
    form = await stepForm(expert, 'score');
    await axe(expert);
    // Each mark's field stops at its criterion's scale.
    assert.equal(await form.locator('#score-impact').getAttribute('max'), '5');
    for (const criterion of ['excellence', 'feasibility', 'impact']) {
      await form.locator(`#score-${criterion}`).fill('4');
      await form.locator(`#reason-${criterion}`).fill('Clear, costed and useful.');
    }
    if (scored === 0) {
      // A mark past the scale comes back refused, with every reason kept.
      await form.locator('#score-impact').fill('9');
      await submitRefused(expert, form);
      assert.doesNotMatch(expert.url(), /done=/);
      form = await stepForm(expert, 'score');
      assert.equal(await form.locator('#reason-feasibility').inputValue(), 'Clear, costed and useful.');
      await form.locator('#score-impact').fill('4');
    }
    await submitStep(expert, form);
    assert.match(expert.url(), /done=/, `${email} scored`);
    if (scored === 0) await shoot(expert, 'application-scored');
    scored += 1;
  }
  assert.equal(scored, 2, 'the call asks two experts');

  // The manager awards it with half a year to use it.
  await manager.goto(`${baseUrl()}${casePath}`);
  form = await stepForm(manager, 'decide_application');
  await form.locator('input[name=outcome][value=award]').check();
  const until = new Date(Date.now() + 200 * 86400000).toISOString().slice(0, 10);
  await form.locator('input[name=usable_until]').fill(until);
  await form.locator('textarea[name=reasons]').fill('A clear plan at a fair cost.');
  await submitStep(manager, form);
  assert.match(await manager.locator('main').innerText(), /Awarded/);
  await axe(manager);

  // The call's public page lists the award.
  const pub = await newPage(browser);
  await pub.goto(`${baseUrl()}/programmes`);
  await Promise.all([pub.waitForLoadState('load'), pub.locator('main a[href^="/calls/"]').first().click()]);
  assert.match(await pub.locator('main').innerText(), /Explainable credit scoring/);
});
