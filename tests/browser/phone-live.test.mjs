// The phone app through a live round on small phones (360×740), three participants side by side: one answers
// right, one wrong, one not at all. Checks what a walk through a real contest found wrong:
// - the multiple-choice confirm button counts every pick ("已选 4 项" after four picks, 3 after one is undone);
// - once an answer is sent, the options not picked are dimmed and the pick stands out;
// - when a question closes, the verdict comes first: a full-width green (right) or red (wrong, not answered)
//   block with the points and the rank, entirely inside the 360×740 viewport even when the page had been
//   scrolled down, above the question and its bars;
// - points show with the same decimals everywhere once the contest has fractional points (speed bonus):
//   the points earned, the total score and the question's value, never 10.5 beside 10.49 or 10 beside 10.49.
// Screenshots: target/screenshots/phone-live-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, apiClient, shot, importRoster, joinPhone, horizontalOverflow,
} from './harness.mjs';

const VIEWPORT = { width: 360, height: 740 };
const GREEN = 'rgb(31, 138, 76)';
const RED = 'rgb(200, 22, 29)';

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

/** Opacity of each option button of the question on screen. */
const opacities = (page) => page.locator('[data-testid="options"] button.option')
  .evaluateAll((els) => els.map((el) => Number(getComputedStyle(el).opacity)));

async function assertNoOverflow(page, what) {
  const o = await horizontalOverflow(page);
  assert.ok(o.scrollWidth <= o.innerWidth && o.offenders.length === 0,
    `${what}: horizontal overflow ${JSON.stringify(o)}`);
}

/** The verdict after a close: its outcome, colour, box, and the decimals of the points and score it shows. */
async function verdict(page) {
  const v = tid(page, 'verdict');
  await v.waitFor();
  await page.waitForFunction(() => ['correct', 'wrong', 'none', 'partial']
    .includes(document.querySelector('[data-testid="verdict"]')?.dataset.outcome));
  const box = await v.boundingBox();
  const info = await v.evaluate((el) => {
    const card = document.querySelector('.live .qcard').getBoundingClientRect();
    return {
      outcome: el.dataset.outcome,
      background: getComputedStyle(el).backgroundColor,
      points: el.querySelector('[data-testid="points"]')?.textContent || null,
      score: el.querySelector('[data-testid="score-value"]')?.textContent || null,
      rank: el.querySelector('[data-testid="rank-value"]')?.textContent || null,
      aboveQuestion: el.getBoundingClientRect().bottom <= card.top + 1,
      scrollY: window.scrollY,
    };
  });
  return { box, ...info };
}

function assertInViewport(box, what) {
  assert.ok(box, `${what}: verdict has a box`);
  assert.ok(box.y >= 0 && box.y + box.height <= VIEWPORT.height && box.x >= 0 && box.x + box.width <= VIEWPORT.width,
    `${what}: verdict inside the ${VIEWPORT.width}×${VIEWPORT.height} viewport, got ${JSON.stringify(box)}`);
  assert.ok(box.width >= VIEWPORT.width - 1, `${what}: verdict is full-width (${box.width}px)`);
}

