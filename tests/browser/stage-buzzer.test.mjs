// A buzzer question (抢答) of a stage final, end to end in the browser: three units, one phone each (390×844, separate
// browser contexts), the big screen open at 1920×1080; the organizer opens and arms over the control API and
// judges in the console's stage panel.
// - every phone shows its team, its score and the big buzz button;
// - a phone pressing before the buzzer is armed gets the foul on the phone (explained, with the penalty) and the
//   screen marks it in the buzz order;
// - after arming, the two other phones press: the screen shows them first and second in the server's order
//   (the order of the organizer's snapshot), with the gap in ms; the phones show "抢到了" and "第 2 位";
// - the console lists the same buzz order; the organizer clicks 答错 there for the first: the floor passes to the
//   second, whom the organizer judges right (答对);
// - the scores on the screen's standings and on every phone equal the totals computed here from the settings.
// Screenshots: target/screenshots/stage-buzzer-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, startServer, launchBrowser, apiClient, shot, importRoster, joinPhone, horizontalOverflow, organizerToken,
} from './harness.mjs';

const PHONE = { width: 390, height: 844 };
const SCREENS = [{ width: 1920, height: 1080 }, { width: 1366, height: 768 }];
const SETTINGS = {
  points: 20, wrong_penalty: 10, late_penalty: 10, foul_penalty: 15, answer_seconds: 120, buzz_window_seconds: 120,
  on_wrong: 'pass', answer_by: 'judge',
};
const BASE = 100;
const ROSTER = [
  { name: '张伟', badge: '610001', unit: '刑侦大队' },
  { name: '王芳', badge: '610002', unit: '治安大队' },
  { name: '李娜', badge: '610003', unit: '交警大队' },
];

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

/** A phone's screenshot from the top of its page (where the team and its status are). */
async function phoneShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(400);
  await shot(page, name);
}

async function assertNoOverflow(page, what) {
  const o = await horizontalOverflow(page);
  assert.ok(o.scrollWidth <= o.innerWidth && o.offenders.length === 0 && o.spills.length === 0,
    `${what}: horizontal overflow ${JSON.stringify(o)}`);
}

/**
 * Nothing on the big screen leaves the viewport or is cut off: no page scroll, every element of the view inside
 * the window, the buzz rows and the standings whole inside their boxes.
 */
async function screenFits(page, what) {
  const report = await page.evaluate(() => {
    const out = [];
    const w = window.innerWidth;
    const hgt = window.innerHeight;
    for (const el of document.querySelectorAll('#stage *')) {
      const b = el.getBoundingClientRect();
      if (!b.width || !b.height || getComputedStyle(el).visibility === 'hidden') continue;
      if (b.left < -1 || b.top < -1 || b.right > w + 1 || b.bottom > hgt + 1) out.push(`${el.className || el.tagName} ${Math.round(b.left)},${Math.round(b.top)}..${Math.round(b.right)},${Math.round(b.bottom)}`);
    }
    const clipped = [];
    for (const sel of ['[data-testid="screen-buzz"]', '[data-testid="screen-team"]', '.s-stage-phase']) {
      for (const el of document.querySelectorAll(sel)) {
        const side = el.closest('.s-stage-side, .s-stage-bar');
        if (!side) continue;
        const b = el.getBoundingClientRect();
        const box = side.getBoundingClientRect();
        if (b.bottom > box.bottom + 1) clipped.push(el.textContent.trim().slice(0, 30));
      }
    }
    return { scroll: [document.documentElement.scrollWidth - w, document.documentElement.scrollHeight - hgt], out: out.slice(0, 8), clipped };
  });
  assert.ok(report.scroll[0] <= 0 && report.scroll[1] <= 0, `${what}: the page scrolls ${JSON.stringify(report)}`);
  assert.deepEqual(report.out, [], `${what}: outside the window`);
  assert.deepEqual(report.clipped, [], `${what}: cut off`);
}

/** The team standings the screen shows: {unit: total}. */
async function screenTotals(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid="screen-stage-standings"] [data-testid="screen-team"]')]
    .map((el) => [el.dataset.unit, Number(el.querySelector('[data-testid="screen-team-total"]').textContent)])));
}

/** Keys of a strings file, per language (`'zh-CN'` and `en` blocks of every addStrings call). */
function stringKeys(path) {
  const keys = { 'zh-CN': new Set(), en: new Set() };
  let lang = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (/^\s*'zh-CN':\s*\{/.test(line)) lang = 'zh-CN';
    else if (/^\s*en:\s*\{/.test(line)) lang = 'en';
    const m = line.match(/^\s*'([^']+)':\s*'/);
    if (m && lang) keys[lang].add(m[1]);
  }
  return keys;
}

