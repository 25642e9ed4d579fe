// A whole contest walked on two phones: a low-end 360×640 phone with a large system font (Chinese), and a
// 390×844 phone in English. Join (code, then badge), lobby, a live round with a single-choice, a multiple-choice,
// a true/false and a fill-in question (answer, verdict), the pause between rounds, an exam round (with the
// hand-in dialog listing the unanswered questions, tappable), the exam review and the final summary with the
// review of every round. On every screen: no horizontal overflow (document.documentElement.scrollWidth <=
// innerWidth, and no visible element reaching past the left or right edge) and the main button reachable.
//
// The large font: Android's font-size setting (up to 1.3× on most phones, "largest") scales the text of web
// pages. The app sizes its text in rem/em, so the phone is emulated by a root font size of 130% (20.8px instead
// of 16px), set through the CSSOM before the app's scripts run (an injected <style> would be refused by the
// server's Content-Security-Policy).
//
// Screenshots: target/screenshots/phone-walk-<phone>-<screen>.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, apiClient, shot, importRoster, horizontalOverflow, SCREENSHOTS,
} from './harness.mjs';
import { join } from 'node:path';

const FONT_SCALE = '130%';
const LIVE = ['single', 'multiple', 'true_false', 'fill'];
const EXAM_QUESTIONS = 5;

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

async function newPhone({ name, badge, viewport, bigFont, english }) {
  const ctx = await browser.newContext({ viewport, isMobile: true, hasTouch: true });
  if (bigFont) {
    await ctx.addInitScript((size) => {
      const apply = () => document.documentElement && document.documentElement.style.setProperty('font-size', size);
      apply();
      document.addEventListener('DOMContentLoaded', apply);
    }, FONT_SCALE);
  }
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  return { name, badge, viewport, bigFont, english, page, errors };
}

/** No horizontal overflow on the screen as it is now; a screenshot of it. */
async function check(phone, screen) {
  const o = await horizontalOverflow(phone.page);
  await shot(phone.page, `phone-walk-${phone.name}-${screen}`);
  assert.ok(o.scrollWidth <= o.innerWidth, `${phone.name} ${screen}: scrollWidth ${o.scrollWidth} > innerWidth ${o.innerWidth}`);
  assert.deepEqual(o.offenders, [], `${phone.name} ${screen}: elements past the edge`);
  assert.deepEqual(o.spills, [], `${phone.name} ${screen}: text wider than its box`);
}

/** The element is entirely inside the viewport (as it is scrolled now). */
async function inView(phone, locator, what) {
  const box = await locator.boundingBox();
  const { width, height } = phone.viewport;
  assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5,
    `${phone.name}: ${what} inside the ${width}×${height} viewport, got ${JSON.stringify(box)}`);
}

