// The console's results tools and the phone's answer sheet:
// - a phone between rounds shows nothing of the answer sheet until the organizer ticks 答题卡 in the console, then
//   its sheet of the round that has ended (overview grid, its own answers, the keys) appears without a reload;
// - 导出 Excel and 导出 CSV download the server's files (an xlsx, a CSV with a BOM);
// - the award tier editor saves tiers and shows how many each holds;
// - 打印成绩报告, 打印证书 and a row's 答题卡 open printable pages in a new tab with a print ticket (never the
//   token) whose inline stylesheet is applied (their own CSP allows it) and which raise no CSP violation;
//   screenshots at A4 width (target/screenshots/results-*.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser, apiClient, shot, importRoster, joinPhone, ADMIN_PASSWORD } from './harness.mjs';

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);
// A4 at 96 dpi: 210 × 297 mm.
const A4 = { width: 794, height: 1123 };

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

async function join(base, code, badge) {
  const r = await fetch(`${base}/api/join`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, badge, device: `browser-results-${badge}` }),
  });
  if (!r.ok) throw new Error(`join ${badge}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function answer(base, token, body) {
  const r = await fetch(`${base}/api/answers`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`answer: ${r.status} ${await r.text()}`);
}

/** Play a live round of `n` questions: everyone joined over the API answers; the key for even badges. */
async function playLiveRound(org, contestId, people, n) {
  const started = await org.post(`/api/contests/${contestId}/control`, { action: 'start_round' });
  const roundId = started.round.id;
  for (let q = 0; q < n; q++) {
    const state = await org.post(`/api/contests/${contestId}/control`, { action: 'next' });
    const key = state.question.answer.choice;
    const wrong = [0, 1, 2, 3].find((o) => !key.includes(o));
    for (const [i, p] of people.entries()) {
      await answer(server.base, p.token, { round_id: roundId, index: q, choice: (i + q) % 2 === 0 ? key : [wrong] });
    }
    await org.post(`/api/contests/${contestId}/control`, { action: 'close' });
  }
  await org.post(`/api/contests/${contestId}/control`, { action: 'end_round' });
}

/** The printable page a click opens in a new tab, loaded; with the CSP violations it reports. */
async function openedPage(context, click) {
  const [page] = await Promise.all([context.waitForEvent('page'), click()]);
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
  await page.waitForURL(/\/api\/contests\/\d+\//, { timeout: 20_000 });
  await page.waitForLoadState('load');
  return { page, violations };
}

test('results tools: exports, awards, printable pages; the phone answer sheet', { timeout: 300_000 }, async () => {
  const org = apiClient(server.base);
  await org.login();
  const contest = await org.post('/api/contests', {
    title: '成绩工具测试赛',
    bank_ids: ['party-history'],
    rounds: [
      {
        title: '第1轮现场答题', kind: 'live',
        config: {
          blueprint: { quotas: [{ type: 'single', count: 3 }], shuffle_questions: false },
          scoring: { default_points: 10 },
          question_seconds: 300,
          close_when_all_answered: false,
        },
      },
      {
        title: '第2轮在线答卷', kind: 'exam',
        config: { blueprint: { quotas: [{ type: 'single', count: 2 }] }, time_limit_seconds: 600 },
      },
    ],
  });
  const roster = ['姓名,警号,单位', '张伟,610001,刑侦大队', '王芳,610002,治安大队', '李娜,610003,交警大队',
    '赵强,610004,刑侦大队', '刘洋,610005,治安大队'].join('\n');
  await importRoster(server.base, contest.id, roster);

  // A phone (张伟, who never answers) and four participants over the API.
  const phoneContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await phoneContext.newPage();
  const pageErrors = [];
  phone.on('pageerror', (e) => pageErrors.push(`phone: ${e.message}`));
  await joinPhone(phone, server.base, contest.join_code, '610001');
  const people = [];
  for (const badge of ['610002', '610003', '610004', '610005']) people.push(await join(server.base, contest.join_code, badge));

  await playLiveRound(org, contest.id, people, 3);
  await tid(phone, 'wait-between').waitFor({ timeout: 20_000 });
  // Not allowed yet: nothing of a sheet on the phone.
  await phone.waitForTimeout(2500);
  assert.equal(await tid(phone, 'answer-sheet').count(), 0, 'no answer sheet while the organizer has not allowed it');

  // The console: results tab of the running contest.
  const consoleContext = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  const page = await consoleContext.newPage();
  page.on('pageerror', (e) => pageErrors.push(`console: ${e.message}`));
  await page.goto(`${server.base}/console#/login`);
  await tid(page, 'login-username').fill('admin');
  await tid(page, 'login-password').fill(ADMIN_PASSWORD);
  await tid(page, 'login-submit').click();
  await tid(page, 'nav-contests').waitFor();
  await page.goto(`${server.base}/console#/c/${contest.id}/results`);
  await tid(page, 'results-table').waitFor();
  await tid(page, 'awards-editor').locator('[data-testid="award-tier-row"]').first().waitFor();

  // 答题卡 switch: the phone shows its sheet of round 1 at once (grid of three, not answered, keys shown).
  await tid(page, 'answer-sheet-visible').check();
  await phone.locator('[data-testid="answer-sheet"]').waitFor({ timeout: 10_000 });
  assert.equal(await phone.locator('[data-testid="sheet-cell"]').count(), 3);
  assert.deepEqual(
    await phone.locator('[data-testid="sheet-cell"]').evaluateAll((els) => els.map((e) => e.dataset.outcome)),
    ['none', 'none', 'none'],
  );
  await phone.locator('[data-testid="sheet-cell"]').nth(1).click();
  const opened = phone.locator('[data-testid="answer-sheet"] details[open]');
  await opened.waitFor();
  assert.match(await opened.innerText(), /正确答案/);
  assert.match(await opened.innerText(), /本题 10 分/);
  await shot(phone, 'results-phone-answer-sheet');
  assert.equal((await org.get(`/api/contests/${contest.id}/answer-sheet-visibility`)).visible, true);

  // The exam round: the phone opens its paper and answers nothing; at the end of the round its result screen
  // shows the answer sheet of both rounds instead of the paper review alone.
  const exam = await org.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
  await tid(phone, 'exam').waitFor({ timeout: 20_000 });
  for (const p of people) {
    const r = await fetch(`${server.base}/api/exam/start`, { method: 'POST', headers: { authorization: `Bearer ${p.token}` } });
    assert.equal(r.status, 200);
    await answer(server.base, p.token, { round_id: exam.round.id, index: 0, choice: [0] });
  }
  await org.post(`/api/contests/${contest.id}/control`, { action: 'end_round' });
  await tid(phone, 'exam-result').waitFor({ timeout: 20_000 });
  await phone.locator('[data-testid="answer-sheet"] [data-testid="exam-review"]').waitFor({ timeout: 10_000 });
  assert.equal(await phone.locator('[data-testid="answer-sheet"] [data-testid="sheet-grid"]').count(), 2);
  assert.equal(await tid(phone, 'paper-review').count(), 0, 'the sheet replaces the paper review');
  await shot(phone, 'results-phone-exam-sheet');
  await org.post(`/api/contests/${contest.id}/control`, { action: 'finish' });
  await page.reload();
  await tid(page, 'results-table').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="award-count"]').length === 3
    && [...document.querySelectorAll('[data-testid="award-count"]')].every((e) => e.textContent !== '–'));

  // 导出 Excel, 导出 CSV.
  const [xlsx] = await Promise.all([page.waitForEvent('download'), tid(page, 'results-export-xlsx').click()]);
  assert.equal(xlsx.suggestedFilename(), '成绩工具测试赛-成绩.xlsx');
  assert.equal(readFileSync(await xlsx.path()).subarray(0, 2).toString(), 'PK');
  const [csv] = await Promise.all([page.waitForEvent('download'), tid(page, 'results-export').click()]);
  assert.equal(csv.suggestedFilename(), '成绩工具测试赛-成绩.csv');
  const csvText = readFileSync(await csv.path(), 'utf8');
  assert.ok(csvText.startsWith('\ufeff"名次","姓名","警号","单位","得分"'), csvText.slice(0, 60));
  assert.equal(csvText.trim().split('\r\n').length, 1 + 5);

  // Awards: first prize for the top 2 by places, second prize from 30 points; saved and counted.
  const rows = tid(page, 'award-tier-row');
  assert.equal(await rows.count(), 3, 'the default tiers');
  await rows.nth(0).locator('[data-testid="award-value"]').fill('2');
  await rows.nth(1).locator('[data-testid="award-rule"]').selectOption('min_score');
  await rows.nth(1).locator('[data-testid="award-value"]').fill('30');
  await tid(page, 'award-remove').nth(2).click();
  await tid(page, 'awards-save').click();
  await tid(page, 'awards-default').waitFor({ state: 'detached' });
  const awards = await org.get(`/api/contests/${contest.id}/awards`);
  assert.deepEqual(awards.tiers, [
    { name: '一等奖', rule: 'count', count: 2 },
    { name: '二等奖', rule: 'min_score', min_score: 30 },
  ]);
  const shown = await tid(page, 'award-count').allTextContents();
  assert.deepEqual(shown, awards.awarded.map((a) => `${a.count} 人`));
  // A tier without a name is refused in the page, with the tier named.
  await rows.nth(1).locator('[data-testid="award-name"]').fill('');
  await tid(page, 'awards-save').click();
  assert.match(await tid(page, 'awards-problems').innerText(), /第 2 个奖项/);
  await rows.nth(1).locator('[data-testid="award-name"]').fill('二等奖');
  await shot(page, 'results-console');

  // 打印成绩报告: a new tab with a ticket, never the token; the inline stylesheet applies; A4 screenshot.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('jingsai.console.token')));
  const report = await openedPage(consoleContext, () => tid(page, 'results-report').click());
  const url = report.page.url();
  assert.match(url, /\/report\?.*ticket=/);
  assert.ok(!url.includes(token), 'no organizer token in the URL');
  await report.page.setViewportSize(A4);
  await report.page.locator('[data-testid="report"]').waitFor();
  const look = await report.page.evaluate(() => ({
    h1: getComputedStyle(document.querySelector('h1')).textAlign,
    border: getComputedStyle(document.querySelector('th')).borderTopStyle,
    tiers: [...document.querySelectorAll('[data-testid="award-tier"]')].map((e) => e.dataset.tier),
    awardees: document.querySelectorAll('[data-testid="awardee"]').length,
    rows: document.querySelectorAll('[data-testid="report-row"]').length,
  }));
  assert.deepEqual({ h1: look.h1, border: look.border }, { h1: 'center', border: 'solid' }, 'the inline stylesheet applies');
  assert.deepEqual(look.tiers, ['一等奖', '二等奖']);
  assert.equal(look.awardees, awards.awarded.reduce((s, a) => s + a.count, 0));
  assert.equal(look.rows, 5);
  await shot(report.page, 'results-report-a4');
  await report.page.emulateMedia({ media: 'print' });
  assert.equal(await report.page.locator('[data-testid="print-toolbar"]').isVisible(), false, 'the toolbar is not printed');
  await report.page.emulateMedia({ media: 'screen' });
  assert.deepEqual(report.violations, []);

  // 打印证书: one page per awardee.
  const certs = await openedPage(consoleContext, () => tid(page, 'results-certificates').click());
  await certs.page.setViewportSize({ width: 1123, height: 794 });
  await certs.page.locator('[data-testid="certificate"]').first().waitFor();
  assert.equal(await certs.page.locator('[data-testid="certificate"]').count(), look.awardees);
  assert.match(await certs.page.locator('[data-testid="certificate"]').first().innerText(), /荣\s*誉\s*证\s*书|荣誉证书/);
  await shot(certs.page, 'results-certificates');
  assert.deepEqual(certs.violations, []);

  // A row's 答题卡: the participant's printable answer sheet.
  const sheet = await openedPage(consoleContext, () => tid(page, 'result-answer-sheet').first().click());
  await sheet.page.setViewportSize(A4);
  await sheet.page.locator('[data-testid="answer-sheet"]').waitFor();
  assert.equal(await sheet.page.locator('[data-testid="sheet-item"]').count(), 3 + 2);
  await shot(sheet.page, 'results-answer-sheet-a4');
  assert.deepEqual(sheet.violations, []);

  assert.deepEqual(pageErrors, []);
  await consoleContext.close();
  await phoneContext.close();
});
