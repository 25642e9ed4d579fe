// One end-to-end contest through the three web apps in headless Chromium: the organizer console, the big
// screen and five phones. The organizer logs in, creates a contest from the shipped bank with a live and an exam
// round, imports a roster, opens the big screen; the phones join, answer (one of them loses its connection
// mid-question), take the exam; the screen shows distributions, the leaderboard and the podium; the final ranks on
// every screen equal what the API reports. Screenshots of each main screen go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, apiClient, shot, ADMIN_PASSWORD } from './harness.mjs';

const PHONES = [
  { badge: '310001', viewport: { width: 360, height: 740 } },
  { badge: '310002', viewport: { width: 414, height: 896 } },
  { badge: '310003', viewport: { width: 360, height: 740 } },
  { badge: '310004', viewport: { width: 414, height: 896 } },
  { badge: '310005', viewport: { width: 360, height: 740 } },
];
const ROSTER = [
  '姓名,警号,单位',
  '张伟,310001,刑侦大队',
  '王芳,310002,治安大队',
  '李娜,310003,刑侦大队',
  '刘洋,310004,交警大队',
  '陈静,310005,治安大队',
  '杨帆,310006,交警大队',
].join('\n');
const LIVE_QUESTIONS = 3;
const EXAM_QUESTIONS = 3;

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

const cspViolations = [];

/** Collect uncaught errors and Content-Security-Policy violations (the server sends a strict policy). */
async function watch(page, name) {
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  // Chromium reports a blocked script, style, image or connection on the console; the event catches the rest.
  page.on('console', (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) cspViolations.push(`${name}: ${msg.text()}`);
  });
  // Both awaited: the listener must be in place before the first navigation, or the event report is lost.
  await page.exposeFunction('__reportCspViolation', (text) => cspViolations.push(`${name}: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCspViolation?.(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return page;
}

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

/** Click a control button in the console, confirming the dialog when one appears. */
async function control(page, id) {
  await tid(page, id).click();
  const dialog = tid(page, 'confirm-ok');
  try {
    await dialog.waitFor({ state: 'visible', timeout: 1500 });
    await dialog.click();
  } catch { /* no confirmation for this action */ }
}

async function noHorizontalOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${what}: ${overflow}px of horizontal overflow`);
}

