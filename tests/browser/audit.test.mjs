// The console's audit log (#/c/ID/audit): a short contest is run over the API (one action refused on the way, one
// score adjustment); the organizer opens 审计日志 from the contest header and sees every action with its server
// time, actor, detail and outcome, the hash chain reported whole, and filters the refused actions and one kind of
// action; in Chinese and in English. Screenshots: target/screenshots/console-audit*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, apiClient, importRoster, shot, horizontalOverflow, ADMIN_PASSWORD } from './harness.mjs';

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

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

test('the audit log lists every organizer action and the state of its hash chain', { timeout: 300_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  const contest = await api.post('/api/contests', {
    title: '审计日志演示', bank_ids: ['english-sample'],
    rounds: [{ title: '必答题', kind: 'live', config: {
      blueprint: { quotas: [{ type: 'single', count: 1 }] }, question_seconds: 60, close_when_all_answered: false } }],
  });
  await importRoster(server.base, contest.id, '姓名,警号,单位\n张伟,320001,一大队\n王芳,320002,二大队\n');
  const control = (action) => api.post(`/api/contests/${contest.id}/control`, { action });
  await control('start_round');
  await control('next');
  await assert.rejects(control('next'), /question_open/);
  await control('close');
  const participants = await api.get(`/api/contests/${contest.id}/participants`);
  await api.post(`/api/contests/${contest.id}/adjustments`,
    { participant_id: participants.participants[0].id, delta: 2, reason: '现场加分' });
  await control('finish');
  const log = await api.get(`/api/contests/${contest.id}/audit`);
  assert.equal(log.chain_ok, true);

  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (msg) => { if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) errors.push(msg.text()); });
  await page.goto(`${server.base}/console#/login`);
  await tid(page, 'login-username').fill('admin');
  await tid(page, 'login-password').fill(ADMIN_PASSWORD);
  await tid(page, 'login-submit').click();
  await tid(page, 'nav-banks').waitFor();
  await page.goto(`${server.base}/console#/c/${contest.id}/results`);
  await tid(page, 'audit-link').click();
  await tid(page, 'audit-table').waitFor();
  assert.match(page.url(), new RegExp(`#/c/${contest.id}/audit$`));

  // Every row of the log, in order, with its action, actor and outcome.
  const rows = page.locator('[data-testid="audit-row"]');
  assert.equal(await rows.count(), log.entries.length);
  const actions = await rows.evaluateAll((els) => els.map((el) => el.dataset.action));
  assert.deepEqual(actions, log.entries.map((e) => e.action));
  assert.deepEqual(actions, ['create_contest', 'import_roster', 'start_round', 'next', 'next', 'close',
    'adjust_score', 'finish', 'results_recorded']);
  assert.equal(await tid(page, 'audit-chain').getAttribute('data-chain'), 'ok');
  assert.match(await tid(page, 'audit-chain').textContent(), /哈希链完整：9 条记录/);
  const adjust = page.locator('[data-testid="audit-row"][data-action="adjust_score"]');
  const cells = await adjust.locator('td').allTextContents();
  assert.equal(cells[2], 'admin');
  assert.equal(cells[3], '调整个人分');
  assert.match(cells[4], /delta_centi: 200/);
  assert.match(cells[4], /reason: 现场加分/);
  assert.equal(cells[5], '成功');
  assert.match(cells[1], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  const refused = page.locator('[data-testid="audit-row"][data-outcome="question_open"]');
  assert.equal(await refused.count(), 1);
  assert.equal((await refused.locator('td').allTextContents())[5], 'question_open');
  await shot(page, 'console-audit');

  // Filters: only the refused action; then only the adjustments.
  await tid(page, 'audit-filter-refused').check();
  assert.equal(await rows.count(), 1);
  assert.equal(await tid(page, 'audit-count').textContent(), '显示 1 / 9 条');
  await tid(page, 'audit-filter-refused').uncheck();
  await tid(page, 'audit-filter-action').selectOption('adjust_score');
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.first().getAttribute('data-action'), 'adjust_score');
  await tid(page, 'audit-filter-action').selectOption('');
  assert.equal(await rows.count(), 9);
  const overflow = await horizontalOverflow(page);
  assert.deepEqual(overflow.offenders, [], JSON.stringify(overflow));

  // English.
  await tid(page, 'lang-toggle').click();
  assert.match(await tid(page, 'audit-chain').textContent(), /Hash chain whole: none of the 9 entries/);
  assert.equal((await adjust.locator('td').allTextContents())[3], 'Adjust score');
  await shot(page, 'console-audit-en');
  await tid(page, 'lang-toggle').click();

  // Back to the results.
  await tid(page, 'audit-back').click();
  await tid(page, 'results-table').waitFor();
  assert.deepEqual(errors, []);
  await ctx.close();
});