test('a contest walked on a 360×640 phone with a large font and a 390×844 phone in English', { timeout: 400_000 }, async () => {
  const org = apiClient(server.base);
  await org.login();
  const contest = await org.post('/api/contests', {
    title: '区公安分局“学党史、悟思想”知识竞赛（手机端全流程）',
    bank_ids: ['party-history'],
    rounds: [
      {
        title: '第一轮 现场抢答', kind: 'live',
        config: {
          blueprint: { quotas: LIVE.map((type) => ({ type, count: 1 })), shuffle_questions: false },
          scoring: { default_points: 10, speed_bonus: 0.2 },
          question_seconds: 300,
          close_when_all_answered: false,
        },
      },
      {
        title: '第二轮 在线答卷', kind: 'exam',
        config: {
          blueprint: {
            quotas: [{ type: 'single', count: 2 }, { type: 'multiple', count: 1 }, { type: 'true_false', count: 1 },
              { type: 'fill', count: 1 }],
          },
          time_limit_seconds: 900,
        },
      },
    ],
  });
  await importRoster(server.base, contest.id,
    '姓名,警号,单位\n欧阳晓明,610001,市公安局交通警察支队直属二大队\nAnn Lee,610002,Patrol\n');

  const small = await newPhone({ name: '360x640-large-font', badge: '610001', viewport: { width: 360, height: 640 }, bigFont: true });
  const wide = await newPhone({ name: '390x844-en', badge: '610002', viewport: { width: 390, height: 844 }, english: true });
  const phones = [small, wide];
  const fontSize = async (page) => page.evaluate(() => getComputedStyle(document.documentElement).fontSize);

  // --- Join: the code, then the badge ---
  for (const phone of phones) {
    const { page } = phone;
    await page.goto(`${server.base}/`);
    await tid(page, 'join-code').waitFor();
    if (phone.english) {
      await tid(page, 'lang-toggle').click();
      await page.waitForFunction(() => document.documentElement.lang === 'en');
    }
    assert.equal(await fontSize(page), phone.bigFont ? '20.8px' : '16px', `${phone.name}: root font size`);
    await check(phone, 'join-code');
    await tid(page, 'join-code').fill(contest.join_code);
    await tid(page, 'join-code-next').click();
    await tid(page, 'join-badge').waitFor();
    await tid(page, 'join-badge').fill(phone.badge);
    await check(phone, 'join-badge');
    await page.evaluate(() => window.scrollTo(0, 0));
    await inView(phone, tid(page, 'join-submit'), 'the join button, without scrolling');
    await tid(page, 'join-submit').click();
    await tid(page, 'lobby').waitFor();
    await check(phone, 'lobby');
  }

  // --- Live round ---
  let state = await org.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
  for (const phone of phones) {
    await tid(phone.page, 'wait-ready').waitFor();
    await check(phone, 'live-ready');
  }
  for (const [q, type] of LIVE.entries()) {
    state = await org.post(`/api/contests/${contest.id}/control`, { action: 'next' });
    assert.equal(state.question.question.type, type);
    const key = state.question.answer;
    for (const [i, phone] of phones.entries()) {
      const { page } = phone;
      await page.waitForFunction((n) => document.querySelector('[data-testid="live"]')?.dataset && document.querySelector('.qindex')?.textContent.match(new RegExp(`(第 ${n} 题|Question ${n}/)`)), q + 1);
      await tid(page, 'question-stem').waitFor();
      await check(phone, `live-${type}-open`);
      // The small phone answers right, the other wrong (the multiple and the fill-in) or right.
      const right = i === 0 || type === 'single' || type === 'true_false';
      if (type === 'multiple') {
        const picks = right ? key.choice : [...new Set([0, 1, 2, 3, 4])].filter((k) => !key.choice.includes(k)).slice(0, 1).concat(key.choice[0]);
        for (const k of picks) await tid(page, `option-${k}`).click();
        // The confirm button sticks to the bottom of the screen, in sight without scrolling back.
        await inView(phone, tid(page, 'submit-answer'), 'the confirm button');
        await check(phone, `live-${type}-picked`);
        await tid(page, 'submit-answer').click();
      } else if (type === 'fill') {
        for (let k = 0; k < key.blanks.length; k++) await tid(page, `fill-input-${k}`).fill(right ? key.blanks[k][0] : 'wrong');
        await tid(page, 'submit-answer').scrollIntoViewIfNeeded();
        await inView(phone, tid(page, 'submit-answer'), 'the submit button');
        await check(phone, `live-${type}-filled`);
        await tid(page, 'submit-answer').click();
      } else {
        await tid(page, `option-${key.choice[0]}`).click();
      }
      await tid(page, 'answer-received').waitFor({ timeout: 20_000 });
      await check(phone, `live-${type}-sent`);
    }
    await org.post(`/api/contests/${contest.id}/control`, { action: 'close' });
    for (const [i, phone] of phones.entries()) {
      const { page } = phone;
      const right = i === 0 || type === 'single' || type === 'true_false';
      await page.locator(`[data-testid="verdict"][data-outcome="${right ? 'correct' : 'wrong'}"]`).waitFor();
      await inView(phone, tid(page, 'verdict'), `the ${type} verdict`);
      await check(phone, `live-${type}-verdict`);
      // The whole page after the close, scrolled to its end (the explanation).
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await check(phone, `live-${type}-verdict-end`);
    }
  }
  await org.post(`/api/contests/${contest.id}/control`, { action: 'end_round' });
  for (const phone of phones) {
    await tid(phone.page, 'wait-between').waitFor();
    await check(phone, 'between-rounds');
  }

  // --- Exam round ---
  await org.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
  for (const phone of phones) {
    const { page } = phone;
    await tid(page, 'exam').waitFor();
    await tid(page, 'exam-nav-item').first().waitFor();
    assert.equal(await tid(page, 'exam-nav-item').count(), EXAM_QUESTIONS);
    await check(phone, 'exam-open');
    // The small phone leaves questions 2 and 4 out; the other answers everything.
    const skip = phone === small ? new Set([1, 3]) : new Set();
    for (let k = 0; k < EXAM_QUESTIONS; k++) {
      await page.locator(`[data-testid="exam-nav-item"][data-index="${k}"]`).click();
      await page.waitForFunction((n) => document.querySelector('[data-testid="exam"] .qindex')?.textContent.match(new RegExp(`(第 ${n} 题|Question ${n}$)`)), k + 1);
      if (skip.has(k)) continue;
      await answerExamQuestion(page);
      if (k === 2) await check(phone, 'exam-multiple');
      if (k === EXAM_QUESTIONS - 1) await check(phone, 'exam-last');
    }
    await tid(page, 'exam-submit').click();
    await tid(page, 'exam-confirm-dialog').waitFor();
    await inView(phone, tid(page, 'exam-confirm-dialog'), 'the hand-in dialog');
    await inView(phone, tid(page, 'exam-confirm-submit'), 'the hand-in button');
    await check(phone, 'exam-confirm');
    const listed = await tid(page, 'exam-confirm-goto').evaluateAll((els) => els.map((el) => el.textContent.trim()));
    if (phone === small) {
      // Item 4: the dialog names the unanswered questions; tapping one goes there.
      assert.deepEqual(listed, ['2', '4'], 'the unanswered questions are listed');
      assert.match(await tid(page, 'exam-confirm-text').textContent(), /2/);
      await page.locator('[data-testid="exam-confirm-goto"][data-index="3"]').click();
      await tid(page, 'exam-confirm-dialog').waitFor({ state: 'hidden' });
      await page.waitForFunction(() => document.querySelector('[data-testid="exam"] .qindex')?.textContent.includes('第 4 题'));
      assert.equal(await page.locator('[data-testid="exam-nav-item"][aria-current="true"]').getAttribute('data-index'), '3');
      await answerExamQuestion(page);
      await tid(page, 'exam-submit').click();
      await tid(page, 'exam-confirm-dialog').waitFor();
      assert.deepEqual(await tid(page, 'exam-confirm-goto').evaluateAll((els) => els.map((el) => el.textContent.trim())), ['2']);
      await check(phone, 'exam-confirm-one-left');
    } else {
      assert.deepEqual(listed, [], 'nothing listed when all are answered');
      assert.equal(await tid(page, 'exam-confirm-unanswered').isVisible(), false);
    }
    await tid(page, 'exam-confirm-submit').click();
    await tid(page, 'exam-submitted').waitFor();
    await check(phone, 'exam-submitted');
  }
  await org.post(`/api/contests/${contest.id}/control`, { action: 'end_round' });
  for (const phone of phones) {
    await tid(phone.page, 'exam-result').waitFor();
    await tid(phone.page, 'exam-score').waitFor();
    await check(phone, 'exam-result');
  }

  // --- Final summary and the review of every round ---
  await org.post(`/api/contests/${contest.id}/control`, { action: 'finish' });
  const results = await org.get(`/api/contests/${contest.id}/results`);
  for (const phone of phones) {
    const { page } = phone;
    await tid(page, 'final').waitFor();
    await tid(page, 'contest-review').waitFor({ timeout: 20_000 });
    await check(phone, 'final');
    await page.screenshot({ path: join(SCREENSHOTS, `phone-walk-${phone.name}-final-full.png`), fullPage: true });
    const entry = results.ranking.find((e) => e.badge === phone.badge);
    // Item 3: the review covers every round: the 4 live questions and the 5 of the paper.
    assert.equal(await page.locator('[data-testid="live-review"] [data-testid="review-item"]').count(), LIVE.length);
    assert.equal(await page.locator('[data-testid="exam-review"] [data-testid="review-item"]').count(), EXAM_QUESTIONS);
    const correct = await page.locator('[data-testid="contest-review"] [data-testid="review-item"][data-outcome="correct"]').count();
    assert.equal(correct, entry.correct, `${phone.name}: correct answers in the review = the results`);
    const title = await tid(page, 'review-title').textContent();
    assert.ok(title.includes(`${entry.correct}`) && title.includes(`${LIVE.length + EXAM_QUESTIONS}`), title);
    const summary = await page.locator('[data-testid="final"] .hero-sub').textContent();
    assert.ok(summary.includes(String(entry.correct)), `summary "${summary}" counts ${entry.correct}`);
    // The points of the review add up to the final score.
    const points = await tid(page, 'review-points').allTextContents();
    const sum = points.reduce((s, t) => s + parseFloat(t.replace('−', '-').replace(/[^\d.+-]/g, '')), 0);
    const finalScore = parseFloat(await tid(page, 'final-score').textContent());
    assert.ok(Math.abs(sum - entry.score) < 0.005 && Math.abs(finalScore - entry.score) < 0.005,
      `${phone.name}: review points ${sum}, final ${finalScore}, results ${entry.score}`);
    // Every score on the final screen has the same decimals.
    const decimals = [await tid(page, 'final-score').textContent(), ...points]
      .map((t) => (t.match(/\d+(?:\.(\d+))?/) || [])[1]?.length || 0);
    assert.equal(new Set(decimals).size, 1, `${phone.name}: even decimals ${JSON.stringify(decimals)}`);
    // Open a live and an exam item: the stems, options and explanations fit too.
    await page.locator('[data-testid="live-review"] [data-testid="review-item"] summary').nth(1).click();
    await page.locator('[data-testid="exam-review"] [data-testid="review-item"] summary').nth(4).click();
    await page.locator('[data-testid="live-review"] [data-testid="review-item"]').nth(1).scrollIntoViewIfNeeded();
    await check(phone, 'final-review-open');
  }
  // An adjustment after the finish: the phone's score and its review (which shows the adjustment) still agree.
  const adjusted = results.ranking.find((e) => e.badge === wide.badge);
  await org.post(`/api/contests/${contest.id}/adjustments`, { participant_id: adjusted.participant_id, delta: 2.5, reason: '申诉成立' });
  await tid(wide.page, 'review-adjustment').waitFor({ timeout: 20_000 });
  assert.match(await tid(wide.page, 'review-adjustment').textContent(), /\+2\.50/);
  await wide.page.waitForFunction((score) => parseFloat(document.querySelector('[data-testid="final-score"]').textContent) === score,
    Math.round((adjusted.score + 2.5) * 100) / 100);
  await check(wide, 'final-adjusted');
  assert.deepEqual([...small.errors, ...wide.errors], [], 'no uncaught errors');
});

/** Answer the exam question on screen: the first option(s), or some text in every blank. */
async function answerExamQuestion(page) {
  const blanks = await page.locator('[data-testid^="fill-input-"]').count();
  if (blanks) {
    for (let k = 0; k < blanks; k++) await tid(page, `fill-input-${k}`).fill('答案');
  } else {
    await tid(page, 'option-0').click();
  }
  await page.waitForSelector('[data-testid="exam-save-status"][data-state="saved"]');
}
