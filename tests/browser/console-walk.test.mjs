// The organizer console at 1366×768 with 117 participants (roster imported over the API, phones simulated over
// HTTP): setup, a live round, an exam round, results. Along the way it checks what the second pass of the console
// fixed: toasts never sit on a control, presenter mode hides the key of an open question until revealed (and
// remembers itself), a warning shows while a visible key fills the screen, the exam's "not handed in" list with each
// paper's own time left, and points with one number of decimals per board. Screenshots: target/screenshots/walk-*.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, ADMIN_PASSWORD } from './harness.mjs';

const ROSTER = 117;
const JOINED = 110;
const UNITS = ['刑事侦查大队', '治安管理大队', '交通警察大队', '经济犯罪侦查大队', '网络安全保卫大队', '禁毒大队', '巡特警大队', '城关派出所', '开发区派出所'];
const VIEWPORT = { width: 1366, height: 768 };

let server;
let browser;
let token;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  token = (await call('POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, null)).token;
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function call(method, path, body, auth = token, type = 'application/json') {
  const res = await fetch(server.base + path, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body != null ? { 'content-type': type } : {}) },
    body: body == null ? undefined : type === 'application/json' ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Run `fn` over `items`, `width` at a time. */
async function inBatches(items, width, fn) {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

async function control(page, id) {
  await tid(page, id).click();
  const ok = tid(page, 'confirm-ok');
  try {
    await ok.waitFor({ state: 'visible', timeout: 1500 });
    await ok.click();
  } catch { /* no confirmation for this action */ }
}

async function noHorizontalOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: ${overflow}px of horizontal overflow`);
}

/** Elements whose text overflows its box (cut off without an ellipsis) inside `selector`. */
async function clipped(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(`${sel} *`)]
    .filter((el) => el.children.length === 0 && el.textContent.trim() && !el.closest('.sr-only') && el.scrollWidth > el.clientWidth + 1
      && getComputedStyle(el).overflow !== 'visible' && getComputedStyle(el).textOverflow !== 'ellipsis')
    .map((el) => el.textContent.trim().slice(0, 40)), selector);
}

const boxOf = (locator) => locator.evaluate((el) => { const r = el.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; });
const intersects = (a, b) => Math.min(a.right, b.right) > Math.max(a.left, b.left) && Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top);

/** The toasts do not cover the search box, nor any other visible control. */
async function toastsClear(page, what) {
  const toasts = await page.locator('[data-testid="toast"]').evaluateAll((els) => els.map((el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  }));
  assert.ok(toasts.length > 0, `${what}: a toast is showing`);
  const search = await boxOf(tid(page, 'participant-search'));
  for (const box of toasts) assert.ok(!intersects(box, search), `${what}: toast ${JSON.stringify(box)} covers the search box ${JSON.stringify(search)}`);
  const covered = await page.evaluate((boxes) => {
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest('.toasts')) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      for (const b of boxes) {
        if (Math.min(b.right, r.right) > Math.max(b.left, r.left) && Math.min(b.bottom, r.bottom) > Math.max(b.top, r.top)) {
          out.push(el.dataset.testid || el.textContent.trim().slice(0, 20) || el.tagName);
        }
      }
    }
    return out;
  }, toasts);
  assert.deepEqual(covered, [], `${what}: toasts cover controls`);
}

/** Parse "m:ss" into seconds. */
const seconds = (text) => { const m = /^(\d+):(\d\d)$/.exec(text.trim()); return m ? Number(m[1]) * 60 + Number(m[2]) : null; };

/** Every text of a board's points column has the same number of decimals; returns that number. */
function evenDecimals(texts, what) {
  const places = new Set(texts.map((s) => (s.trim().split('.')[1] || '').length));
  assert.equal(places.size, 1, `${what}: uneven decimals ${JSON.stringify(texts)}`);
  return [...places][0];
}

test('the console at 1366×768 with 117 participants: setup, live round, exam round, results', { timeout: 600_000 }, async () => {
  // --- A contest of 117 over the API: a live round of 2 questions (speed bonus), an exam with a window ---
  const contest = await call('POST', '/api/contests', {
    title: '区公安分局“学党史、强警魂”党史知识竞赛（117 人）',
    bank_ids: ['party-history'],
    rounds: [
      { title: '第一轮 现场答题', kind: 'live', config: {
        blueprint: { quotas: [{ category: '新民主主义革命时期', type: 'single', count: 2 }] },
        scoring: { default_points: 10, speed_bonus: 0.3 }, question_seconds: 300, close_when_all_answered: false,
      } },
      { title: '第二轮 限时笔试', kind: 'exam', config: {
        blueprint: { quotas: [{ category: '改革开放和社会主义现代化建设新时期', type: 'true_false', count: 3 }] },
        time_limit_seconds: 600, window_seconds: 1800,
      } },
    ],
  });
  const cid = contest.id;
  const csv = ['姓名,警号,单位', ...Array.from({ length: ROSTER }, (_, i) =>
    `${['欧阳', '司马', '张', '王', '李'][i % 5]}${'志强建国秀英'.slice(i % 3, i % 3 + 2)}${i + 1},${String(320001 + i)},${UNITS[i % UNITS.length]}`)].join('\n');
  await call('POST', `/api/contests/${cid}/roster`, csv, token, 'text/csv');
  const people = [];
  await inBatches(Array.from({ length: JOINED }, (_, i) => i), 16, async (i) => {
    const joined = await call('POST', '/api/join', { code: contest.join_code, badge: String(320001 + i), device: `walk-device-${i}` }, null);
    people[i] = { token: joined.token, pid: joined.participant_id };
  });

  // --- Console: setup ---
  const ctx = await browser.newContext({ viewport: VIEWPORT, screen: { width: 1920, height: 1080 } });
  await ctx.addInitScript((t) => localStorage.setItem('jingsai.console.token', JSON.stringify(t)), token);
  const con = await ctx.newPage();
  const errors = [];
  con.on('pageerror', (e) => errors.push(e.message));
  await con.goto(`${server.base}/console#/c/${cid}/setup`);
  await tid(con, 'rounds-table').waitFor();
  await tid(con, 'participant-row').first().waitFor();
  await shot(con, 'walk-setup');
  await noHorizontalOverflow(con, 'setup');
  assert.deepEqual(await clipped(con, '[data-testid="rounds-table"]'), [], 'rounds table text fits');
  const kinds = await con.locator('[data-testid="round-row"] .pill.red').allTextContents();
  assert.deepEqual(kinds, ['现场答题'], 'the live round is called 现场答题');

  // Toasts: several at once (copying the join link), never more than three, never on a control — also not after
  // the participants' search box has been scrolled into the corner where toasts used to be.
  await tid(con, 'join-link-copy').click();
  await tid(con, 'join-link-copy').click();
  assert.equal(await tid(con, 'toast').count(), 1, 'the same message twice is one toast');
  await con.evaluate(() => import('/console/toast.js').then((m) => { for (let i = 1; i <= 5; i++) m.toast(`消息 ${i}`, i % 2 ? 'ok' : 'info'); }));
  assert.deepEqual(await tid(con, 'toast').allTextContents(), ['消息 3', '消息 4', '消息 5'], 'at most three toasts, the newest');
  await toastsClear(con, 'top of the setup page');
  await tid(con, 'participant-search').evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await con.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await tid(con, 'join-link-copy').evaluate((el) => el.click());
  await con.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await toastsClear(con, 'search box in view');
  await shot(con, 'walk-setup-toasts');
  await con.locator('[data-testid="toast"]').first().waitFor({ state: 'detached', timeout: 15_000 });
  await con.waitForFunction(() => document.querySelectorAll('[data-testid="toast"]').length === 0, null, { timeout: 15_000 });
  await con.evaluate(() => window.scrollTo(0, 0));

  // --- Live round ---
  await tid(con, 'tab-run').click();
  await control(con, 'ctl-start-round');
  await control(con, 'ctl-next');
  await tid(con, 'current-question').waitFor();
  let state = await call('GET', `/api/contests/${cid}`);
  const round1 = state.question.round_id;
  // Presenter mode is off: the key shows, and no warning while the console does not fill the screen.
  assert.equal(await tid(con, 'presenter-toggle').getAttribute('aria-pressed'), 'false');
  await tid(con, 'question-answer').waitFor();
  assert.ok(await con.locator('.option.correct').count() >= 1);
  assert.ok(await tid(con, 'key-warning').isHidden(), 'no warning in a window smaller than the screen');
  // Half the room answers (the first 30 right, the next 20 wrong); the missing list has the rest.
  const answer = async (q, from, to) => {
    const s = await call('GET', `/api/contests/${cid}`);
    const right = s.question.answer.choice[0];
    await inBatches(people.slice(from, to), 16, (p) => call('POST', '/api/answers',
      { round_id: s.question.round_id, index: q, choice: [people.indexOf(p) < from + 30 ? right : (right + 1) % 4] }, p.token));
  };
  await answer(0, 0, 50);
  await con.waitForFunction(() => document.querySelector('[data-testid="answered-count"]')?.textContent === '50');
  await con.waitForFunction((n) => document.querySelector('[data-testid="missing-count"]')?.textContent === `(${n})`, JOINED - 50);
  await shot(con, 'walk-live-open');
  await noHorizontalOverflow(con, 'live question');

  // The same console filling a screen of its own size (F11 on the laptop, mirrored to the projector): warned.
  const fullCtx = await browser.newContext({ viewport: VIEWPORT, screen: VIEWPORT });
  await fullCtx.addInitScript((t) => localStorage.setItem('jingsai.console.token', JSON.stringify(t)), token);
  const full = await fullCtx.newPage();
  full.on('pageerror', (e) => errors.push(`full: ${e.message}`));
  await full.goto(`${server.base}/console#/c/${cid}/run`);
  await tid(full, 'question-answer').waitFor();
  await tid(full, 'key-warning').waitFor();
  await shot(full, 'walk-key-warning');
  // The banner's button turns presenter mode on: the key goes, and so does the warning.
  await tid(full, 'key-warning-enable').click();
  await tid(full, 'answer-hidden').waitFor();
  assert.equal(await tid(full, 'question-answer').count(), 0);
  assert.ok(await tid(full, 'key-warning').isHidden(), 'no warning once the key is hidden');
  // Revealing the key on a full screen brings the warning back.
  await tid(full, 'answer-reveal').click();
  await tid(full, 'question-answer').waitFor();
  await tid(full, 'key-warning').waitFor();
  await fullCtx.close();

  // Full-screen mode proper (document.fullscreenElement) warns as well, in the laptop-sized window.
  await tid(con, 'clock').click();
  await con.evaluate(() => document.documentElement.requestFullscreen());
  await con.waitForFunction(() => !!document.fullscreenElement);
  await tid(con, 'key-warning').waitFor();
  await con.evaluate(() => document.exitFullscreen());
  await con.waitForFunction(() => !document.fullscreenElement);
  await tid(con, 'key-warning').waitFor({ state: 'hidden' });

  // Presenter mode on: the key, the marks on the options and the explanation are hidden until revealed.
  await tid(con, 'presenter-toggle').click();
  assert.equal(await tid(con, 'presenter-toggle').getAttribute('aria-pressed'), 'true');
  await tid(con, 'answer-hidden').waitFor();
  assert.equal(await tid(con, 'question-answer').count(), 0);
  assert.equal(await con.locator('.option.correct, .explanation').count(), 0, 'no mark of the key anywhere');
  const hiddenText = await tid(con, 'current-question').textContent();
  assert.ok(!hiddenText.includes('✓'));
  await shot(con, 'walk-presenter-hidden');
  // Remembered across a reload; the key stays hidden after it.
  await con.reload();
  await tid(con, 'answer-hidden').waitFor();
  assert.equal(await tid(con, 'presenter-toggle').getAttribute('aria-pressed'), 'true');
  // Reveal, hide again, reveal.
  await tid(con, 'answer-reveal').click();
  await tid(con, 'question-answer').waitFor();
  assert.ok(await con.locator('.option.correct').count() >= 1);
  await tid(con, 'answer-hide').click();
  await tid(con, 'answer-hidden').waitFor();
  await tid(con, 'answer-reveal').click();
  await tid(con, 'question-answer').waitFor();
  // Closing the question makes the key public: shown without a reveal.
  await control(con, 'ctl-close');
  await con.waitForFunction(() => document.querySelector('[data-testid="question-state"]')?.textContent !== '' &&
    !!document.querySelector('.opt-dist'));
  assert.equal(await tid(con, 'answer-hidden').count(), 0);
  // The next question is hidden again: a reveal is per question.
  await control(con, 'ctl-next');
  await con.waitForFunction(() => document.querySelector('.q-no')?.textContent.includes('2'));
  await tid(con, 'answer-hidden').waitFor();
  await answer(1, 0, 80);
  await con.waitForFunction(() => document.querySelector('[data-testid="answered-count"]')?.textContent === '80');
  await control(con, 'ctl-close');
  await con.locator('.opt-dist').first().waitFor();
  // A whole-number score beside fractional ones (speed bonus): one participant who never answered gets +100.
  await call('POST', `/api/contests/${cid}/adjustments`, { participant_id: people[JOINED - 1].pid, delta: 100, reason: '现场加分' });
  await con.waitForFunction((name) => [...document.querySelectorAll('[data-testid="top-table"] td')].some((td) => td.textContent.includes(name)),
    (await call('GET', `/api/contests/${cid}/results`)).ranking[0].name);
  const topScores = await tid(con, 'top-score').allTextContents();
  assert.ok(topScores.some((s) => s === '100.00'), `the whole score shows its decimals: ${topScores}`);
  assert.equal(evenDecimals(topScores, 'top places'), 2);
  await shot(con, 'walk-live-closed');
  await control(con, 'ctl-end-round');

  // --- Exam round: who has not handed in, with each paper's time left ---
  await control(con, 'ctl-start-round');
  await tid(con, 'exam-progress').waitFor();
  await tid(con, 'exam-pending').waitFor();
  const openers = people.slice(0, 60);
  await inBatches(openers, 16, (p) => call('POST', '/api/exam/start', null, p.token));
  await inBatches(openers.slice(0, 30), 16, (p) => call('POST', '/api/exam/submit', null, p.token));
  const pendingCount = JOINED - 30;
  await con.waitForFunction((n) => document.querySelector('[data-testid="exam-pending-count"]')?.textContent === `(${n})`, pendingCount);
  await con.waitForFunction(() => document.querySelector('[data-testid="exam-submitted"]')?.textContent.startsWith('30'));
  state = await call('GET', `/api/contests/${cid}`);
  const expected = state.participants.filter((p) => p.joined && p.exam_submitted_at == null);
  const rows = await con.locator('[data-testid="exam-pending-row"]').evaluateAll((els) => els.map((el) => ({
    pid: Number(el.dataset.pid), left: el.querySelector('[data-testid="exam-pending-left"]').textContent,
  })));
  assert.equal(rows.length, pendingCount);
  assert.deepEqual(new Set(rows.map((r) => r.pid)), new Set(expected.map((p) => p.id)));
  // Papers that are open come first, with their own deadline (opened + 10 min); then those not opened yet, with
  // the round window's end.
  const examRound = state.rounds.find((r) => r.kind === 'exam');
  const now = Date.now();
  for (const [i, row] of rows.entries()) {
    const p = expected.find((x) => x.id === row.pid);
    const deadline = p.exam_started_at != null ? p.exam_deadline : examRound.ends_at;
    assert.equal(i < 30, p.exam_started_at != null, `row ${i}: open papers first`);
    const shown = seconds(row.left);
    assert.ok(shown != null && Math.abs(shown - (deadline - now) / 1000) <= 3,
      `row ${i}: ${row.left} for ${(deadline - now) / 1000} s left`);
  }
  const firstLeft = seconds(rows[0].left);
  assert.ok(firstLeft > 8 * 60 && firstLeft <= 10 * 60, `an open paper has about 10 min: ${rows[0].left}`);
  assert.ok(seconds(rows[rows.length - 1].left) > 25 * 60, 'an unopened paper has the window');
  // The clock runs: the first row counts down.
  await con.waitForFunction((before) => {
    const m = /^(\d+):(\d\d)$/.exec(document.querySelector('[data-testid="exam-pending-left"]').textContent);
    return m && Number(m[1]) * 60 + Number(m[2]) < before;
  }, firstLeft, { timeout: 5000 });
  // One more hands in: gone from the list, without a reload.
  const late = openers[30];
  await call('POST', '/api/exam/submit', null, late.token);
  await con.locator(`[data-testid="exam-pending-row"][data-pid="${late.pid}"]`).waitFor({ state: 'detached' });
  await con.waitForFunction((n) => document.querySelector('[data-testid="exam-pending-count"]')?.textContent === `(${n})`, pendingCount - 1);
  await shot(con, 'walk-exam');
  await noHorizontalOverflow(con, 'exam');
  assert.deepEqual(await clipped(con, '[data-testid="exam-pending"]'), [], 'pending list text fits');
  // The organizer scrolls down the list; papers handed in meanwhile do not throw the list back to the top.
  const list = tid(con, 'exam-pending-list');
  await list.evaluate((el) => { el.scrollTop = 200; });
  const before = await list.evaluate((el) => el.scrollTop);
  assert.ok(before > 100, `the list scrolls (${before})`);
  await call('POST', '/api/exam/submit', null, openers[31].token);
  await con.locator(`[data-testid="exam-pending-row"][data-pid="${openers[31].pid}"]`).waitFor({ state: 'detached' });
  assert.equal(await list.evaluate((el) => el.scrollTop), before, 'the list keeps its scroll position');
  // The same screen in English fits too.
  await tid(con, 'lang-toggle').click();
  await con.waitForFunction(() => document.documentElement.lang === 'en');
  await tid(con, 'exam-pending').waitFor();
  await shot(con, 'walk-exam-en');
  await noHorizontalOverflow(con, 'exam (English)');
  const bar = await boxOf(con.locator('.control-bar'));
  assert.ok(bar.bottom - bar.top < 80, `the control bar stays one row in English (${bar.bottom - bar.top}px)`);
  await tid(con, 'lang-toggle').click();
  await con.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await control(con, 'ctl-end-round');
  await control(con, 'ctl-finish');

  // --- Results and one breakdown ---
  await tid(con, 'tab-results').click();
  await tid(con, 'result-row').first().waitFor();
  await shot(con, 'walk-results');
  await noHorizontalOverflow(con, 'results');
  const ranking = (await call('GET', `/api/contests/${cid}/results`)).ranking;
  const someone = ranking.find((e) => e.participant_id === people[0].pid);
  await con.locator(`[data-testid="result-row"][data-pid="${someone.participant_id}"]`).click();
  await tid(con, 'breakdown-item').first().waitFor();
  const points = await tid(con, 'breakdown-points').allTextContents();
  assert.ok(points.length >= 4, `live and exam items: ${points}`);
  evenDecimals(points.flatMap((s) => s.split('+').map((x) => x.trim())), 'breakdown items');
  evenDecimals([await tid(con, 'breakdown-score').textContent(), (await tid(con, 'breakdown-adjustment').textContent()).replace('+', '')],
    'breakdown figures');
  await shot(con, 'walk-breakdown');
  assert.deepEqual(errors, [], 'no uncaught errors');
  await ctx.close();
});