test('every string of the stage views is in Chinese and in English', () => {
  const families = {
    'stage.kind.': ['compulsory', 'buzzer', 'wager', 'tiebreak'],
    'stage.verdict.': ['right', 'wrong', 'late', 'incomplete'],
    'stage.void.': ['no_buzz', 'wrong_answer', 'queue_exhausted', 'no_eligible_team', 'closed_by_organizer'],
  };
  const apps = [
    ['play/stage.js', 'play/strings.js', { 'stage.buzz_done.': ['won', 'floor', 'queued', 'judging', 'fouled', 'answered', 'ineligible', 'closed'] },
      ['err.locked_out', 'err.already_buzzed', 'err.team_already_answered', 'err.no_open_question', 'err.no_buzzer_round', 'err.not_in_a_team',
        'err.not_floor_holder', 'err.nobody_holds_floor', 'err.answer_aloud', 'err.captain_only', 'err.not_in_this_question', 'err.not_your_turn']],
    ['screen/stage.js', 'screen/strings.js', {
      'stage.decided_by.': ['tiebreak_pending', 'tiebreak_round', 'keep_all_tied', 'previous_round_score', 'draw'],
    }, []],
  ];
  for (const [view, strings, more, errors] of apps) {
    const source = readFileSync(join(ROOT, 'frontend', view), 'utf8');
    const used = new Set([...source.matchAll(/'(stage\.[a-z_.]+[a-z_])'/g)].map((m) => m[1]));
    for (const [prefix, names] of Object.entries({ ...families, ...more })) {
      assert.ok(source.includes(`\`${prefix}\${`), `${view} builds keys ${prefix}…`);
      for (const name of names) used.add(prefix + name);
    }
    for (const key of errors) used.add(key);
    const keys = stringKeys(join(ROOT, 'frontend', strings));
    for (const lang of ['zh-CN', 'en']) {
      assert.deepEqual([...used].filter((k) => !keys[lang].has(k)), [], `${strings}: ${lang} strings missing for ${view}`);
    }
  }
});

