// The console's item analysis: six participants take an exam (over the API, with known answers: the hand-worked
// matrix of src/analysis/hand_tests.rs) and a live round where nobody answers; the organizer opens 试题分析 from
// the results page and sees every question's statistics and flags, a question's distractor table and charts, marks
// a question for review, and finds the mark and the statistics in the bank browser. Screenshots:
// target/screenshots/console-analysis*.png and console-bank-stats.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, apiClient, shot, horizontalOverflow, ADMIN_PASSWORD } from './harness.mjs';

const BANK = `
[bank]
id = "item-analysis"
title = "试题分析演示题库"
language = "zh-CN"

[[questions]]
id = "i1"
type = "single"
category = "笔试"
difficulty = 1
stem = "中国共产党第一次全国代表大会于哪一年召开？"
options = ["1921年", "1919年", "1927年", "1949年"]
answer = "A"
explanation = "1921年。"
source = "测试"

[[questions]]
id = "i2"
type = "single"
category = "笔试"
difficulty = 2
stem = "遵义会议在哪一年召开？"
options = ["1934年", "1935年", "1936年", "1937年"]
answer = "B"
explanation = "1935年1月。"
source = "测试"

[[questions]]
id = "i3"
type = "true_false"
category = "笔试"
difficulty = 1
stem = "中华人民共和国成立于1949年。"
answer = true
explanation = "1949年10月1日。"
source = "测试"

[[questions]]
id = "i4"
type = "multiple"
category = "笔试"
difficulty = 2
points = 2
stem = "下列哪些是人民公安的优良传统？"
options = ["全心全意为人民服务", "脱离群众", "忠诚可靠", "敷衍塞责"]
answer = "AC"
explanation = "A、C。"
source = "测试"

[[questions]]
id = "l1"
type = "single"
category = "现场"
difficulty = 3
stem = "现场题：无人作答的一题"
options = ["甲", "乙", "丙"]
answer = "A"
explanation = "甲。"
source = "测试"
`;

const STEMS = ['中国共产党第一次全国代表大会于哪一年召开？', '遵义会议在哪一年召开？', '中华人民共和国成立于1949年。', '下列哪些是人民公安的优良传统？'];
const OPTIONS = [
  ['1921年', '1919年', '1927年', '1949年'],
  ['1934年', '1935年', '1936年', '1937年'],
  ['正确', '错误'],
  ['全心全意为人民服务', '脱离群众', '忠诚可靠', '敷衍塞责'],
];
// By bank option (0 = A) per participant and question; null = no answer.
const SCRIPT = [
  [[0], [2], [0], [0, 2]],
  [[0], [2], [0], [2, 0]],
  [[0], [1], [0], [0]],
  [[0], [1], [0], [0, 1]],
  [[1], [1], [0], null],
  [null, [3], [0], [3]],
];
const ROSTER = ['姓名,警号,单位', '张伟,320001,一大队', '王芳,320002,一大队', '李娜,320003,二大队', '刘洋,320004,二大队',
  '陈静,320005,三大队', '杨帆,320006,三大队'].join('\n');

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

