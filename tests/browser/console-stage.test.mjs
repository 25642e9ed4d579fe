// The organizer console runs a stage final: a 抢答 (buzzer) round made in the round editor, three units as teams,
// three phones buzzing over plain WebSockets from node. The host opens a question, arms the buzzer with the
// keyboard, sees the buzz order (an early buzz marked as a foul, +ms after the first), judges with the large
// buttons, and corrects the ledger: undo the last judgement (Z, with a note), undo any entry from the ledger,
// adjust a score (S, with a note). Shortcuts never fire while typing. The panel redraws from the snapshot after a
// reload. Then 必答, 风险题 and 加赛 rounds added in the setup tab: turns by seat order judged with the keys, the
// picking order with a value per team and a pass, an elimination cut after it (the eliminated team greyed), and a
// 加赛 for the tie on first place that the wagers made. The stage-state
// reducer (every stage frame, cuts included) is checked under node. Screenshots at 1366×768:
// target/screenshots/stage-*.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, launchBrowser, shot, horizontalOverflow, ADMIN_PASSWORD } from './harness.mjs';

const VIEWPORT = { width: 1366, height: 768 };
const UNITS = ['交警大队', '刑侦大队', '治安大队'];

// Node 20 has its WebSocket client behind a flag (on by default from Node 22): run this file again with it.
if (typeof WebSocket === 'undefined') {
  test('the stage console (node --experimental-websocket)', () => {
    const self = fileURLToPath(import.meta.url);
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--experimental-websocket', self], { stdio: 'inherit', env });
    assert.equal(run.status, 0, 'the tests passed under --experimental-websocket');
  });
} else {
  defineTests();
}

const until = async (what, check, ms = 10_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
};