test('a whole contest: console, big screen and five phones', { timeout: 600_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();

  // --- Organizer: log in, create a contest with a live and an exam round ---
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const con = await watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/login`);
  await tid(con, 'login-username').fill('admin');
  await tid(con, 'login-password').fill(ADMIN_PASSWORD);
  await shot(con, 'console-login');
  // The violation check itself works: an inline script is blocked under the policy and reported.
  const blocked = await con.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.body.append(script);
    script.remove();
    return window.__inlineRan === true;
  });
  assert.equal(blocked, false, 'an inline script must not run under the Content-Security-Policy');
  // Both reports of the probe (the console message and the securitypolicyviolation event) arrive, then are cleared.
  const reported = () => [/Content Security Policy/i, /blocked inline/].every((re) => cspViolations.some((v) => re.test(v)));
  // Waits up to 10 s: on a loaded machine the event report can come well after the console message.
  for (let i = 0; i < 500 && !reported(); i++) await con.waitForTimeout(20);
  assert.ok(reported(), `the probe inline script was reported as a CSP violation: ${JSON.stringify(cspViolations)}`);
  cspViolations.length = 0;
  await tid(con, 'login-submit').click();
  await tid(con, 'new-contest').click();
  // The form re-renders when the bank list and the category counts arrive; fill it once it is stable.
  await con.locator('[data-testid="contest-form"][data-ready="true"]').waitFor();
  await tid(con, 'contest-title').fill('区公安分局党史知识竞赛（浏览器测试）');
  const live = con.locator('[data-testid="round-editor"]').nth(0);
  await live.locator('[data-testid="round-seconds"]').fill('120');
  // The organizer closes each question (no early close), so every phone shows its receipt first.
  await live.locator('[data-testid="round-close-all"]').uncheck();
  await live.locator('[data-testid="quota-category"]').nth(0).selectOption('新民主主义革命时期');
  await live.locator('[data-testid="quota-type"]').nth(0).selectOption('single');
  await live.locator('[data-testid="quota-count"]').nth(0).fill(String(LIVE_QUESTIONS));
  await tid(con, 'round-add-exam').click();
  const exam = con.locator('[data-testid="round-editor"]').nth(1);
  await exam.locator('[data-testid="round-time-limit"]').fill('10');
  await exam.locator('[data-testid="quota-category"]').nth(0).selectOption('改革开放和社会主义现代化建设新时期');
  await exam.locator('[data-testid="quota-type"]').nth(0).selectOption('true_false');
  await exam.locator('[data-testid="quota-count"]').nth(0).fill(String(EXAM_QUESTIONS));
  await shot(con, 'console-new-contest');
  assert.equal(await tid(con, 'contest-title').inputValue(), '区公安分局党史知识竞赛（浏览器测试）');
  await tid(con, 'contest-create').click();
  await tid(con, 'rounds-table').waitFor();
  const contests = await api.get('/api/contests');
  assert.equal(contests.length, 1);
  const contestId = contests[0].id;
  const code = contests[0].join_code;

  await tid(con, 'roster-text').fill(ROSTER);
  await tid(con, 'roster-import').click();
  await tid(con, 'roster-result').waitFor();
  assert.equal(await tid(con, 'join-code').first().textContent().then((t) => t.trim()), code);
  await tid(con, 'display-link').click();
  await tid(con, 'display-url').waitFor();
  const displayUrl = (await tid(con, 'display-url').inputValue()).trim();
  assert.match(displayUrl, /\/screen\?token=/);
  await shot(con, 'console-setup');

  // --- Big screen ---
  const screenCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const screen = await watch(await screenCtx.newPage(), 'screen');
  await screen.goto(displayUrl.replace(/^https?:\/\/[^/]+/, server.base));
  await tid(screen, 'lobby').waitFor();
  await tid(screen, 'qr').waitFor();

  // --- Phones join by the QR link ---
  const phones = [];
  for (const spec of PHONES) {
    const ctx = await browser.newContext({ viewport: spec.viewport, isMobile: true, hasTouch: true });
    const page = await watch(await ctx.newPage(), `phone ${spec.badge}`);
    // Answers and the exam paper go over the phone's socket while it is open; HTTP is the fallback.
    const http = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'POST' && (path === '/api/answers' || path.startsWith('/api/exam/'))) http.push(path);
    });
    await page.goto(`${server.base}/?c=${code}`);
    // The QR link carries the code: the app moves on to the badge step by itself (or offers "next").
    for (let tries = 0; tries < 100; tries++) {
      if (await tid(page, 'join-badge').isVisible()) break;
      if (await tid(page, 'join-code-next').isVisible()) await tid(page, 'join-code-next').click({ timeout: 1000 }).catch(() => {});
      await page.waitForTimeout(100);
    }
    await tid(page, 'join-badge').fill(spec.badge);
    await tid(page, 'join-submit').click();
    await tid(page, 'lobby').waitFor();
    phones.push({ ...spec, ctx, page, http });
  }
  await shot(phones[0].page, 'phone-lobby');
  await noHorizontalOverflow(phones[0].page, 'phone lobby');
  await screen.waitForFunction(() => document.querySelector('[data-testid="joined-count"]')?.textContent.includes('5'));
  await shot(screen, 'screen-lobby');

  // --- Live round ---
  await tid(con, 'tab-run').click();
  await control(con, 'ctl-start-round');
  for (let q = 0; q < LIVE_QUESTIONS; q++) {
    await control(con, 'ctl-next');
    const state = await api.get(`/api/contests/${contestId}`);
    assert.equal(state.question.index, q);
    assert.equal(state.question.state, 'open');
    const correct = state.question.answer.choice[0];
    const wrong = correct === 0 ? 1 : 0;
    await tid(screen, 'question-stem').waitFor();
    if (q === 0) await shot(screen, 'screen-question');
    for (const [i, phone] of phones.entries()) {
      // Phone 5 sits out question 1; phones 4 and 5 answer wrong; the others are right.
      if (q === 0 && i === 4) continue;
      const choice = i >= 3 ? wrong : correct;
      await tid(phone.page, 'question-stem').waitFor();
      if (q === 1 && i === 0) {
        // A phone loses its connection mid-question and recovers with its answer kept.
        await phone.ctx.setOffline(true);
        await tid(phone.page, `option-${choice}`).click();
        await phone.page.waitForTimeout(700);
        assert.equal(await tid(phone.page, 'answer-received').count(), 0, 'not received while offline');
        await shot(phone.page, 'phone-offline');
        await phone.ctx.setOffline(false);
      } else {
        await tid(phone.page, `option-${choice}`).click();
      }
      try {
        await tid(phone.page, 'answer-received').waitFor({ timeout: 20_000 });
      } catch (e) {
        await shot(phone.page, `failed-answer-q${q}-phone${i}`);
        throw e;
      }
    }
    if (q === 0) {
      await shot(phones[1].page, 'phone-answer-received');
      await shot(con, 'console-question-open');
    }
    // The answer of the phone that went offline is on the server.
    if (q === 1) {
      const me = await phones[0].page.evaluate(async () => {
        const token = JSON.parse(localStorage.getItem('jingsai.play.session')).token;
        const r = await fetch('/api/me', { headers: { authorization: `Bearer ${token}` } });
        return r.json();
      });
      assert.deepEqual(me.question.my_answer.choice, [correct], 'the offline answer was kept');
    }
    if (q === 2) {
      // Phone 2 switches to another app: the switch is reported and counted for the organizer.
      await phones[1].page.evaluate(() => {
        const set = (hidden) => {
          Object.defineProperty(document, 'hidden', { value: hidden, configurable: true });
          Object.defineProperty(document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
          document.dispatchEvent(new Event('visibilitychange'));
        };
        set(true);
        set(false);
      });
      let switches = 0;
      for (let tries = 0; tries < 50 && switches === 0; tries++) {
        const list = await api.get(`/api/contests/${contestId}/participants`);
        switches = list.participants.find((p) => p.badge === PHONES[1].badge).tab_switches;
        if (switches === 0) await con.waitForTimeout(100);
      }
      assert.equal(switches, 1, 'the tab switch was counted');
    }
    await control(con, 'ctl-close');
    await tid(screen, 'dist-bar').first().waitFor();
    await tid(screen, 'correct-option').first().waitFor();
    const closed = await api.get(`/api/contests/${contestId}`);
    assert.equal(closed.question.state, 'closed');
    if (q === 0) {
      await screen.waitForTimeout(2500); // let the bars and the count-up settle for the picture
      await shot(screen, 'screen-distribution');
      await tid(phones[0].page, 'result').waitFor();
      await shot(phones[0].page, 'phone-result');
      await noHorizontalOverflow(phones[0].page, 'phone result');
      await shot(con, 'console-question-closed');
    }
    const outcome = await tid(phones[0].page, 'result').getAttribute('data-outcome');
    assert.equal(outcome, 'correct');
    const wrongOutcome = await tid(phones[4].page, 'result').getAttribute('data-outcome');
    assert.equal(wrongOutcome, q === 0 ? 'none' : 'wrong');
  }
  await tid(screen, 'leaderboard-row').first().waitFor({ timeout: 30_000 });
  await screen.waitForTimeout(2500);
  await shot(screen, 'screen-leaderboard');
  await control(con, 'ctl-end-round');

  // --- Exam round ---
  await control(con, 'ctl-start-round');
  for (const [i, phone] of phones.entries()) {
    const page = phone.page;
    await tid(page, 'exam').waitFor();
    for (let k = 0; k < EXAM_QUESTIONS; k++) {
      // Phones answer "正确" on every question, except phone 3 who leaves the last one out.
      if (!(i === 2 && k === EXAM_QUESTIONS - 1)) {
        await tid(page, 'option-0').click();
        await page.waitForSelector('[data-testid="exam-save-status"][data-state="saved"]');
      }
      if (k < EXAM_QUESTIONS - 1) await tid(page, 'exam-next').click();
    }
    if (i === 0) await shot(page, 'phone-exam');
    await tid(page, 'exam-submit').click();
    await tid(page, 'exam-confirm-dialog').waitFor();
    if (i === 2) await shot(page, 'phone-exam-confirm');
    await tid(page, 'exam-confirm-submit').click();
    await tid(page, 'exam-submitted').waitFor();
  }
  await shot(screen, 'screen-exam');
  // Every phone opened, answered and handed in its paper over its socket; only the phone that went offline
  // mid-question may have sent that answer over HTTP.
  for (const [i, phone] of phones.entries()) {
    const sent = phone.http.filter((path) => i !== 0 || path !== '/api/answers');
    assert.deepEqual(sent, [], `phone ${phone.badge}: answers and exam over the socket`);
  }
  await control(con, 'ctl-end-round');
  await control(con, 'ctl-finish');

  // --- Final ranks: the API, the console, the phones and the podium agree ---
  const results = await api.get(`/api/contests/${contestId}/results`);
  const ranking = results.ranking;
  assert.equal(ranking.length, 6);
  await tid(screen, 'podium').waitFor({ timeout: 30_000 });
  await screen.waitForTimeout(3000); // the podium rises place by place
  await shot(screen, 'screen-podium');
  const podium = await tid(screen, 'podium-place').allTextContents();
  for (const entry of ranking.filter((e) => e.rank != null && e.rank <= 3)) {
    assert.ok(podium.some((text) => text.includes(entry.name)), `${entry.name} (rank ${entry.rank}) is on the podium`);
  }

  await tid(con, 'tab-results').click();
  await tid(con, 'result-row').first().waitFor();
  await shot(con, 'console-results');
  const rows = await con.locator('[data-testid="result-row"]').evaluateAll((els) =>
    els.map((el) => ({ pid: Number(el.dataset.pid), text: el.textContent })));
  assert.deepEqual(rows.map((r) => r.pid), ranking.map((e) => e.participant_id), 'console ranking order');

  for (const phone of phones) {
    const entry = ranking.find((e) => e.badge === phone.badge);
    await tid(phone.page, 'final').waitFor({ timeout: 30_000 });
    const shown = (await tid(phone.page, 'final-rank').textContent()).replace(/\D+/g, ' ').trim().split(' ')[0];
    assert.equal(Number(shown), entry.rank, `final rank on phone ${phone.badge}`);
  }
  await shot(phones[0].page, 'phone-final');

  // Unit standings on the console match the API.
  const units = await con.locator('[data-testid="unit-row"]').allTextContents();
  assert.equal(units.length, results.units.length);
  for (const [i, u] of results.units.entries()) assert.ok(units[i].includes(u.unit), `unit ${u.unit} in place ${i + 1}`);

  // A score adjustment needs a reason and lands in the audit trail shown in the console.
  const last = ranking[ranking.length - 1];
  await con.locator(`[data-testid="result-row"][data-pid="${last.participant_id}"]`).click();
  await tid(con, 'breakdown').waitFor();
  await tid(con, 'adjust-delta').fill('5');
  await tid(con, 'adjust-submit').click();
  await tid(con, 'adjust-error').waitFor();
  await tid(con, 'adjust-reason').fill('现场补录：答题器故障');
  await tid(con, 'adjust-submit').click();
  await tid(con, 'adjustment-row').first().waitFor();
  await shot(con, 'console-adjustment');
  const trail = await api.get(`/api/contests/${contestId}/adjustments`);
  assert.equal(trail.length, 1);
  assert.equal(trail[0].reason, '现场补录：答题器故障');
  assert.equal(trail[0].delta_centi, 500);
  const adjusted = await api.get(`/api/contests/${contestId}/results`);
  const after = adjusted.ranking.find((e) => e.participant_id === last.participant_id);
  assert.equal(after.score, last.score + 5);

  assert.deepEqual(pageErrors, [], 'no uncaught errors in any page');
  assert.deepEqual(cspViolations, [], 'no Content-Security-Policy violation in any page');
});
