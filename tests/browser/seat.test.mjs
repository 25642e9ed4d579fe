// The seat flow in headless Chromium: an officer joins on phone A; phone B joins with the same badge and waits for
// the organizer ("device change requested"); the console shows the request; the organizer refuses (B is told, A
// still answers); B asks again, the organizer approves (B gets the seat, A is told it was moved). Then the
// organizer revokes the big-screen link and the open big screen says so. Screenshots (zh and en) go to
// target/screenshots/seat-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, ADMIN_PASSWORD } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const BADGE = '320001';
const ROSTER = ['姓名,警号,单位', `赵磊,${BADGE},刑侦大队`, '孙丽,320002,治安大队'].join('\n');

let server;
let browser;
const pageErrors = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

function watch(page, name) {
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  return page;
}

/** The organizer's API, for setting up the contest and checking what the screens show. */
async function organizerApi() {
  const res = await fetch(`${server.base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const { token } = await res.json();
  return async (method, path, body, contentType = 'application/json') => {
    const r = await fetch(server.base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': contentType } : {}) },
      body: body == null ? undefined : (contentType === 'application/json' ? JSON.stringify(body) : body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** A phone opens the QR link and enters the badge. */
async function joinOn(page, code, badge) {
  await page.goto(`${server.base}/?c=${code}`);
  for (let tries = 0; tries < 100; tries++) {
    if (await tid(page, 'join-badge').isVisible()) break;
    if (await tid(page, 'join-code-next').isVisible()) await tid(page, 'join-code-next').click({ timeout: 1000 }).catch(() => {});
    await page.waitForTimeout(100);
  }
  await tid(page, 'join-badge').fill(badge);
  await tid(page, 'join-submit').click();
}

async function noHorizontalOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: ${overflow}px of horizontal overflow`);
}

/** The page's language: zh-CN is the default; the toggle switches and remembers. */
async function setLang(page, lang) {
  for (let i = 0; i < 2 && (await page.evaluate(() => document.documentElement.lang)) !== lang; i++) {
    await tid(page, 'lang-toggle').first().click();
  }
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
}

test('a second phone waits for the organizer, is refused, asks again and is approved', { timeout: 300_000 }, async () => {
  const api = await organizerApi();
  const contest = await api('POST', '/api/contests', {
    title: '席位绑定测试',
    bank_ids: ['party-history'],
    rounds: [{ title: '现场答题', kind: 'live', config: { blueprint: { quotas: [{ type: 'single', count: 3 }] }, question_seconds: 120, close_when_all_answered: false } }],
  });
  const { id, join_code: code } = contest;
  await api('POST', `/api/contests/${id}/roster`, ROSTER, 'text/csv');

  // --- Console on the run tab ---
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const con = watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/login`);
  await tid(con, 'login-username').fill('admin');
  await tid(con, 'login-password').fill(ADMIN_PASSWORD);
  await tid(con, 'login-submit').click();
  await tid(con, 'new-contest').waitFor();
  await con.goto(`${server.base}/console#/c/${id}/run`);
  await tid(con, 'ctl-start-round').waitFor();

  // --- Phone A binds the seat ---
  const aCtx = await browser.newContext(PHONE);
  const phoneA = watch(await aCtx.newPage(), 'phone A');
  await joinOn(phoneA, code, BADGE);
  await tid(phoneA, 'lobby').waitFor();
  await shot(phoneA, 'seat-1-phone-a-lobby');

  // --- Phone B: same badge, another phone: waits ---
  const bCtx = await browser.newContext(PHONE);
  const phoneB = watch(await bCtx.newPage(), 'phone B');
  await joinOn(phoneB, code, BADGE);
  await tid(phoneB, 'join-seat-waiting').waitFor();
  assert.equal(await tid(phoneB, 'lobby').count(), 0, 'phone B has no seat yet');
  await noHorizontalOverflow(phoneB, 'phone B waiting');
  await shot(phoneB, 'seat-2-phone-b-waiting');

  // --- The console shows the request (from the snapshot or the event) ---
  const request = tid(con, 'device-request');
  await request.waitFor();
  assert.match(await request.textContent(), new RegExp(BADGE));
  assert.match(await request.textContent(), /赵磊/);
  await shot(con, 'seat-3-console-request');
  // A console that opens now shows it at once, from its first snapshot.
  const con2 = watch(await consoleCtx.newPage(), 'console 2');
  await con2.goto(`${server.base}/console#/c/${id}/run`);
  await tid(con2, 'device-request').waitFor();
  await con2.close();

  // --- Refused: B is told, A keeps the seat and answers ---
  await tid(con, 'device-refuse').click();
  await tid(con, 'device-requests').waitFor({ state: 'hidden' });
  await tid(phoneB, 'join-error').waitFor({ timeout: 20_000 });
  assert.match(await tid(phoneB, 'join-error').textContent(), /未批准/);
  await shot(phoneB, 'seat-4-phone-b-refused');

  await tid(con, 'ctl-start-round').click();
  await tid(con, 'ctl-next').waitFor();
  await tid(con, 'ctl-next').click();
  await tid(phoneA, 'question-stem').waitFor();
  await tid(phoneA, 'option-0').click();
  try {
    await tid(phoneA, 'answer-received').waitFor({ timeout: 20_000 });
  } catch (e) {
    await shot(phoneA, 'seat-failed-phone-a-answer');
    throw e;
  }
  await shot(phoneA, 'seat-5-phone-a-still-answers');

  // --- B asks again; the organizer approves: B takes the seat, A is signed out with a reason ---
  await tid(phoneB, 'join-submit').click();
  await tid(phoneB, 'join-seat-waiting').waitFor();
  await request.waitFor();
  await tid(con, 'device-approve').click();
  await tid(phoneB, 'question-stem').waitFor({ timeout: 20_000 });
  await shot(phoneB, 'seat-6-phone-b-seated');
  const note = tid(phoneA, 'join-note');
  await note.waitFor({ timeout: 20_000 });
  await shot(phoneA, 'seat-7-phone-a-moved');
  const state = await api('GET', `/api/contests/${id}`);
  assert.deepEqual(state.device_requests, [], 'nothing left to decide');
  // B's session is the seat's now: A's stored answer stands for the officer and B sees it as answered.
  await tid(phoneB, 'answer-received').waitFor();

  // --- The same screens in English ---
  await setLang(phoneA, 'en');
  await shot(phoneA, 'seat-7-phone-a-moved-en');
  // Phone A asks for the seat back: waiting, in English.
  await tid(phoneA, 'join-submit').click();
  await tid(phoneA, 'join-seat-waiting').waitFor();
  assert.match(await tid(phoneA, 'join-seat-waiting').textContent(), /organizer/);
  await shot(phoneA, 'seat-8-phone-a-waiting-en');
  await setLang(con, 'en');
  await request.waitFor();
  assert.match(await tid(con, 'device-requests').textContent(), /Device change requested/);
  await shot(con, 'seat-9-console-request-en');
  await tid(con, 'device-refuse').click();
  await tid(phoneA, 'join-error').waitFor({ timeout: 20_000 });
  await shot(phoneA, 'seat-10-phone-a-refused-en');
  await setLang(con, 'zh-CN');

  assert.deepEqual(pageErrors, [], 'no uncaught errors in any page');
});