async function call(method, path, token, body) {
  const res = await fetch(server.base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

test('the analysis view shows each question\'s statistics and flags', { timeout: 300_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  await api.post('/api/banks/import', { files: [{ name: 'item-analysis.toml', content: BANK }] });
  const contest = await api.post('/api/contests', {
    title: '试题分析演示', bank_ids: ['item-analysis'],
    rounds: [
      { title: '笔试', kind: 'exam', config: {
        blueprint: { quotas: [{ category: '笔试', count: 4 }], shuffle_questions: true, shuffle_options: true },
        scoring: { default_points: 1, partial_credit: true }, time_limit_seconds: 600 } },
      { title: '现场', kind: 'live', config: {
        blueprint: { quotas: [{ category: '现场', count: 1 }] }, question_seconds: 60, close_when_all_answered: false } },
    ],
  });
  const org = (await call('POST', '/api/auth/login', null, { username: 'admin', password: ADMIN_PASSWORD })).token;
  const rosterRes = await fetch(`${server.base}/api/contests/${contest.id}/roster`, {
    method: 'POST', headers: { authorization: `Bearer ${org}`, 'content-type': 'text/csv' }, body: ROSTER,
  });
  assert.equal(rosterRes.status, 200);
  const people = [];
  for (let i = 0; i < 6; i++) {
    const badge = `32000${i + 1}`;
    people.push(await call('POST', '/api/join', null, { code: contest.join_code, badge, device: `analysis-${badge}` }));
  }
  const started = await api.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
  const examId = started.round.id;
  for (const [i, p] of people.entries()) {
    const paper = await call('POST', '/api/exam/start', p.token);
    for (const q of paper.questions) {
      const k = STEMS.indexOf(q.question.stem);
      assert.ok(k >= 0, q.question.stem);
      const picks = SCRIPT[i][k];
      if (!picks) continue;
      const choice = picks.map((o) => q.question.options.indexOf(OPTIONS[k][o]));
      assert.ok(choice.every((c) => c >= 0));
      await call('POST', '/api/answers', p.token, { round_id: examId, index: q.index, choice });
    }
    await call('POST', '/api/exam/submit', p.token);
  }
  await api.post(`/api/contests/${contest.id}/control`, { action: 'end_round' });
  await api.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
  await api.post(`/api/contests/${contest.id}/control`, { action: 'next' });
  await api.post(`/api/contests/${contest.id}/control`, { action: 'close' });
  await api.post(`/api/contests/${contest.id}/control`, { action: 'finish' });

  // --- The organizer: results → 试题分析 ---
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
  await tid(page, 'results-analysis-link').click();
  await tid(page, 'analysis-table').first().waitFor();
  assert.match(page.url(), new RegExp(`#/c/${contest.id}/analysis$`));

  const rounds = page.locator('[data-testid="analysis-round"]');
  assert.equal(await rounds.count(), 2);
  const exam = rounds.nth(0);
  const flagsOf = async (qid) => (await exam.locator(`[data-testid="analysis-row"][data-qid="${qid}"]`).getAttribute('data-flags')).split(' ').filter(Boolean);
  assert.deepEqual(await flagsOf('i1'), []);
  assert.deepEqual(await flagsOf('i2'), ['negative_discrimination', 'distractor_beats_key']);
  assert.deepEqual(await flagsOf('i3'), ['very_easy']);
  assert.deepEqual(await flagsOf('i4'), ['low_discrimination']);
  // The flags are visible as labelled pills, and the distractor names the bank's option C.
  const i2 = exam.locator('[data-testid="analysis-row"][data-qid="i2"]');
  assert.equal(await i2.locator('[data-kind="negative_discrimination"]').textContent(), '负区分度');
  assert.equal(await i2.locator('[data-kind="distractor_beats_key"]').textContent(), '干扰项 C 强于答案');
  assert.ok(await i2.locator('[data-kind="distractor_beats_key"]').isVisible());
  // Hand-worked values: facility 50%, discrimination −3/√57 = −0.40, upper − lower −1/6 = −0.17; α = 1/18.
  const cells = await i2.locator('td').allTextContents();
  assert.equal(cells[3], '50%');
  assert.equal(cells[5], '−0.40');
  assert.equal(cells[6], '−0.17');
  assert.equal((await exam.locator('[data-testid="analysis-alpha"] .big-num').textContent()).trim(), '0.06');
  assert.equal((await exam.locator('[data-testid="analysis-n"] .big-num').textContent()).trim(), '6');
  assert.equal(await exam.locator('[data-testid="analysis-dot"]').count(), 3, 'i3 has no discrimination: not drawn');
  // The live round: the unanswered question is flagged twice.
  const live = rounds.nth(1);
  const liveRow = live.locator('[data-testid="analysis-row"]').first();
  assert.equal(await liveRow.getAttribute('data-flags'), 'very_hard no_answers');
  assert.equal(await live.locator('[data-testid="analysis-alpha-basis"]').count(), 1);
  await shot(page, 'console-analysis');
  await live.scrollIntoViewIfNeeded();
  await shot(page, 'console-analysis-live');
  await page.evaluate(() => window.scrollTo(0, 0));

  // A question's detail: every option by bank identity, upper and lower group shares, and its chart.
  await i2.click();
  const detail = exam.locator('[data-testid="analysis-detail"][data-qid="i2"]');
  await detail.waitFor();
  const optionC = detail.locator('[data-testid="analysis-distractor-row"][data-option="2"]');
  const cTexts = await optionC.locator('td').allTextContents();
  assert.match(cTexts[0], /^C\s*1936年$/);
  assert.deepEqual(cTexts.slice(1), ['2', '33%', '67%', '0%']);
  assert.equal(await detail.locator('[data-testid="analysis-distractor-row"][data-key="true"]').getAttribute('data-option'), '1');
  // Nobody chose A: a count of 0 is shown as 0, not left blank.
  assert.deepEqual((await detail.locator('[data-testid="analysis-distractor-row"][data-option="0"] td').allTextContents()).slice(1), ['0', '0%', '0%', '0%']);
  assert.equal(await detail.locator('[data-testid="analysis-bars"] rect.upper').count(), 5, 'four options and no answer');
  const overflow = await horizontalOverflow(page);
  assert.ok(overflow.scrollWidth <= overflow.innerWidth, JSON.stringify(overflow));
  await detail.scrollIntoViewIfNeeded();
  await shot(page, 'console-analysis-detail');

  // Mark it for review; the bank browser shows the mark and the statistics.
  await detail.locator('[data-testid="analysis-review-toggle"]').check();
  await detail.locator('[data-testid="analysis-review-note"]').fill('干扰项 C 对高分组吸引力过大');
  await detail.locator('[data-testid="analysis-review-save"]').click();
  await exam.locator('[data-testid="analysis-detail"] [data-testid="analysis-review-state"]').waitFor();
  const listing = await api.get('/api/questions?bank=item-analysis&q=i2');
  assert.equal(listing.questions[0].review.review, true);
  assert.equal(listing.questions[0].review.note, '干扰项 C 对高分组吸引力过大');

  await tid(page, 'lang-toggle').click();
  assert.equal(await exam.locator('[data-testid="analysis-row"][data-qid="i3"] [data-kind="very_easy"]').textContent(), 'Very easy');
  await shot(page, 'console-analysis-en');
  await tid(page, 'lang-toggle').click();

  await tid(page, 'nav-banks').click();
  await tid(page, 'filter-q').fill('i2');
  await page.locator('[data-testid="question-row"]:has([data-testid="question-review-mark"])').first().waitFor();
  await tid(page, 'question-row').first().click();
  const stats = tid(page, 'bank-stats');
  await stats.waitFor();
  assert.equal((await tid(page, 'bank-stats-facility').textContent()).trim(), '50%');
  assert.equal((await tid(page, 'bank-stats-discrimination').textContent()).trim(), '−0.40');
  assert.equal(await stats.locator('[data-kind="distractor_beats_key"]').count(), 1);
  assert.equal(await stats.locator('[data-testid="analysis-review-toggle"]').isChecked(), true);
  await stats.scrollIntoViewIfNeeded();
  await shot(page, 'console-bank-stats');
  assert.deepEqual(errors, []);
  await ctx.close();
});
