// Education by clicking: the public reads the courses in Kazakh on a phone;
// a learner enrols from a course's page; the university's instructor finds
// the start-up's enrolment on the courses desk and records its completion;
// the learner downloads the certificate and checks it on the verification
// page, which accepts it, and refuses it once changed.
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

test('the public reads the courses in Kazakh on a phone', async () => {
  const page = await newPage(browser, { locale: 'kk-KZ', width: 390 });
  await page.goto(`${baseUrl()}/programmes/courses`);
  assert.match(await page.locator('h1').innerText(), /Курстар/);
  const main = await page.locator('main').innerText();
  assert.match(main, /Медициналық ЖИ сараптамасы/);
  await axe(page);
  await shoot(page, 'courses-kk-phone');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `the courses page fits a phone (${scrollWidth}px wide)`);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Медициналық ЖИ сараптамасы' }).click()]);
  assert.match(await page.locator('main').innerText(), /Денсаулық сақтау/);
  await axe(page);
});

test('a learner enrols, the instructor completes, the certificate checks out', async () => {
  // The hospital's developer enrols in the literacy course, and cannot twice.
  const learner = await newPage(browser);
  await login(learner, 'developer@hospital.demo');
  await learner.goto(`${baseUrl()}/programmes/courses`);
  await Promise.all([learner.waitForLoadState('load'), learner.getByRole('link', { name: 'AI literacy for public servants' }).click()]);
  await axe(learner);
  await Promise.all([learner.waitForLoadState('load'), learner.locator('#enrol').click()]);
  assert.match(learner.url(), /done=enrolled/, await learner.locator('main').innerText());
  assert.match(await learner.locator('main').innerText(), /Enrolled/);
  const enrolment = new URL(learner.url()).pathname;

  // The instructor's desk lists the enrolments; she completes the
  // hospital developer's.
  const teacher = await newPage(browser);
  await login(teacher, 'teacher@university.demo');
  assert.match(teacher.url(), /\/courses\/desk$/);
  assert.match(await teacher.locator('main').innerText(), /AI literacy for public servants/);
  await axe(teacher);
  await shoot(teacher, 'course-desk');
  await teacher.goto(`${baseUrl()}${enrolment}`);
  const form = await stepForm(teacher, 'complete');
  await form.locator('textarea[name=note]').fill('All four modules passed.');
  await submitStep(teacher, form);
  assert.match(teacher.url(), /done=complete/, await teacher.locator('main').innerText());
  await axe(teacher);

  // The learner downloads the certificate and checks it.
  await learner.goto(`${baseUrl()}${enrolment}`);
  const link = learner.getByRole('link', { name: /Download the certificate/ });
  const href = await link.getAttribute('href');
  const credential = await learner.evaluate(async (url) => (await fetch(url)).text(), href);
  assert.match(credential, /OpenBadgeCredential/);
  await axe(learner);
  await shoot(learner, 'enrolment-completed');
  await learner.goto(`${baseUrl()}/badges/verify`);
  await learner.locator('textarea[name=credential]').fill(credential);
  await Promise.all([learner.waitForLoadState('load'), learner.getByRole('button', { name: 'Check' }).click()]);
  assert.match(await learner.locator('main').innerText(), /The certificate is valid/);
  await axe(learner);
  await shoot(learner, 'certificate-valid');
  await learner.locator('textarea[name=credential]').fill(credential.replace('сауаттылығы', 'шеберлігі'));
  await Promise.all([learner.waitForLoadState('load'), learner.getByRole('button', { name: 'Check' }).click()]);
  assert.match(await learner.locator('main').innerText(), /The certificate is not valid/);
});

test('the public reads the sandbox participation in Russian on a phone', async () => {
  // From the programmes to the sandbox call, its award, and the
  // participation it opened: the plan is public, the notes are not.
  const page = await newPage(browser, { locale: 'ru-RU', width: 390 });
  await page.goto(`${baseUrl()}/programmes`);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Набор в песочницу, 2026' }).click()]);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: 'Customer chatbot for loan questions' }).click()]);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('link', { name: /^SBX-/ }).click()]);
  const main = await page.locator('main').innerText();
  assert.match(main, /В песочнице/);
  assert.match(main, /Какие требования смягчены/);
  assert.doesNotMatch(main, /1,240 conversations/, 'supervision notes are not public');
  await axe(page);
  await shoot(page, 'sandbox-ru-phone');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 390, `the participation fits a phone (${scrollWidth}px wide)`);

  // The bank's developer reads the notes of its own participation.
  const bank = await newPage(browser);
  await login(bank, 'developer@bank.demo');
  await bank.goto(page.url());
  assert.match(await bank.locator('main').innerText(), /1,240 conversations/);
  await axe(bank);
});