test('buzzer question: three phones, the big screen, fouls, the buzz order, the floor passing on, scores', { timeout: 300_000 }, async () => {
  const org = apiClient(server.base);
  await org.login();
  const contest = await org.post('/api/contests', {
    title: '党史知识竞赛决赛',
    bank_ids: ['party-history'],
    rounds: [{
      title: '抢答题', kind: 'buzzer',
      config: {
        blueprint: { quotas: [{ type: 'single', count: 3 }] },
        grace_ms: 0,
        stage: { base_score: BASE },
        buzzer: SETTINGS,
      },
    }],
  });
  const id = contest.id;
  const control = (body) => org.post(`/api/contests/${id}/control`, body);
  await importRoster(server.base, id, `姓名,警号,单位\n${ROSTER.map((r) => `${r.name},${r.badge},${r.unit}`).join('\n')}\n`);

  const problems = [];
  const watch = (page, name) => {
    page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name}: ${m.text()}`); });
    return page;
  };

  // The big screens: 1920×1080 and 1366×768.
  const display = await org.post(`/api/contests/${id}/display-token`);
  const screens = [];
  for (const viewport of SCREENS) {
    const ctx = await browser.newContext({ viewport });
    const page = watch(await ctx.newPage(), `screen ${viewport.width}`);
    await page.goto(`${server.base}/screen?token=${encodeURIComponent(display.token)}`);
    await tid(page, 'lobby').waitFor();
    screens.push({ page, name: `${viewport.width}x${viewport.height}` });
  }
  const [screen] = screens.map((x) => x.page);
  const eachScreen = async (fn) => { for (const x of screens) await fn(x.page, x.name); };

  // Three phones.
  const phones = [];
  for (const who of ROSTER) {
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = watch(await ctx.newPage(), who.unit);
    await joinPhone(page, server.base, contest.join_code, who.badge);
    phones.push({ ...who, page });
  }

  let state = await control({ action: 'start_round' });
  const teamOf = new Map(state.stage.teams.map((team) => [team.unit, team.id]));
  assert.equal(teamOf.size, 3, 'three teams');
  for (const p of phones) p.team = teamOf.get(p.unit);

  // Every phone: its team and its score, before the first question.
  for (const p of phones) {
    await tid(p.page, 'stage').waitFor();
    await p.page.waitForFunction((team) => document.querySelector('[data-testid="stage-team"]')?.dataset.team === String(team), p.team);
    assert.equal(await tid(p.page, 'stage-team-unit').textContent(), p.unit);
    assert.equal(await tid(p.page, 'stage-team-score').textContent(), String(BASE));
  }
  await phoneShot(phones[0].page, 'stage-buzzer-phone-ready');
  await eachScreen(async (page, name) => {
    await tid(page, 'screen-stage-intro').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="screen-board-team"]').length === 3);
    await screenFits(page, `screen ${name}, intro`);
    await shot(page, `stage-buzzer-screen-intro-${name}`);
  });

  // The question opens: everyone sees the buzz button, not yet armed (a press now is a foul).
  state = await control({ action: 'next' });
  const question = state.question;
  for (const p of phones) {
    await tid(p.page, 'buzz-button').waitFor();
    assert.equal(await tid(p.page, 'buzz-button').getAttribute('data-mode'), 'early', `${p.unit}: not armed yet`);
    assert.equal((await tid(p.page, 'question-stem').textContent()).trim(), question.question.stem.trim());
    await assertNoOverflow(p.page, `${p.unit}, question open`);
  }
  await phoneShot(phones[0].page, 'stage-buzzer-phone-open');
  await eachScreen(async (page, name) => {
    await page.waitForFunction(() => document.querySelector('[data-testid="screen-stage"]')?.dataset.phase === 'opened');
    assert.equal((await tid(page, 'question-stem').textContent()).trim(), question.question.stem.trim());
    assert.equal(await page.locator('[data-testid="correct-option"]').count(), 0, 'no key while the question is open');
    await page.waitForTimeout(700); // the view's entrance
    await screenFits(page, `screen ${name}, question open`);
    await shot(page, `stage-buzzer-screen-open-${name}`);
  });

  // The first phone presses early: a foul, explained on that phone.
  const [early, first, second] = phones;
  await tid(early.page, 'buzz-button').click();
  await early.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'foul');
  const foulText = await tid(early.page, 'buzz-result').textContent();
  assert.match(foulText, /犯规/);
  assert.match(foulText, new RegExp(`−${SETTINGS.foul_penalty}`), `the penalty is shown: ${foulText}`);
  await early.page.waitForFunction(() => document.querySelector('[data-testid="buzz-button"]')?.disabled === true);
  await early.page.waitForFunction((total) => document.querySelector('[data-testid="stage-team-score"]')?.textContent === total,
    String(BASE - SETTINGS.foul_penalty));
  await phoneShot(early.page, 'stage-buzzer-phone-foul');
  // The screen marks the foul in the buzz order.
  await screen.waitForFunction((team) => {
    const row = document.querySelector('[data-testid="screen-buzz"]');
    return row && row.dataset.foul === 'true' && row.dataset.team === String(team);
  }, early.team);
  assert.match(await screen.locator('[data-testid="screen-buzz"]').first().textContent(), /犯规/);
  await eachScreen((page, name) => shot(page, `stage-buzzer-screen-foul-${name}`));

  // Armed: the other two press, one after the other.
  await control({ action: 'arm' });
  for (const p of [first, second]) {
    await p.page.waitForFunction(() => document.querySelector('[data-testid="buzz-button"]')?.dataset.mode === 'live');
  }
  await phoneShot(first.page, 'stage-buzzer-phone-armed');
  await eachScreen(async (page, name) => {
    await page.waitForFunction(() => document.querySelector('[data-testid="screen-stage"]')?.dataset.phase === 'armed');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="screen-countdown"]')?.textContent) > 100);
    await shot(page, `stage-buzzer-screen-armed-${name}`);
  });
  await tid(first.page, 'buzz-button').click();
  await first.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'floor');
  await tid(second.page, 'buzz-button').click();
  await second.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'queued');
  assert.match(await tid(first.page, 'buzz-result').textContent(), /抢到了/);
  assert.match(await tid(second.page, 'buzz-result').textContent(), /第 2 位/);
  await phoneShot(first.page, 'stage-buzzer-phone-floor');
  await phoneShot(second.page, 'stage-buzzer-phone-queued');

  // The server's order.
  state = await org.get(`/api/contests/${id}`);
  const order = state.buzzer.order;
  assert.deepEqual(order.map((b) => [b.team, b.foul]), [[early.team, true], [first.team, false], [second.team, false]]);
  assert.equal(state.buzzer.floor, first.team);
  // The screen shows the order: the foul, then first and second by server time, with the gap in ms.
  await eachScreen(async (page, name) => {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="screen-buzz"]').length === 3);
    const rows = await page.locator('[data-testid="screen-buzz"]').evaluateAll((els) => els.map((el) => ({
      team: Number(el.dataset.team), foul: el.dataset.foul === 'true', place: el.dataset.place, gap: el.querySelector('[data-testid="screen-buzz-gap"]').textContent,
    })));
    assert.deepEqual(rows.map((r) => [r.team, r.foul, r.place]),
      [[early.team, true, ''], [first.team, false, '1'], [second.team, false, '2']], `screen ${name}: the buzz order`);
    assert.equal(rows[1].gap, '最先');
    assert.equal(rows[2].gap, `+${order[2].server_ms - order[1].server_ms} 毫秒`, `screen ${name}: the gap to the first`);
    await page.waitForFunction((team) => document.querySelector('[data-testid="screen-floor"]')?.dataset.team === String(team), first.team);
    await screenFits(page, `screen ${name}, floor`);
    await shot(page, `stage-buzzer-screen-floor-${name}`);
  });

  // Reconnecting draws the same from the snapshot: the second phone and the big screen reload.
  await second.page.reload();
  await second.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'queued');
  assert.match(await tid(second.page, 'buzz-result').textContent(), /第 2 位/, 'after a reload: still second in line');
  assert.equal(await tid(second.page, 'buzz-button').isDisabled(), true, 'after a reload: no second buzz');
  await second.page.waitForFunction(() => document.querySelectorAll('[data-testid="stage-buzz-order"] li').length === 3);
  await screen.reload();
  await screen.waitForFunction((team) => document.querySelector('[data-testid="screen-floor"]')?.dataset.team === String(team)
    && document.querySelectorAll('[data-testid="screen-buzz"]').length === 3, first.team);

  // The organizer judges in the console's stage panel: wrong, the floor passes to the second; right.
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await consoleCtx.addInitScript((t) => localStorage.setItem('jingsai.console.token', JSON.stringify(t)), await organizerToken(server.base));
  const con = watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/c/${id}/run`);
  const judgeButton = (right) => con.locator(`[data-testid="${right ? 'stage-judge-right' : 'stage-judge-wrong'}"]`);
  await con.waitForFunction(() => {
    const b = document.querySelector('[data-testid="stage-judge-wrong"]');
    return b && !b.disabled;
  });
  // The console lists the same order as the server (the foul, then the first and the second).
  await con.waitForFunction(() => document.querySelectorAll('[data-testid="stage-buzz-order"] tbody tr').length === 3);
  const consoleOrder = await con.locator('[data-testid="stage-buzz-order"] tbody tr').allTextContents();
  for (const [k, b] of order.entries()) {
    const unit = phones.find((p) => p.team === b.team).unit;
    assert.ok(consoleOrder[k].includes(unit), `console order row ${k}: ${consoleOrder[k]} names ${unit}`);
  }
  await judgeButton(false).click();
  await second.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'floor');
  await screen.waitForFunction((team) => document.querySelector('[data-testid="screen-floor"]')?.dataset.team === String(team), second.team);
  await con.waitForFunction(() => {
    const b = document.querySelector('[data-testid="stage-judge-right"]');
    return b && !b.disabled;
  });
  await judgeButton(true).click();
  await shot(con, 'stage-buzzer-console-judged');

  const expected = {
    [early.unit]: BASE - SETTINGS.foul_penalty,
    [first.unit]: BASE - SETTINGS.wrong_penalty,
    [second.unit]: BASE + SETTINGS.points,
  };
  state = await org.get(`/api/contests/${id}`);
  assert.deepEqual(Object.fromEntries(state.stage.standings.map((s) => [s.unit, s.total])), expected, 'the server agrees with the rules');
  for (const p of phones) {
    await p.page.waitForFunction((total) => document.querySelector('[data-testid="stage-team-score"]')?.textContent === total,
      String(expected[p.unit]));
    await tid(p.page, 'stage-result').waitFor();
    await tid(p.page, 'correct-answer').waitFor();
    await assertNoOverflow(p.page, `${p.unit}, closed`);
  }
  assert.match(await tid(second.page, 'stage-result').textContent(), /本队答对/);
  assert.match(await tid(first.page, 'stage-team-answer').textContent(), /回答错误/);
  await phoneShot(second.page, 'stage-buzzer-phone-won');
  await phoneShot(first.page, 'stage-buzzer-phone-wrong');

  // The screen: the verdict, the key, and the same totals.
  await eachScreen(async (page, name) => {
    await tid(page, 'screen-verdict').waitFor();
    assert.match(await tid(page, 'screen-verdict').textContent(), new RegExp(`${second.unit}.*回答正确`));
    assert.equal(await page.locator('[data-testid="correct-option"]').count(), question.answer.choice.length, 'the key is marked');
    await page.waitForFunction((want) => {
      const got = Object.fromEntries([...document.querySelectorAll('[data-testid="screen-stage-standings"] [data-testid="screen-team"]')]
        .map((el) => [el.dataset.unit, el.querySelector('[data-testid="screen-team-total"]').textContent]));
      return JSON.stringify(got) === JSON.stringify(want);
    }, Object.fromEntries(Object.entries(expected).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, String(v)])));
    assert.deepEqual(await screenTotals(page), expected);
    await page.waitForTimeout(800);
    await screenFits(page, `screen ${name}, closed`);
    await shot(page, `stage-buzzer-screen-closed-${name}`);
  });

  // In English: no untranslated key on the phone or the screen.
  const rawKey = /\b(stage|err|play)\.[a-z_]+/;
  await tid(first.page, 'lang-toggle').click();
  await first.page.waitForFunction(() => document.documentElement.lang === 'en');
  await tid(first.page, 'stage-result').waitFor();
  const phoneText = await first.page.locator('#app').textContent();
  assert.doesNotMatch(phoneText, rawKey, 'phone in English');
  assert.match(phoneText, /Your team/);
  await assertNoOverflow(first.page, 'phone in English');
  await phoneShot(first.page, 'stage-buzzer-phone-en');
  await screen.locator('#lang').click();
  await screen.waitForFunction(() => document.documentElement.lang === 'en');
  await tid(screen, 'screen-verdict').waitFor();
  assert.doesNotMatch(await screen.locator('#stage').textContent(), rawKey, 'screen in English');
  await screen.waitForTimeout(800); // the view's entrance
  await screenFits(screen, 'screen in English');
  await shot(screen, 'stage-buzzer-screen-en');

  assert.deepEqual(problems, [], 'no page errors');
});