test('revoking the big-screen link disconnects the open screen; a new link works', { timeout: 180_000 }, async () => {
  const api = await organizerApi();
  const { id } = await api('POST', '/api/contests', {
    title: '大屏链接测试',
    bank_ids: ['party-history'],
    rounds: [{ title: '现场答题', kind: 'live', config: { blueprint: { quotas: [{ type: 'single', count: 1 }] }, question_seconds: 60 } }],
  });
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const con = watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/login`);
  await tid(con, 'login-username').fill('admin');
  await tid(con, 'login-password').fill(ADMIN_PASSWORD);
  await tid(con, 'login-submit').click();
  await tid(con, 'new-contest').waitFor();
  await con.goto(`${server.base}/console#/c/${id}/setup`);
  await tid(con, 'display-link').click();
  await tid(con, 'display-url').waitFor();
  const oldUrl = (await tid(con, 'display-url').inputValue()).trim();

  const screenCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const screen = watch(await screenCtx.newPage(), 'screen');
  await screen.goto(oldUrl);
  await tid(screen, 'lobby').waitFor();

  await tid(con, 'display-revoke').click();
  await tid(con, 'confirm-dialog').waitFor();
  await shot(con, 'seat-11-console-revoke-confirm');
  await tid(con, 'confirm-ok').click();
  await tid(con, 'display-revoked').waitFor();
  assert.equal(await tid(con, 'display-url').count(), 0, 'the revoked link is no longer shown');
  await shot(con, 'seat-12-console-revoked');
  // The open big screen is told at once and stops.
  await screen.getByText('大屏链接已失效').waitFor({ timeout: 20_000 });
  await shot(screen, 'seat-13-screen-revoked');

  await tid(con, 'display-link').click();
  await tid(con, 'display-url').waitFor();
  const newUrl = (await tid(con, 'display-url').inputValue()).trim();
  assert.notEqual(newUrl, oldUrl);
  const fresh = watch(await screenCtx.newPage(), 'screen 2');
  await fresh.goto(newUrl);
  await tid(fresh, 'lobby').waitFor();
  // The old link stays dead when opened again.
  const again = watch(await screenCtx.newPage(), 'screen 3');
  await again.goto(oldUrl);
  await again.getByText('大屏链接已失效').waitFor({ timeout: 30_000 });
  assert.deepEqual(pageErrors, [], 'no uncaught errors in any page');
});