/** A phone: a participant's socket, with every frame it received. */
async function phone(base, token) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?token=${token}`);
  const frames = [];
  ws.addEventListener('message', (e) => frames.push(JSON.parse(e.data)));
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error('phone socket failed')), { once: true });
  });
  let refs = 0;
  return {
    frames,
    async buzz() {
      const ref = `buzz-${++refs}`;
      ws.send(JSON.stringify({ type: 'buzz', client_ms: Date.now(), ref }));
      return until(`the reply to ${ref}`, () => frames.find((f) => f.ref === ref));
    },
    close: () => ws.close(),
  };
}

function defineTests() {
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

  const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

  /** The standings table as {unit: [place, total text]}, in table order. */
  const standings = (page) => tid(page, 'standing-row').evaluateAll((rows) => rows.map((r) => [
    r.querySelector('.who .ellip').textContent, r.querySelector('.rank').firstChild.textContent, r.querySelector('[data-testid="standing-total"]').textContent,
    r.classList.contains('out'),
  ]));

  async function noOverflow(page, what) {
    const o = await horizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.innerWidth, `${what}: page scrolls sideways ${JSON.stringify(o)}`);
    assert.deepEqual(o.offenders, [], `${what}: elements past the edge`);
    assert.deepEqual(o.spills, [], `${what}: text spills out of buttons`);
  }

  test('a buzzer question from the round editor to the ledger, driven by keyboard and buttons', { timeout: 300_000 }, async () => {
    const ctx = await browser.newContext({ viewport: VIEWPORT, screen: { width: 1920, height: 1080 } });
    await ctx.addInitScript((t) => localStorage.setItem('jingsai.console.token', JSON.stringify(t)), token);
    const con = await ctx.newPage();
    const errors = [];
    con.on('pageerror', (e) => errors.push(e.message));

    // --- The round editor: the stage kinds with their own settings; the contest-wide stage settings ---
    await con.goto(`${server.base}/console#/new`);
    await con.locator('[data-testid="contest-form"][data-ready="true"]').waitFor();
    await tid(con, 'contest-title').fill('“学党史、强警魂”知识竞赛决赛');
    assert.ok(await tid(con, 'bank-party-history').isChecked(), 'the Chinese bank is chosen');
    const kindLabel = (kind) => tid(con, `round-kind-${kind}`).locator('xpath=..');
    const labels = {};
    for (const kind of ['live', 'exam', 'compulsory', 'buzzer', 'wager', 'tiebreak']) labels[kind] = (await kindLabel(kind).textContent()).trim();
    assert.deepEqual(labels, { live: '现场答题', exam: '在线答卷', compulsory: '必答', buzzer: '抢答', wager: '风险题', tiebreak: '加赛' });
    assert.equal(await tid(con, 'stage-settings-card').count(), 0, 'no stage settings while every round is a live or exam round');

    // A wager round offers its values with difficulties and draws its quotas from them.
    await kindLabel('wager').click();
    assert.deepEqual(await tid(con, 'wager-option-points').evaluateAll((els) => els.map((e) => e.value)), ['10', '20', '30']);
    assert.deepEqual(await tid(con, 'quota-difficulty').evaluateAll((els) => els.map((e) => e.value)), ['1', '2', '3']);
    await tid(con, 'wager-option-points').nth(1).fill('10');
    await tid(con, 'wager-option-duplicate').waitFor();
    assert.match(await tid(con, 'wager-option-duplicate').textContent(), /分值 10 重复/);
    await tid(con, 'wager-option-points').nth(1).fill('20');
    await tid(con, 'wager-option-duplicate').waitFor({ state: 'hidden' });
    await tid(con, 'stage-settings-card').waitFor();
    await shot(con, 'stage-editor-wager');

    // The round of this test: 抢答, 20 points, a minute to answer and to buzz, elimination off.
    await kindLabel('buzzer').click();
    assert.equal(await tid(con, 'round-title').inputValue(), '抢答题', 'the default title follows the kind');
    assert.deepEqual(await tid(con, 'quota-difficulty').evaluateAll((els) => els.map((e) => e.value)), [''], 'default quotas follow the kind');
    await tid(con, 'buzzer-points').fill('20');
    await tid(con, 'buzzer-answer-seconds').fill('60');
    await tid(con, 'buzzer-window-seconds').fill('60');
    await tid(con, 'quota-type').selectOption('single');
    await tid(con, 'quota-count').fill('4');
    await tid(con, 'stage-base-score').fill('100');
    assert.match(await tid(con, 'stage-summary').textContent(), /基础分 100/);
    await shot(con, 'stage-editor-buzzer');
    await noOverflow(con, 'round editor');
    await tid(con, 'contest-create').click();
    await con.waitForURL(/#\/c\/\d+\/setup$/);
    const cid = Number(/#\/c\/(\d+)\//.exec(con.url())[1]);
    let snap = await call('GET', `/api/contests/${cid}`);
    const round = snap.rounds[0];
    assert.equal(round.kind, 'buzzer');
    assert.equal(round.title, '抢答题');
    assert.deepEqual(
      { points: round.config.buzzer.points, answer: round.config.buzzer.answer_seconds, window: round.config.buzzer.buzz_window_seconds },
      { points: 20, answer: 60, window: 60 });
    assert.equal(round.config.stage.base_score, 100);
    await tid(con, 'round-row').first().waitFor();
    assert.equal((await tid(con, 'round-row').first().locator('.pill.blue').textContent()).trim(), '抢答');
    assert.match(await tid(con, 'round-row').first().textContent(), /抢答 60 秒 · 答题 60 秒 · 答对 20 分/);

    // --- Roster of three units; three phones ---
    const csv = ['姓名,警号,单位', '李明,500001,交警大队', '王强,500002,刑侦大队', '赵刚,500003,治安大队'].join('\n');
    await call('POST', `/api/contests/${cid}/roster`, csv, token, 'text/csv');
    const phones = {};
    for (const [i, unit] of UNITS.entries()) {
      const joined = await call('POST', '/api/join', { code: snap.contest.join_code, badge: String(500001 + i), device: `stage-phone-${i}` }, null);
      phones[unit] = await phone(server.base, joined.token);
    }
    const [jiao, xing, zhi] = UNITS.map((u) => phones[u]);

    // --- Run: start the round, next, an early buzz, arm with the keyboard ---
    await tid(con, 'tab-run').click();
    await tid(con, 'ctl-start-round').click();
    await tid(con, 'stage-card').waitFor();
    assert.ok(await tid(con, 'ctl-next').isHidden(), 'the bar’s next gives way to the stage panel’s');
    assert.equal(await tid(con, 'stage-arm').isDisabled(), true, 'nothing to arm before a question is shown');
    await tid(con, 'stage-next').click();
    await con.locator('[data-testid="stage-floor"][data-phase="opened"]').waitFor();
    await tid(con, 'current-question').waitFor();

    const foul = await zhi.buzz();
    assert.equal(foul.result, 'foul', JSON.stringify(foul));
    await con.locator('[data-testid="stage-buzz-row"].foul').waitFor();

    // Y with nobody answering: nothing happens but a note that it is not possible now.
    await con.keyboard.press('y');
    await con.locator('[data-testid="toast"]', { hasText: '现在不能“答对”' }).waitFor();
    await con.keyboard.press(' ');
    await con.locator('[data-testid="stage-floor"][data-phase="armed"]').waitFor();
    await until('the phones see the buzzer armed', () => UNITS.every((u) => phones[u].frames.some((f) => f.type === 'buzzer_armed')));
    await shot(con, 'stage-armed');

    const first = await xing.buzz();
    await new Promise((r) => setTimeout(r, 40));
    const second = await jiao.buzz();
    assert.deepEqual([first.result, second.result], ['floor', 'queued']);
    await con.locator('[data-testid="stage-floor"][data-phase="answering"]').waitFor();
    assert.equal(await tid(con, 'stage-floor-team').textContent(), '刑侦大队');

    // The buzz order: the early buzz marked, then the floor holder (0) and the next in line (+ms by server time).
    snap = await call('GET', `/api/contests/${cid}`);
    const order = snap.buzzer.order;
    assert.deepEqual(order.map((b) => [b.unit, b.foul]), [['治安大队', true], ['刑侦大队', false], ['交警大队', false]]);
    const rows = await tid(con, 'stage-buzz-row').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[4], r[5]]), [
      ['1', '治安大队', '赵刚', '–', '违规抢答'],
      ['2', '刑侦大队', '王强', '0', '答题中'],
      ['3', '交警大队', '李明', `+${order[2].server_ms - order[1].server_ms}`, '排队第 1'],
    ]);
    assert.match(rows[1][3], /^\d\d:\d\d:\d\d\.\d{3}$/, 'server time with milliseconds');
    assert.ok(order[2].server_ms - order[1].server_ms >= 30, 'the second buzz came later');
    const clock = await tid(con, 'stage-floor-clock').textContent();
    assert.match(clock, /^[01]:\d\d$/, `the answer countdown shows: ${clock}`);
    await shot(con, 'stage-floor');
    await noOverflow(con, 'stage panel, floor');

    // --- Judge with the buttons: wrong passes the floor on, right wins ---
    await tid(con, 'stage-judge-wrong').click();
    await until('the floor passes on', async () => (await tid(con, 'stage-floor-team').textContent().catch(() => '')) === '交警大队');
    await tid(con, 'stage-judge-right').click();
    await con.locator('[data-testid="stage-floor"][data-phase="closed"]').waitFor();
    assert.match(await tid(con, 'stage-floor').textContent(), /交警大队 答对/);
    const verdicts = await tid(con, 'stage-buzz-row').evaluateAll((trs) => trs.map((tr) => tr.lastElementChild.textContent.trim()));
    assert.deepEqual(verdicts, ['违规抢答', '答错', '答对']);
    // Base 100; the foul −10, the wrong answer −10, the right one +20.
    await until('the standings', async () => JSON.stringify(await standings(con)) === JSON.stringify([
      ['交警大队', '1', '120', false], ['刑侦大队', '2', '90', false], ['治安大队', '2', '90', false]]));
    snap = await call('GET', `/api/contests/${cid}`);
    assert.deepEqual(snap.stage.standings.map((s) => [s.unit, s.total, s.rank]), [['交警大队', 120, 1], ['刑侦大队', 90, 2], ['治安大队', 90, 2]]);
    assert.equal(await tid(con, 'ledger-entry').count(), 3);
    await shot(con, 'stage-judged');

    // --- Shortcuts never fire while typing ---
    await tid(con, 'participant-search').focus();
    await con.keyboard.type('zsny ');
    await con.keyboard.press('Enter');
    assert.equal(await con.locator('dialog[open]').count(), 0, 'no dialog opened from the search box');
    assert.equal(await tid(con, 'participant-search').inputValue(), 'zsny ');
    assert.equal((await call('GET', `/api/contests/${cid}`)).question.index, 0, 'Enter in the search box did not open the next question');
    await tid(con, 'participant-search').fill('');
    await tid(con, 'stage-card').click({ position: { x: 5, y: 5 } });

    // --- Z: undo the last judgement, with a required note ---
    await con.keyboard.press('z');
    await tid(con, 'undo-dialog').waitFor();
    assert.match(await tid(con, 'undo-dialog').textContent(), /交警大队 \+20（抢答答对）/);
    await tid(con, 'undo-dialog-submit').click();
    assert.equal(await tid(con, 'undo-dialog-error').textContent(), '请填写说明。');
    await tid(con, 'undo-note').fill('裁判组复核：答案表述不完整');
    await shot(con, 'stage-undo');
    await tid(con, 'undo-dialog-submit').click();
    await tid(con, 'undo-dialog').waitFor({ state: 'detached' });
    await until('the undo in the standings', async () => (await standings(con))[0].join() === '交警大队,1,100,false');
    const right = con.locator('[data-testid="ledger-entry"][data-entry="3"]');
    assert.ok(await right.evaluate((li) => li.classList.contains('undone')), 'the undone entry is marked');
    assert.match(await right.textContent(), /已由 #4 撤销/);
    assert.match(await con.locator('[data-testid="ledger-entry"][data-entry="4"]').textContent(), /撤销 #3 · 裁判组复核：答案表述不完整/);
    assert.equal(await con.locator('[data-testid="ledger-undo"][data-entry="4"]').count(), 0, 'an undo cannot be undone');

    // --- Undo any entry from the ledger: the early buzz ---
    await con.locator('[data-testid="ledger-undo"][data-entry="1"]').click();
    await tid(con, 'undo-note').fill('按键故障，经核实非违规');
    await tid(con, 'undo-dialog-submit').click();
    await tid(con, 'undo-dialog').waitFor({ state: 'detached' });

    // --- S: adjust a score, with a required note; decimals even across the board ---
    await con.keyboard.press('s');
    await tid(con, 'adjust-dialog').waitFor();
    await tid(con, 'adjust-team').selectOption({ label: '刑侦大队' });
    await tid(con, 'adjust-delta').fill('2.5');
    await tid(con, 'adjust-dialog-submit').click();
    assert.equal(await tid(con, 'adjust-dialog-error').textContent(), '请填写说明。');
    await tid(con, 'adjust-delta').fill('0');
    await tid(con, 'adjust-note').fill('申诉成立，补加部分分');
    await tid(con, 'adjust-dialog-submit').click();
    assert.equal(await tid(con, 'adjust-dialog-error').textContent(), '请输入非零的加减分。');
    await tid(con, 'adjust-delta').fill('2.5');
    await shot(con, 'stage-adjust');
    await tid(con, 'adjust-dialog-submit').click();
    await tid(con, 'adjust-dialog').waitFor({ state: 'detached' });
    const expected = [['治安大队', '1', '100.00', false], ['交警大队', '1', '100.00', false], ['刑侦大队', '3', '92.50', false]];
    await until('the adjusted standings', async () => {
      const now = await standings(con);
      return now.length === 3 && now.every((r) => expected.some((e) => e.join() === r.join())) && now[2].join() === expected[2].join();
    });
    snap = await call('GET', `/api/contests/${cid}`);
    const totals = Object.fromEntries(snap.stage.standings.map((s) => [s.unit, s.total]));
    assert.deepEqual(totals, { 交警大队: 100, 刑侦大队: 92.5, 治安大队: 100 });
    const adjustment = snap.stage.ledger.at(-1);
    assert.deepEqual([adjustment.reason, adjustment.delta, adjustment.note, adjustment.unit], ['adjustment', 2.5, '申诉成立，补加部分分', '刑侦大队']);
    await shot(con, 'stage-ledger');

    // --- A reload redraws everything from the snapshot ---
    await con.reload();
    await tid(con, 'stage-card').waitFor();
    await until('the redrawn buzz order', async () => (await tid(con, 'stage-buzz-row').count()) === 3);
    assert.equal(await tid(con, 'ledger-entry').count(), 6);
    assert.equal((await standings(con))[2].join(), '刑侦大队,3,92.50,false');

    // --- Enter: the next question; A arms; nobody buzzes; the host ends the question (void, nobody scores) ---
    await con.keyboard.press('Enter');
    await con.locator('[data-testid="stage-floor"][data-phase="opened"]').waitFor();
    await con.keyboard.press('a');
    await con.locator('[data-testid="stage-floor"][data-phase="armed"]').waitFor();
    assert.equal(await tid(con, 'stage-buzz-order').textContent(), '等待抢答…');
    await tid(con, 'stage-close').click();
    await tid(con, 'confirm-ok').click();
    await con.locator('[data-testid="stage-floor"][data-phase="closed"]').waitFor();
    assert.match(await tid(con, 'stage-floor').textContent(), /本题已结束，不计分/);

    // --- The help overlay ---
    await con.keyboard.press('?');
    await tid(con, 'stage-help').waitFor();
    const help = await tid(con, 'stage-help').locator('tr').allTextContents();
    assert.equal(help.length, 7);
    assert.match(help[0], /空格.*A.*开始抢答/);
    assert.match(help[1], /Y.*→.*答对/);
    assert.match(help[2], /N.*←.*答错/);
    await shot(con, 'stage-help');
    await con.keyboard.press('Escape');
    await tid(con, 'stage-help').waitFor({ state: 'detached' });

    // --- English ---
    await tid(con, 'lang-toggle').click();
    assert.match(await tid(con, 'stage-arm').textContent(), /Arm buzzer/);
    assert.match(await tid(con, 'stage-judge-right').textContent(), /Right/);
    await shot(con, 'stage-english');
    await noOverflow(con, 'stage panel in English');
    await tid(con, 'lang-toggle').click();

    // --- End the round ---
    await tid(con, 'stage-end-round').click();
    await tid(con, 'confirm-ok').click();
    await until('the round ends', async () => (await call('GET', `/api/contests/${cid}`)).rounds[0].state === 'finished');
    await until('the panel knows', async () => (await tid(con, 'stage-floor').getAttribute('data-phase')) && await tid(con, 'stage-next').isDisabled());

    // --- Three more stage rounds from the setup tab; the stage settings are the contest's, fixed ---
    await tid(con, 'tab-setup').click();
    async function addRound(kind, fill) {
      await tid(con, 'round-add').click();
      await tid(con, `round-kind-${kind}`).locator('xpath=..').click();
      assert.match(await tid(con, 'stage-summary').textContent(), /基础分 100.*与本场其他舞台赛轮次相同/);
      assert.equal(await tid(con, 'stage-base-score').count(), 0, 'the stage settings cannot differ from the other stage rounds');
      await fill();
      await con.waitForFunction(() => !document.querySelector('[data-testid="round-problems"]'));
      await tid(con, 'round-save').click();
      await tid(con, 'add-round').waitFor({ state: 'detached' });
    }
    await addRound('compulsory', async () => {
      await tid(con, 'compulsory-answer-seconds').fill('60');
      await tid(con, 'quota-type').selectOption('single');
      await tid(con, 'quota-count').fill('3');
      await shot(con, 'stage-setup-compulsory');
    });
    await addRound('wager', async () => {
      await tid(con, 'wager-allow-pass').check();
      await tid(con, 'wager-answer-seconds').fill('60');
      await tid(con, 'elimination-enabled').check();
      await tid(con, 'elimination-advance').fill('2');
      assert.equal(await tid(con, 'elimination-tie-rule').inputValue(), 'tiebreak_round');
    });
    await addRound('tiebreak', async () => {
      await tid(con, 'tiebreak-answer-seconds').fill('60');
      await tid(con, 'tiebreak-window-seconds').fill('60');
      await tid(con, 'quota-type').selectOption('single');
      await tid(con, 'quota-count').fill('3');
    });
    snap = await call('GET', `/api/contests/${cid}`);
    assert.deepEqual(snap.rounds.map((r) => [r.kind, r.title]), [['buzzer', '抢答题'], ['compulsory', '必答题'], ['wager', '风险题'], ['tiebreak', '加赛']]);
    assert.deepEqual(snap.rounds[2].config.wager.options.map((o) => o.points), [10, 20, 30]);
    assert.equal(snap.rounds[2].config.wager.allow_pass, true);
    assert.deepEqual(snap.rounds[2].config.elimination, { advance: 2, tie_rule: 'tiebreak_round' });
    assert.equal(snap.rounds[1].config.elimination, null, 'no elimination unless asked for');
    assert.deepEqual(snap.rounds[2].config.blueprint.quotas.map((q) => q.difficulty), [1, 2, 3], 'one quota per difficulty of the values');
    await until('the rounds table lists the new rounds', async () =>
      (await tid(con, 'round-row').locator('.pill.blue').allTextContents()).join() === '抢答,必答,风险题,加赛');

    // --- 必答: each team in turn, judged with Y and N ---
    await tid(con, 'tab-run').click();
    await tid(con, 'ctl-start-round').click();
    await con.locator('[data-testid="stage-card"][data-kind="compulsory"]').waitFor();
    assert.equal(await tid(con, 'stage-arm').count(), 0, 'nobody buzzes in 必答');
    await con.locator('[data-testid="stage-next"]:not([disabled])').waitFor();
    await con.keyboard.press('Enter');
    await con.locator('[data-testid="stage-floor"][data-phase="answering"]').waitFor();
    assert.equal(await tid(con, 'stage-floor-team').textContent(), '交警大队', 'seat order: the teams by unit name');
    assert.match(await tid(con, 'stage-floor').textContent(), /交警大队 作答/);
    await shot(con, 'stage-compulsory');
    await con.keyboard.press('y');
    await con.locator('[data-testid="stage-floor"][data-phase="closed"]').waitFor();
    await con.keyboard.press('Enter');
    await until('the second team’s turn', async () => (await tid(con, 'stage-floor-team').textContent().catch(() => '')) === '刑侦大队');
    await con.keyboard.press('ArrowLeft');
    await con.locator('[data-testid="stage-floor"][data-phase="closed"]').waitFor();
    snap = await call('GET', `/api/contests/${cid}`);
    assert.deepEqual(snap.stage.ledger.slice(-2).map((e) => [e.unit, e.reason, e.delta]), [['交警大队', 'compulsory_right', 10], ['刑侦大队', 'compulsory_wrong', 0]]);
    await tid(con, 'stage-end-round').click();
    await tid(con, 'confirm-ok').click();
    await until('the 必答 round ends', async () => (await call('GET', `/api/contests/${cid}`)).rounds[1].state === 'finished');

    // --- 风险题: the picking order by total, a value per team, a pass ---
    await tid(con, 'ctl-start-round').click();
    await con.locator('[data-testid="stage-card"][data-kind="wager"]').waitFor();
    await tid(con, 'wager-row').first().waitFor();
    assert.deepEqual(await tid(con, 'wager-row').evaluateAll((rows) => rows.map((r) => r.querySelector('.strong').textContent)), ['交警大队', '治安大队', '刑侦大队']);
    assert.equal(await tid(con, 'stage-next').count(), 0, 'a pick opens a wager question, not next');
    assert.match(await tid(con, 'stage-floor').textContent(), /请 交警大队 选择分值/);
    await shot(con, 'stage-wager-order');
    await tid(con, 'wager-pick-10').click();
    await con.locator('[data-testid="stage-floor"][data-phase="answering"]').waitFor();
    assert.equal(await tid(con, 'stage-floor-team').textContent(), '交警大队');
    assert.ok(await tid(con, 'wager-pick-20').isDisabled(), 'no pick while a question is open');
    assert.match(await con.locator('[data-testid="wager-row"].turn').textContent(), /治安大队.*下一个选择/);
    await shot(con, 'stage-wager-open');
    await tid(con, 'stage-judge-right').click();
    await until('治安大队 picks', async () => /请 治安大队 选择分值/.test(await tid(con, 'stage-floor').textContent()));
    await tid(con, 'wager-pick-20').click();
    await con.locator('[data-testid="stage-floor"][data-phase="answering"]').waitFor();
    await tid(con, 'stage-judge-right').click();
    await until('刑侦大队 picks', async () => /请 刑侦大队 选择分值/.test(await tid(con, 'stage-floor').textContent()));
    await tid(con, 'wager-pass').click();
    await tid(con, 'stage-wager').locator('.ok-text').waitFor();
    assert.deepEqual(await tid(con, 'wager-row').evaluateAll((rows) => rows.map((r) => r.querySelector('.pick').textContent)), ['10 分', '20 分', '弃权']);
    // 交警 100 + 10 (必答) + 10, 治安 100 + 20, 刑侦 92.5 + 0: a tie for first.
    await until('the wager standings', async () => JSON.stringify(await standings(con)) === JSON.stringify([
      ['交警大队', '1', '120.00', false], ['治安大队', '1', '120.00', false], ['刑侦大队', '3', '92.50', false]]));
    await tid(con, 'stage-end-round').click();
    await tid(con, 'confirm-ok').click();
    await until('the 风险题 round ends', async () => (await call('GET', `/api/contests/${cid}`)).rounds[2].state === 'finished');
    // The cut after the 风险题: the best two go on, 刑侦大队 is out (greyed).
    await tid(con, 'stage-cut').waitFor();
    assert.equal(await tid(con, 'stage-cut').textContent(), '晋级 2 队；淘汰：刑侦大队（按分数）');
    assert.deepEqual((await standings(con))[2], ['刑侦大队', '3', '92.50', true]);

    // --- 加赛: the two teams tied for first; the first right answer takes first place ---
    await tid(con, 'ctl-start-round').click();
    await con.locator('[data-testid="stage-card"][data-kind="tiebreak"]').waitFor();
    await tid(con, 'stage-tiebreak').waitFor();
    assert.match(await tid(con, 'stage-tiebreak').textContent(), /并列的队：交警大队、治安大队/);
    assert.ok(!(await tid(con, 'tiebreak-draw').isDisabled()), 'the draw is there as the last resort');
    await con.locator('[data-testid="stage-next"]:not([disabled])').waitFor();
    await con.keyboard.press('Enter');
    await con.locator('[data-testid="stage-floor"][data-phase="opened"]').waitFor();
    assert.ok(await tid(con, 'tiebreak-draw').isDisabled(), 'no draw while a question is open');
    await con.keyboard.press(' ');
    await con.locator('[data-testid="stage-floor"][data-phase="armed"]').waitFor();
    const outsider = await xing.buzz();
    assert.equal(outsider.code, 'not_in_this_question', JSON.stringify(outsider));
    assert.equal((await zhi.buzz()).result, 'floor');
    await until('治安大队 holds the floor', async () => (await tid(con, 'stage-floor-team').textContent().catch(() => '')) === '治安大队');
    await shot(con, 'stage-tiebreak');
    await con.keyboard.press('ArrowRight');
    await tid(con, 'stage-tiebreak').locator('.ok-text').waitFor();
    assert.deepEqual(await tid(con, 'tiebreak-placings').locator('li').allTextContents(), ['第 1 名 治安大队', '第 2 名 交警大队']);
    await until('the places in the standings', async () => JSON.stringify(await standings(con)) === JSON.stringify([
      ['治安大队', '1', '120.00', false], ['交警大队', '2', '120.00', false], ['刑侦大队', '3', '92.50', true]]));
    snap = await call('GET', `/api/contests/${cid}`);
    assert.deepEqual(snap.stage.standings.map((x) => [x.unit, x.place, x.rank]), [['治安大队', 1, 1], ['交警大队', 2, 1], ['刑侦大队', 3, 3]]);
    assert.equal(snap.stage.ledger.filter((e) => e.round_id === snap.rounds[3].id).length, 0, 'a 加赛 never changes a score');
    await shot(con, 'stage-tiebreak-done');
    await noOverflow(con, 'tie-break');

    for (const p of Object.values(phones)) p.close();
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('a 加赛 settled by the recorded draw, the last resort', { timeout: 120_000 }, async () => {
    // Every team starts on the base score: all three are tied for first, and a podium of three must be told apart.
    const contest = await call('POST', '/api/contests', {
      title: '加赛抽签', bank_ids: ['party-history'],
      rounds: [{ title: '加赛', kind: 'tiebreak', config: { blueprint: { quotas: [{ type: 'single', count: 2 }] }, stage: { base_score: 100 } } }],
    });
    await call('POST', `/api/contests/${contest.id}/roster`, ['姓名,警号,单位', '甲,600001,一中队', '乙,600002,二中队', '丙,600003,三中队'].join('\n'), token, 'text/csv');
    const ctx = await browser.newContext({ viewport: VIEWPORT, screen: { width: 1920, height: 1080 } });
    await ctx.addInitScript((t) => localStorage.setItem('jingsai.console.token', JSON.stringify(t)), token);
    const con = await ctx.newPage();
    const errors = [];
    con.on('pageerror', (e) => errors.push(e.message));
    await con.goto(`${server.base}/console#/c/${contest.id}/run`);
    await tid(con, 'ctl-start-round').click();
    await tid(con, 'stage-tiebreak').waitFor();
    assert.match(await tid(con, 'stage-tiebreak').textContent(), /加赛：决定名次（自第 1 名起）/);
    await tid(con, 'tiebreak-draw').click();
    await tid(con, 'confirm-dialog').waitFor();
    await tid(con, 'confirm-ok').click();
    await tid(con, 'stage-tiebreak').locator('.ok-text').waitFor();
    const snap = await call('GET', `/api/contests/${contest.id}`);
    assert.equal(snap.stage.tiebreak.finished, true);
    assert.ok(snap.stage.tiebreak.draw_seed, 'the draw is recorded');
    const byPlace = snap.stage.tiebreak.placings.slice().sort((a, b) => a.place - b.place).map((p) => `第 ${p.place} 名 ${p.unit}`);
    assert.deepEqual(await tid(con, 'tiebreak-placings').locator('li').allTextContents(), byPlace);
    assert.deepEqual((await standings(con)).map((r) => r[1]), ['1', '2', '3'], 'the draw gave every place');
    assert.ok(await tid(con, 'tiebreak-draw').count() === 0, 'no second draw');
    assert.equal(await tid(con, 'stage-floor').textContent(), '加赛名次已全部决出，可以结束本轮。');
    assert.ok(await tid(con, 'stage-next').isDisabled(), 'no question after the places are decided');
    await shot(con, 'stage-tiebreak-draw');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('the stage frames keep the snapshot current (all four kinds)', async () => {
    const { applyStageFrame, stageQuestionOpened, stageQuestionSkipped } = await import('../../frontend/console/stage-state.js');
    const resyncs = [];
    const resync = () => resyncs.push(1);
    const s = {
      round: { id: 4, kind: 'buzzer' },
      question: { round_id: 4, index: 0, state: 'open' },
      round_questions: [{ index: 0, state: 'open' }, { index: 1, state: 'pending' }],
      buzzer: { round_id: 4, index: 0, phase: 'opened', order: [], queue: [], judgements: [], answered: [], eligible: [1, 2, 3] },
      stage: {
        teams: [{ id: 1, unit: 'A', active: true }, { id: 2, unit: 'B', active: true }, { id: 3, unit: 'C', active: true }],
        standings: [{ team: 1, unit: 'A', total: 100, rank: 1 }, { team: 2, unit: 'B', total: 100, rank: 1 }, { team: 3, unit: 'C', total: 100, rank: 1 }],
        ledger: [],
      },
      leaderboard: { teams: null },
    };
    assert.equal(applyStageFrame(s, { type: 'lobby' }, resync), false, 'other frames are not stage frames');
    applyStageFrame(s, { type: 'buzzer_armed', round_id: 4, index: 0, window: 1, deadline: 1000, eligible: [1, 2] }, resync);
    assert.deepEqual([s.buzzer.phase, s.buzzer.window_deadline, s.buzzer.eligible], ['armed', 1000, [1, 2]]);
    applyStageFrame(s, { type: 'buzz_order', round_id: 4, index: 0, order: [{ team: 2 }], queue: [], locked_out: [3] }, resync);
    applyStageFrame(s, { type: 'buzzer_floor', round_id: 4, index: 0, team: 2, unit: 'B', deadline: 2000, queue: [1], answered: [] }, resync);
    assert.deepEqual([s.buzzer.phase, s.buzzer.floor, s.buzzer.floor_deadline, s.buzzer.queue, s.buzzer.locked_out], ['answering', 2, 2000, [1], [3]]);
    applyStageFrame(s, { type: 'buzzer_judged', round_id: 4, index: 0, judgement: { team: 2, verdict: 'wrong' } }, resync);
    assert.deepEqual([s.buzzer.floor, s.buzzer.answered, s.buzzer.judgements.length], [null, [2], 1], 'a judged floor holder no longer holds the floor');
    applyStageFrame(s, { type: 'team_scores', standings: [{ team: 1, total: 100, rank: 1 }, { team: 3, total: 100, rank: 1 }, { team: 2, total: 90, rank: 3 }],
      entries: [{ id: 1, team: 2, delta: -10, reason: 'buzzer_wrong', undone_by: null }] }, resync);
    applyStageFrame(s, { type: 'team_scores', standings: [{ team: 1, total: 100, rank: 1 }, { team: 3, total: 100, rank: 1 }, { team: 2, total: 100, rank: 1 }],
      entries: [{ id: 2, team: 2, delta: 10, reason: 'undo_of', undoes: 1, undone_by: null }] }, resync);
    assert.deepEqual(s.stage.ledger.map((e) => [e.id, e.undone_by]), [[1, 2], [2, null]], 'an undo marks the entry it takes back');
    assert.equal(s.leaderboard.teams, s.stage.standings);
    applyStageFrame(s, { type: 'buzzer_result', round_id: 4, index: 0, result: { outcome: { result: 'void', reason: 'queue_exhausted' }, order: [{ team: 2 }], judgements: [] } }, resync);
    assert.deepEqual([s.buzzer.phase, s.question.state, s.round_questions[0].state, s.question.result.outcome.reason], ['closed', 'closed', 'closed', 'queue_exhausted']);
    // A compulsory question opens straight in `answering` for the team whose turn it is.
    const turn = { index: 1, team: 3, unit: 'C', member_seat: 0, member: { participant_id: 9, name: '丙' } };
    stageQuestionOpened(s, { buzzer: { round_id: 4, index: 1, phase: 'answering', floor: 3 }, turn });
    assert.deepEqual([s.buzzer.index, s.buzzer.floor, s.stage.turn.member.name], [1, 3, '丙']);
    applyStageFrame(s, { type: 'turn', round_id: 4, turn: { ...turn, team: 1 } }, resync);
    assert.equal(s.stage.turn.team, 1);
    stageQuestionSkipped(s, { round_id: 4, index: 1 });
    assert.equal(s.buzzer.phase, 'skipped');
    // Wager picks, tiebreak updates and an elimination cut replace their parts of the stage object.
    const wager = { round_id: 5, options: [{ points: 10, difficulty: 1 }], allow_pass: true, order: [], picks: [{ team: 1, points: null, index: null }], next_to_pick: 2 };
    applyStageFrame(s, { type: 'wager_order', round_id: 5, wager: { ...wager, picks: [] } }, resync);
    applyStageFrame(s, { type: 'wager_pick', round_id: 5, wager }, resync);
    assert.deepEqual([s.stage.wager.picks.length, s.stage.wager.next_to_pick], [1, 2]);
    applyStageFrame(s, { type: 'tiebreak_update', round_id: 6, tiebreak: { round_id: 6, finished: true, placings: [{ team: 1, place: 1 }] } }, resync);
    assert.equal(s.stage.tiebreak.finished, true);
    applyStageFrame(s, { type: 'stage_cut', round_id: 5, cut: { advance: 2, eliminated: [2], decided_by: 'score' },
      teams: [{ id: 1, unit: 'A', active: true }, { id: 2, unit: 'B', active: false }, { id: 3, unit: 'C', active: true }] }, resync);
    applyStageFrame(s, { type: 'stage_cut', round_id: 5, cut: { advance: 2, eliminated: [2], decided_by: 'score' }, teams: s.stage.teams }, resync);
    assert.equal(s.stage.cuts.length, 1, 'one cut per round');
    assert.deepEqual(s.stage.standings.map((r) => [r.team, r.active]), [[1, true], [3, true], [2, false]], 'eliminated teams are marked in the standings');
    // A frame about a question the snapshot does not hold asks for a fresh snapshot.
    applyStageFrame(s, { type: 'buzz_order', round_id: 9, index: 0, order: [] }, resync);
    assert.equal(resyncs.length, 1);
  });
}