// 必答 then 风险题 with an elimination cut, three phones and the big screen:
// - 必答 (answered on the phones): the team whose turn it is sees "轮到本队作答" and the answer form, the others
//   whose turn it is and no form; the screen shows whose turn it is; one team right, the next wrong;
// - 风险题: the screen and the phones show the picking order (by the totals, high to low) and each pick; the team
//   answering sees its stake; right gains the value, wrong loses it, a pass changes nothing;
// - the cut after the 风险题 round: the screen lists who goes on and who is out; the phone of the team that is
//   out says so; every total equals the one computed here from the settings.
test('compulsory and wager questions, then the elimination cut', { timeout: 300_000 }, async () => {
  const COMPULSORY = { mode: 'team_common', answer_seconds: 60, answer_by: 'device', points: 10, wrong_penalty: 5 };
  const WAGER = {
    options: [{ points: 10, difficulty: 1 }, { points: 30, difficulty: 2 }], pick_order: 'high_to_low', allow_pass: true,
    answer_seconds: 60, answer_by: 'judge',
  };
  const roster = [
    { name: '赵强', badge: '620001', unit: '一大队' },
    { name: '钱敏', badge: '620002', unit: '二大队' },
    { name: '孙磊', badge: '620003', unit: '三大队' },
    { name: '李刚', badge: '620004', unit: '一大队' }, // a second member: sees the team's answer
  ];
  const org = apiClient(server.base);
  await org.login();
  const contest = await org.post('/api/contests', {
    title: '决赛第二阶段',
    bank_ids: ['party-history'],
    rounds: [
      {
        title: '必答题', kind: 'compulsory',
        config: { blueprint: { quotas: [{ type: 'single', count: 3 }] }, grace_ms: 0, stage: { base_score: BASE }, compulsory: COMPULSORY },
      },
      {
        title: '风险题', kind: 'wager',
        config: {
          blueprint: { quotas: [{ type: 'single', difficulty: 1, count: 3 }, { type: 'single', difficulty: 2, count: 3 }] },
          grace_ms: 0, stage: { base_score: BASE }, wager: WAGER, elimination: { advance: 2, tie_rule: 'draw' },
        },
      },
    ],
  });
  const id = contest.id;
  const control = (body) => org.post(`/api/contests/${id}/control`, body);
  await importRoster(server.base, id, `姓名,警号,单位\n${roster.map((r) => `${r.name},${r.badge},${r.unit}`).join('\n')}\n`);

  const problems = [];
  const watch = (page, name) => {
    page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name}: ${m.text()}`); });
    return page;
  };
  const display = await org.post(`/api/contests/${id}/display-token`);
  const screens = [];
  for (const viewport of SCREENS) {
    const ctx = await browser.newContext({ viewport });
    const page = watch(await ctx.newPage(), `screen ${viewport.width}`);
    await page.goto(`${server.base}/screen?token=${encodeURIComponent(display.token)}`);
    await tid(page, 'lobby').waitFor();
    screens.push({ page, name: `${viewport.width}x${viewport.height}` });
  }
  const eachScreen = async (fn) => { for (const x of screens) await fn(x.page, x.name); };
  const phones = [];
  for (const who of roster) {
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = watch(await ctx.newPage(), who.unit);
    await joinPhone(page, server.base, contest.join_code, who.badge);
    phones.push({ ...who, page });
  }

  // ---- 必答
  let state = await control({ action: 'start_round' });
  const byTeam = new Map(); // team → its first member's phone (who answers for it here)
  for (const team of state.stage.teams) {
    for (const p of phones.filter((x) => x.unit === team.unit)) p.team = team.id;
    byTeam.set(team.id, phones.find((x) => x.unit === team.unit));
  }
  const teammate = phones[3];
  const totals = new Map(phones.map((p) => [p.team, BASE]));
  for (const p of phones) await p.page.waitForFunction((team) => document.querySelector('[data-testid="stage-team"]')?.dataset.team === String(team), p.team);

  for (const right of [true, false]) {
    state = await control({ action: 'next' });
    const turn = state.stage.turn;
    assert.ok(turn && turn.team, `a turn: ${JSON.stringify(state.stage.turn)}`);
    const answering = byTeam.get(turn.team);
    const key = state.question.answer.choice;
    for (const p of phones) {
      await p.page.waitForFunction(() => document.querySelector('[data-testid="stage-turn"]'));
      const ours = p.team === turn.team;
      assert.equal(await tid(p.page, 'stage-turn').getAttribute('data-ours'), String(ours), `${p.name}: whose turn`);
      assert.match(await tid(p.page, 'stage-turn').textContent(), ours ? /轮到本队作答/ : new RegExp(`轮到 ${answering.unit} 作答`));
      const enabled = await p.page.locator('[data-testid="options"] button.option:not([disabled])').count();
      assert.equal(enabled > 0, ours, `${p.name}: the answer form only for the team whose turn it is`);
      assert.equal(await tid(p.page, 'buzz-button').count(), 0, 'no buzz button in a 必答 round');
    }
    await eachScreen(async (page, name) => {
      await page.waitForFunction((team) => document.querySelector('[data-testid="screen-turn"]')?.dataset.team === String(team), turn.team);
      assert.match(await tid(page, 'screen-turn').textContent(), new RegExp(answering.unit));
      await page.waitForTimeout(600);
      await screenFits(page, `screen ${name}, 必答 turn`);
      if (right) await shot(page, `stage-compulsory-screen-turn-${name}`);
    });
    if (right) {
      await phoneShot(answering.page, 'stage-compulsory-phone-our-turn');
      await phoneShot(phones.find((p) => p.team !== turn.team).page, 'stage-compulsory-phone-their-turn');
    }
    const choice = right ? key[0] : [0, 1, 2, 3].find((k) => !key.includes(k));
    await tid(answering.page, `option-${choice}`).click();
    totals.set(turn.team, totals.get(turn.team) + (right ? COMPULSORY.points : -COMPULSORY.wrong_penalty));
    for (const p of phones) {
      await tid(p.page, 'stage-result').waitFor();
      await p.page.waitForFunction((total) => document.querySelector('[data-testid="stage-team-score"]')?.textContent === total,
        String(totals.get(p.team)));
    }
    assert.match(await tid(answering.page, 'stage-result').textContent(), right ? /本队回答正确/ : /本队回答错误/);
    if (teammate.team === turn.team) {
      // The other member sees the team's answer: who answered and the verdict; the form is closed.
      const seen = await tid(teammate.page, 'stage-team-answer').textContent();
      assert.match(seen, new RegExp(`${answering.name}.*${right ? '回答正确' : '回答错误'}`), `the teammate sees the team's answer: ${seen}`);
      assert.equal(await teammate.page.locator('[data-testid="options"] button.option:not([disabled])').count(), 0);
      // ...and the option picked for the team (team_answer), marked as the team's pick.
      await teammate.page.waitForFunction((k) => document.querySelector('[data-testid="options"] button.option.picked')?.dataset.index === String(k), choice);
      assert.match(await teammate.page.locator('[data-testid="options"] button.option.picked').textContent(), /本队的选择/);
      assert.match(await tid(teammate.page, 'stage-team-response').textContent(), /本队答案/);
      await phoneShot(teammate.page, 'stage-compulsory-phone-teammate');
    }
    await eachScreen(async (page) => {
      await tid(page, 'screen-verdict').waitFor();
      assert.match(await tid(page, 'screen-verdict').textContent(), new RegExp(`${answering.unit}.*${right ? '回答正确' : '回答错误'}`));
    });
    if (!right) await phoneShot(answering.page, 'stage-compulsory-phone-wrong');
  }
  await control({ action: 'end_round' });

  // ---- 风险题: picking order by the totals, high to low.
  state = await control({ action: 'start_round' });
  const order = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([team]) => team);
  assert.deepEqual(state.stage.wager.order.map((o) => o.team), order, 'picking order high to low');
  await eachScreen(async (page, name) => {
    await tid(page, 'screen-wager-picks').waitFor();
    const rows = await page.locator('[data-testid="screen-wager-row"]').evaluateAll((els) => els.map((el) => Number(el.dataset.team)));
    assert.deepEqual(rows, order, `screen ${name}: the picking order`);
    await page.waitForTimeout(600);
    await screenFits(page, `screen ${name}, wager picking`);
    await shot(page, `stage-wager-screen-order-${name}`);
  });
  const plays = [[order[0], 30, true], [order[1], 10, false], [order[2], null, null]];
  for (const [team, points, right] of plays) {
    const p = byTeam.get(team);
    for (const phone of phones) {
      await phone.page.waitForFunction((t) => document.querySelector('[data-testid="stage-wager-next"]')?.textContent.length > 0
        && document.querySelector('[data-testid="stage-wager"] li.next')?.dataset.team === String(t), team);
    }
    state = await control({ action: 'wager_pick', team, points });
    if (points == null) continue;
    await p.page.waitForFunction(() => document.querySelector('[data-testid="stage-wager-value"]'));
    assert.match(await tid(p.page, 'stage-wager-value').textContent(), new RegExp(`本队选择 ${points} 分`));
    await eachScreen(async (page, name) => {
      await page.waitForFunction((t) => document.querySelector('[data-testid="screen-turn"]')?.dataset.team === String(t), team);
      assert.match(await tid(page, 'screen-wager-stake').textContent(), new RegExp(`${points}`));
      assert.match(await tid(page, 'screen-wager-picks').textContent(), new RegExp(`${p.unit}`));
      await page.waitForTimeout(600);
      await screenFits(page, `screen ${name}, wager question`);
      if (right) await shot(page, `stage-wager-screen-question-${name}`);
    });
    if (right) await phoneShot(p.page, 'stage-wager-phone-stake');
    await control({ action: 'judge', correct: right, team });
    totals.set(team, totals.get(team) + (right ? points : -points));
    await p.page.waitForFunction((total) => document.querySelector('[data-testid="stage-team-score"]')?.textContent === total, String(totals.get(team)));
  }
  await control({ action: 'end_round' });

  // ---- The cut: the two best go on.
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([team]) => team);
  const [out] = ranked.slice(2);
  state = await org.get(`/api/contests/${id}`);
  assert.deepEqual(Object.fromEntries(state.stage.standings.map((s) => [s.team, s.total])), Object.fromEntries(totals), 'the server agrees');
  await eachScreen(async (page, name) => {
    await tid(page, 'screen-stage-cut').waitFor();
    const advanced = await page.locator('[data-testid="screen-cut-advanced"] li').evaluateAll((els) => els.map((el) => Number(el.dataset.team)));
    const eliminated = await page.locator('[data-testid="screen-cut-eliminated"] li').evaluateAll((els) => els.map((el) => Number(el.dataset.team)));
    assert.deepEqual(advanced.sort(), ranked.slice(0, 2).sort(), `screen ${name}: who goes on`);
    assert.deepEqual(eliminated, [out], `screen ${name}: who is out`);
    const board = await page.locator('[data-testid="screen-board-team"]').evaluateAll((els) => els.map((el) => [Number(el.dataset.team), el.querySelector('.s-st-total').textContent, el.dataset.active]));
    assert.deepEqual(board.map(([team, total]) => [team, Number(total)]), ranked.map((team) => [team, totals.get(team)]), `screen ${name}: standings`);
    await page.waitForTimeout(600);
    await screenFits(page, `screen ${name}, cut`);
    await shot(page, `stage-cut-screen-${name}`);
  });
  for (const p of phones.filter((x) => x.team === out)) {
    await tid(p.page, 'stage-eliminated').waitFor();
    assert.match(await tid(p.page, 'stage-eliminated').textContent(), /本队已止步于第 2 轮/);
  }
  await phoneShot(byTeam.get(out).page, 'stage-cut-phone-out');
  for (const p of phones.filter((x) => x.team !== out)) {
    await tid(p.page, 'stage-cut').waitFor();
    assert.match(await tid(p.page, 'stage-cut').textContent(), /本队晋级/);
  }
  for (const p of phones) await assertNoOverflow(p.page, `${p.unit}, after the cut`);
  assert.deepEqual(problems, [], 'no page errors');
});