test('live round on 360×740 phones: confirm count, dimming, verdict first, even decimals', { timeout: 300_000 }, async () => {
  const org = apiClient(server.base);
  await org.login();
  const contest = await org.post('/api/contests', {
    title: '手机现场答题测试',
    bank_ids: ['party-history'],
    rounds: [{
      title: '现场抢答', kind: 'live',
      config: {
        blueprint: {
          quotas: [{ type: 'single', count: 1 }, { type: 'multiple', count: 1 },
            { type: 'true_false', count: 1 }, { type: 'fill', count: 1 }],
          shuffle_questions: false,
        },
        scoring: { default_points: 10, speed_bonus: 0.2 },
        question_seconds: 300,
        close_when_all_answered: false,
      },
    }],
  });
  await importRoster(server.base, contest.id, '姓名,警号,单位\n张伟,510001,刑侦大队\n王芳,510002,治安大队\n李娜,510003,交警大队\n');

  const pageErrors = [];
  const phones = [];
  for (const [i, badge] of ['510001', '510002', '510003'].entries()) {
    const ctx = await browser.newContext({ viewport: VIEWPORT, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${badge}: ${e.message}`));
    await joinPhone(page, server.base, contest.join_code, badge);
    phones.push({ page, role: ['right', 'wrong', 'silent'][i] });
  }
  const [right, wrong, silent] = phones.map((p) => p.page);

  await org.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
  const seenTypes = [];
  for (let q = 0; q < 4; q++) {
    const state = await org.post(`/api/contests/${contest.id}/control`, { action: 'next' });
    const type = state.question.question.type;
    const key = state.question.answer;
    seenTypes.push(type);
    for (const page of [right, wrong, silent]) {
      await page.waitForFunction((n) => document.querySelector('[data-testid="live"] .qindex')?.textContent.includes(`第 ${n} 题`), q + 1);
      await tid(page, 'question-stem').waitFor();
    }
    if (q === 1) {
      // Item 6: once a fractional score was seen (question 1's speed bonus), the question's value has 2 decimals.
      const value = await right.locator('.qpoints').textContent();
      assert.match(value, /^\d+\.\d\d /, `question value with 2 decimals: ${value}`);
    }

    if (type === 'multiple') {
      // The confirm button counts every pick, and every undo.
      const options = await tid(wrong, 'options').locator('button.option').count();
      assert.ok(options >= 4, `a multiple-choice question with ${options} options`);
      for (let k = 0; k < 4; k++) {
        await tid(wrong, `option-${k}`).click();
        await assert.doesNotReject(tid(wrong, 'submit-answer').filter({ hasText: `已选 ${k + 1} 项` }).waitFor({ timeout: 3000 }),
          `after ${k + 1} picks`);
      }
      await shot(wrong, 'phone-live-multiple-4-picked');
      // Undo one so that the picks are not the key.
      const keySet = new Set(key.choice);
      const undo = [0, 1, 2].every((k) => keySet.has(k)) && keySet.size === 3 ? 2 : 3;
      await tid(wrong, `option-${undo}`).click();
      await tid(wrong, 'submit-answer').filter({ hasText: '已选 3 项' }).waitFor({ timeout: 3000 });
      assert.deepEqual(await opacities(wrong), Array(options).fill(1), 'nothing dimmed before the answer is sent');
      await tid(wrong, 'submit-answer').click();
      for (const k of key.choice) await tid(right, `option-${k}`).click();
      await tid(right, 'submit-answer').filter({ hasText: `已选 ${key.choice.length} 项` }).waitFor({ timeout: 3000 });
      await tid(right, 'submit-answer').click();
    } else if (type === 'fill') {
      const n = key.blanks.length;
      for (let k = 0; k < n; k++) {
        await tid(right, `fill-input-${k}`).fill(key.blanks[k][0]);
        await tid(wrong, `fill-input-${k}`).fill('不知道');
      }
      await tid(right, 'submit-answer').click();
      await tid(wrong, 'submit-answer').click();
    } else {
      const correct = key.choice[0];
      const other = correct === 0 ? 1 : 0;
      assert.deepEqual(new Set(await opacities(right)), new Set([1]), 'nothing dimmed before the answer is sent');
      await tid(right, `option-${correct}`).click();
      await tid(wrong, `option-${other}`).click();
    }
    for (const page of [right, wrong]) await tid(page, 'answer-received').waitFor({ timeout: 20_000 });

    if (type !== 'fill') {
      // Item 5: the options not picked are dimmed, the pick is not.
      for (const page of [right, wrong]) {
        const picked = await page.locator('[data-testid="options"] button.option').evaluateAll((els) => els.map((el) => el.classList.contains('picked')));
        const op = await opacities(page);
        assert.ok(picked.some(Boolean), 'an option shows as picked');
        for (const [k, isPicked] of picked.entries()) {
          if (isPicked) assert.equal(op[k], 1, `picked option ${k} is not dimmed`);
          else assert.ok(op[k] <= 0.6, `unpicked option ${k} is dimmed (opacity ${op[k]})`);
        }
      }
      // The silent phone's options are not dimmed: nothing was sent.
      assert.deepEqual(new Set(await opacities(silent)), new Set([1]), 'no dimming without an answer');
      if (q === 0) await shot(right, 'phone-live-answer-sent');
    }
    if (type === 'multiple') await shot(wrong, 'phone-live-multiple-sent');

    // Everyone scrolled down to the bottom of the page (where the last option or the confirm button is).
    for (const page of [right, wrong, silent]) await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await org.post(`/api/contests/${contest.id}/control`, { action: 'close' });

    // Item 2: the verdict is first and entirely in sight at once, green when right, red otherwise.
    const expected = { right: ['correct', GREEN], wrong: ['wrong', RED], silent: ['none', RED] };
    for (const { page, role } of phones) {
      const v = await verdict(page);
      const what = `question ${q + 1} (${type}), ${role} phone`;
      assert.equal(v.outcome, expected[role][0], what);
      assert.equal(v.background, expected[role][1], `${what}: colour`);
      assertInViewport(v.box, what);
      assert.ok(v.aboveQuestion, `${what}: verdict above the question`);
      assert.ok(v.rank && /\d/.test(v.rank), `${what}: rank in the verdict (${v.rank})`);
      await assertNoOverflow(page, `${what}, verdict`);
      if (q === 0) await shot(page, `phone-live-verdict-${role}`);
    }
    if (type === 'multiple') await shot(wrong, 'phone-live-verdict-multiple-wrong');
    if (type === 'fill') await shot(right, 'phone-live-verdict-fill-right');

    // Item 6: the speed bonus makes the contest's points fractional: every number of points on every phone's
    // verdict has 2 decimals (also "+0.00" and a total of "0.00").
    for (const { page, role } of phones) {
      try {
        await page.waitForFunction(() => {
          const el = document.querySelector('[data-testid="verdict"]');
          const texts = [...el.querySelectorAll('[data-testid="points"], [data-testid="score-value"]')].map((e) => e.textContent);
          return texts.length === 2 && texts.every((t) => (t.match(/\d+(\.\d+)?/g) || []).every((n) => /\.\d\d$/.test(n)));
        }, null, { timeout: 5000 });
      } catch {
        const v = await verdict(page);
        assert.fail(`question ${q + 1}, ${role} phone: points and score with 2 decimals, got ${v.points} / ${v.score}`);
      }
    }
  }
  assert.deepEqual(seenTypes, ['single', 'multiple', 'true_false', 'fill'], 'the round drew one of each type in order');
  // The right phone's total on its verdict is what the server holds.
  const results = await org.get(`/api/contests/${contest.id}/results`);
  const top = results.ranking.find((e) => e.badge === '510001');
  const shown = await right.locator('[data-testid="verdict"] [data-testid="score-value"]').textContent();
  assert.equal(parseFloat(shown), top.score, 'score on the verdict');
  assert.equal(top.rank, 1);
  assert.deepEqual(pageErrors, [], 'no uncaught errors');
});