// 加赛 (tie-break) for the podium, then the end of the final: four units; one wins a buzzer question, the other three
// are tied for places 2 to 4. In the 加赛 only the tied teams get the buzz button (the leader's phone says a
// tie-break is under way); the screen shows the tied teams and each place as it is decided; a right answer takes
// 2nd, a wrong one puts that team 4th and leaves the last one 3rd. The final podium on the screen and every phone's
// final team place follow the 加赛, and no 加赛 question changed a score.
test('tie-break for the podium, then the final places', { timeout: 300_000 }, async () => {
  const roster = [
    { name: '周一', badge: '630001', unit: 'A队' },
    { name: '吴二', badge: '630002', unit: 'B队' },
    { name: '郑三', badge: '630003', unit: 'C队' },
    { name: '王四', badge: '630004', unit: 'D队' },
  ];
  const TIEBREAK = { answer_seconds: 120, buzz_window_seconds: 120, on_wrong: 'pass', answer_by: 'judge' };
  const org = apiClient(server.base);
  await org.login();
  const contest = await org.post('/api/contests', {
    title: '决赛加赛',
    bank_ids: ['party-history'],
    rounds: [
      { title: '抢答题', kind: 'buzzer', config: { blueprint: { quotas: [{ type: 'single', count: 1 }] }, grace_ms: 0, stage: { base_score: BASE }, buzzer: SETTINGS } },
      { title: '加赛', kind: 'tiebreak', config: { blueprint: { quotas: [{ type: 'single', count: 4 }] }, grace_ms: 0, stage: { base_score: BASE }, tiebreak: TIEBREAK } },
    ],
  });
  const id = contest.id;
  const control = (body) => org.post(`/api/contests/${id}/control`, body);
  await importRoster(server.base, id, `姓名,警号,单位\n${roster.map((r) => `${r.name},${r.badge},${r.unit}`).join('\n')}\n`);
  const problems = [];
  const watch = (page, name) => {
    page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name}: ${m.text()}`); });
    return page;
  };
  const display = await org.post(`/api/contests/${id}/display-token`);
  const screens = [];
  for (const viewport of SCREENS) {
    const ctx = await browser.newContext({ viewport });
    const page = watch(await ctx.newPage(), `screen ${viewport.width}`);
    await page.goto(`${server.base}/screen?token=${encodeURIComponent(display.token)}`);
    await tid(page, 'lobby').waitFor();
    screens.push({ page, name: `${viewport.width}x${viewport.height}` });
  }
  const eachScreen = async (fn) => { for (const x of screens) await fn(x.page, x.name); };
  const phones = [];
  for (const who of roster) {
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const page = watch(await ctx.newPage(), who.unit);
    await joinPhone(page, server.base, contest.join_code, who.badge);
    phones.push({ ...who, page });
  }
  const [lead, second, wrong, third] = phones;

  // The buzzer question: the leader wins it.
  let state = await control({ action: 'start_round' });
  for (const p of phones) p.team = state.stage.teams.find((team) => team.unit === p.unit).id;
  await control({ action: 'next' });
  await control({ action: 'arm' });
  await lead.page.waitForFunction(() => document.querySelector('[data-testid="buzz-button"]')?.dataset.mode === 'live');
  await tid(lead.page, 'buzz-button').click();
  await lead.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'floor');
  await control({ action: 'judge', correct: true, team: lead.team });
  await control({ action: 'end_round' });

  // The 加赛 among the three tied teams.
  state = await control({ action: 'start_round' });
  assert.deepEqual([...state.stage.tiebreak.teams].sort(), [second.team, wrong.team, third.team].sort(), 'the tied teams play');
  await eachScreen(async (page, name) => {
    await tid(page, 'screen-tiebreak').waitFor();
    await page.waitForTimeout(600);
    await screenFits(page, `screen ${name}, 加赛 intro`);
    await shot(page, `stage-tiebreak-screen-intro-${name}`);
  });
  for (const [i, [buzzer, right]] of [[second, true], [wrong, false]].entries()) {
    await control({ action: 'next' });
    await control({ action: 'arm' });
    for (const p of phones) {
      if (p === lead || (i === 1 && p === second)) {
        await p.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'none');
        assert.match(await tid(p.page, 'buzz-result').textContent(), p === lead ? /加赛进行中/ : /本队在加赛中获得第 2 名/);
        assert.equal(await tid(p.page, 'buzz-button').count(), 0, `${p.unit}: no buzz button outside the 加赛`);
      } else {
        await p.page.waitForFunction(() => document.querySelector('[data-testid="buzz-button"]')?.dataset.mode === 'live');
      }
    }
    if (i === 0) await phoneShot(lead.page, 'stage-tiebreak-phone-watching');
    await tid(buzzer.page, 'buzz-button').click();
    await buzzer.page.waitForFunction(() => document.querySelector('[data-testid="buzz-result"]')?.dataset.result === 'floor');
    if (i === 0) await phoneShot(buzzer.page, 'stage-tiebreak-phone-floor');
    await control({ action: 'judge', correct: right, team: buzzer.team });
    await eachScreen(async (page, name) => {
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="screen-tiebreak-placings"] .s-placing').length >= n, i === 0 ? 1 : 3);
      await page.waitForTimeout(600);
      await screenFits(page, `screen ${name}, 加赛 after question ${i + 1}`);
      await shot(page, `stage-tiebreak-screen-q${i + 1}-${name}`);
    });
  }
  state = await org.get(`/api/contests/${id}`);
  assert.equal(state.stage.tiebreak.finished, true);
  const placeOf = Object.fromEntries(state.stage.tiebreak.placings.map((p) => [p.team, p.place]));
  assert.deepEqual([placeOf[second.team], placeOf[third.team], placeOf[wrong.team]], [2, 3, 4], 'right: 2nd; wrong: 4th; the last: 3rd');
  assert.deepEqual(Object.fromEntries(state.stage.standings.map((s) => [s.unit, s.total])),
    { [lead.unit]: BASE + SETTINGS.points, [second.unit]: BASE, [wrong.unit]: BASE, [third.unit]: BASE }, 'a 加赛 changes no score');

  await control({ action: 'end_round' });
  await control({ action: 'finish' });
  const expectedPlace = new Map([[lead, 1], [second, 2], [third, 3], [wrong, 4]]);
  await eachScreen(async (page, name) => {
    await tid(page, 'podium').waitFor();
    const podium = await page.locator('[data-testid="podium-place"]').evaluateAll((els) => els.map((el) => [el.dataset.rank, [...el.querySelectorAll('[data-testid="podium-team"]')].map((x) => x.textContent)]));
    assert.deepEqual(Object.fromEntries(podium), { 1: [lead.unit], 2: [second.unit], 3: [third.unit] }, `screen ${name}: the podium`);
    await page.waitForTimeout(2500);
    await screenFits(page, `screen ${name}, podium`);
    await shot(page, `stage-final-screen-${name}`);
  });
  for (const [p, place] of expectedPlace) {
    await tid(p.page, 'stage-final').waitFor();
    await p.page.waitForFunction((n) => document.querySelector('[data-testid="stage-final-place"]')?.firstChild?.textContent === String(n), place);
  }
  await phoneShot(third.page, 'stage-final-phone');
  assert.deepEqual(problems, [], 'no page errors');
});
