// The big screen with a full hall: 119 officers on the roster in 26 units, 117 of them join (over the API), two
// never do. Two screens, 1920×1080 and 1366×768, walk the lobby, two leaderboards, a score adjustment and the
// podium. Checked on both: nothing overflows (unit tiles, long names), absentees are on no board, equal scores
// show the tie-break that ordered them, the rank-change column shows the real moves between successive
// leaderboards (also after a reload, never made-up ones), and every score of a board has the same decimals.
// The console's results mark the absentees 未参赛. Screenshots: target/screenshots/screen-board-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, apiClient, shot, ADMIN_PASSWORD } from './harness.mjs';

const UNITS = [
  '刑事侦查大队', '治安管理大队', '交通警察大队', '经济犯罪侦查大队', '网络安全保卫大队', '出入境管理大队', '禁毒大队',
  '巡特警大队', '法制大队', '指挥中心', '政治处', '警务督察大队', '国内安全保卫大队', '食品药品环境犯罪侦查大队',
  '城关派出所', '东城派出所', '西城派出所', '南湖派出所', '北山派出所', '滨江派出所', '高新区派出所', '开发区派出所',
  '火车站派出所', '机场派出所', '看守所', '拘留所',
];
const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞', '平', '刚', '桂英'];
// The fastest answerers (on the boards) include names far longer than usual.
const LONG_NAMES = ['阿卜杜热合曼·买买提明', 'Christopher Montgomery-Smith', '欧阳诸葛明远'];
const JOINING = 117;
const ROSTER_SIZE = 119;

const officers = Array.from({ length: ROSTER_SIZE }, (_, i) => ({
  name: LONG_NAMES[i] || `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}`,
  badge: String(340001 + i),
  unit: UNITS[i % UNITS.length],
}));

let server;
let browser;
const problems = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

function watch(page, name) {
  page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) problems.push(`${name}: ${msg.text()}`);
  });
  return page;
}

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

async function post(path, body, token) {
  const res = await fetch(server.base + path, {
    method: 'POST',
    headers: { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Nothing sticks out: no page scroll, every unit tile whole inside the grid, every unit name shown whole. */
async function lobbyFits(page, what) {
  const report = await page.evaluate(() => {
    const grid = document.querySelector('[data-testid="unit-grid"]').getBoundingClientRect();
    const tiles = [...document.querySelectorAll('[data-testid="unit-tile"]')];
    return {
      scrollX: document.documentElement.scrollWidth - window.innerWidth,
      scrollY: document.documentElement.scrollHeight - window.innerHeight,
      tiles: tiles.length,
      outside: tiles.filter((el) => {
        const b = el.getBoundingClientRect();
        return b.bottom > grid.bottom + 1 || b.right > grid.right + 1 || b.bottom > window.innerHeight;
      }).map((el) => el.dataset.unit),
      clipped: tiles.map((el) => el.querySelector('.s-unit-name'))
        .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.textContent),
      card: (() => {
        const card = document.querySelector('.s-join-card').getBoundingClientRect();
        return card.bottom <= window.innerHeight && card.right <= window.innerWidth;
      })(),
    };
  });
  assert.equal(report.tiles, UNITS.length, `${what}: every unit has a tile`);
  assert.ok(report.scrollX <= 0 && report.scrollY <= 0, `${what}: the page scrolls ${JSON.stringify(report)}`);
  assert.deepEqual(report.outside, [], `${what}: unit tiles outside the grid`);
  assert.deepEqual(report.clipped, [], `${what}: unit names cut off`);
  assert.ok(report.card, `${what}: the join card is on screen`);
}

/** What the screen's leaderboard shows, row by row, once the rows have reached their places. */
async function boardRows(page) {
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="leaderboard-row"]')];
    return rows.length > 0 && rows.every((r) => !r.classList.contains('incoming'))
      && rows.every((r) => r.querySelector('.s-lb-rank').textContent === r.dataset.rank);
  });
  await page.waitForTimeout(1800); // the reorder (1 s) and the count-up of the scores (1.4 s) settle
  const units = await page.evaluate(() => {
    const list = document.querySelector('[data-testid="unit-standings"] ol').getBoundingClientRect();
    return [...document.querySelectorAll('[data-testid="unit-standings"] li')]
      .filter((li) => li.getBoundingClientRect().bottom > list.bottom + 1).map((li) => li.textContent);
  });
  assert.deepEqual(units, [], 'unit standings cut off at the bottom of their panel');
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="leaderboard-row"]')].map((row) => {
    const box = row.getBoundingClientRect();
    const list = row.parentElement.getBoundingClientRect();
    const who = row.querySelector('.s-lb-who').getBoundingClientRect();
    const detail = row.querySelector('.s-lb-correct').getBoundingClientRect();
    const tie = row.querySelector('[data-testid="tie-break"]');
    return {
      pid: Number(row.dataset.participant),
      rank: Number(row.dataset.rank),
      change: row.querySelector('[data-testid="rank-change"]').dataset.change,
      changeText: row.querySelector('[data-testid="rank-change"]').textContent,
      score: row.querySelector('.s-lb-score').textContent,
      tie: tie ? tie.textContent : null,
      outside: [...row.children].filter((c) => {
        const b = c.getBoundingClientRect();
        return b.left < box.left - 1 || b.right > box.right + 1;
      }).map((c) => c.className),
      overlap: who.right > detail.left + 1,
      nameCut: (() => { const n = row.querySelector('.s-lb-name'); return n.scrollWidth > n.clientWidth + 1; })(),
      unitCut: (() => { const u = row.querySelector('.s-lb-unit'); return !u.hidden && u.scrollWidth > u.clientWidth + 1; })(),
      beyondList: box.right > list.right + 1 || box.bottom > list.bottom + 1,
    };
  }));
}

/** The moves the screen must show from board `prev` to board `next` (API leaderboards); none without `prev`. */
function expectedMoves(prev, next) {
  const before = new Map((prev ? prev.top : []).map((e) => [e.participant_id, e.rank]));
  return next.top.map((e) => {
    if (!prev) return 'none';
    if (!before.has(e.participant_id)) return 'new';
    return String(before.get(e.participant_id) - e.rank);
  });
}

function checkBoard(rows, board, what, { moves, absent }) {
  assert.deepEqual(rows.map((r) => r.pid), board.top.map((e) => e.participant_id), `${what}: rows`);
  assert.deepEqual(rows.map((r) => r.rank), board.top.map((e) => e.rank), `${what}: ranks`);
  for (const r of rows) {
    assert.ok(!absent.includes(r.pid), `${what}: absentee ${r.pid} on the board`);
    assert.deepEqual(r.outside, [], `${what}: row ${r.pid} spills out of its row`);
    assert.equal(r.overlap, false, `${what}: the name of ${r.pid} runs into the next column`);
    assert.equal(r.nameCut, false, `${what}: the name of ${r.pid} is cut off`);
    assert.equal(r.unitCut, false, `${what}: the unit of ${r.pid} is cut off (it should rather be left out)`);
    assert.equal(r.beyondList, false, `${what}: row ${r.pid} outside the board`);
  }
  assert.deepEqual(rows.map((r) => r.change), moves, `${what}: rank changes`);
  for (const r of rows) {
    const text = { none: '', new: '新上榜', 0: '–' }[r.change] ?? (Number(r.change) > 0 ? `▲${r.change}` : `▼${-Number(r.change)}`);
    assert.equal(r.changeText, text, `${what}: the change of ${r.pid} reads`);
  }
  // Equal scores: each row shows the tie-break; the one placed lower by answer time says so.
  const top = board.top;
  top.forEach((e, i) => {
    const equal = (top[i - 1] && top[i - 1].score === e.score) || (top[i + 1] && top[i + 1].score === e.score);
    const tie = rows[i].tie;
    if (!equal) assert.equal(tie, null, `${what}: ${e.participant_id} has a score of its own`);
    else if (e.decided_by === 'answer_time') assert.match(tie || '', /^同分 · 用时 \d+\.\d{1,3} 秒$/, `${what}: tie-break of ${e.participant_id}`);
    else if (e.decided_by === 'tied') assert.match(tie || '', /^并列/, `${what}: shared place of ${e.participant_id}`);
    else assert.ok(tie, `${what}: ${e.participant_id} is in a tie group`);
  });
  // One number of decimals for the whole column.
  const decimals = new Set(rows.map((r) => (r.score.split('.')[1] || '').length));
  assert.equal(decimals.size, 1, `${what}: scores ${rows.map((r) => r.score).join(' ')}`);
}

test('a full hall on the big screen at 1920×1080 and 1366×768', { timeout: 600_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  const org = (await post('/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token;
  const contest = await api.post('/api/contests', {
    title: '区公安分局党史知识竞赛（大屏满员测试）',
    bank_ids: ['party-history'],
    join_mode: 'roster',
    unit_scoring: 'mean',
    rounds: [{ title: '必答题', kind: 'live', config: {
      blueprint: { quotas: [{ category: '新民主主义革命时期', type: 'single', count: 2 }] },
      scoring: { default_points: 10, speed_bonus: 0.5 },
      question_seconds: 60,
      close_when_all_answered: false,
    } }],
  });
  const id = contest.id;
  const csv = ['姓名,警号,单位', ...officers.map((o) => `${o.name},${o.badge},${o.unit}`)].join('\n');
  await post(`/api/contests/${id}/roster`, csv, org);
  const display = await api.post(`/api/contests/${id}/display-token`);
  const screens = [];
  for (const viewport of [{ width: 1920, height: 1080 }, { width: 1366, height: 768 }]) {
    const ctx = await browser.newContext({ viewport });
    const page = watch(await ctx.newPage(), `screen ${viewport.width}`);
    await page.goto(`${server.base}/screen?token=${encodeURIComponent(display.token)}`);
    await tid(page, 'lobby').waitFor();
    screens.push({ page, name: String(viewport.width) });
  }

  // --- 117 officers join (the last two of the roster never do) ---
  const tokens = [];
  for (let i = 0; i < JOINING; i += 20) {
    const batch = officers.slice(i, Math.min(i + 20, JOINING));
    tokens.push(...await Promise.all(batch.map((o) => post('/api/join', { code: contest.join_code, badge: o.badge, device: `screen-test-${o.badge}` })
      .then((r) => r.token))));
  }
  const listing = await api.get(`/api/contests/${id}/participants`);
  const pidOf = new Map(listing.participants.map((p) => [p.badge, p.id]));
  const pids = officers.map((o) => pidOf.get(o.badge));
  const absent = pids.slice(JOINING);
  for (const { page, name } of screens) {
    await page.waitForFunction((n) => document.querySelector('[data-testid="joined-count"]')?.textContent === String(n), JOINING);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="unit-tile"]').length === n, UNITS.length);
    await page.waitForTimeout(600);
    await shot(page, `screen-board-lobby-${name}`);
    await lobbyFits(page, `lobby ${name}`);
  }

  // --- Live round: two questions ---
  const control = (action) => api.post(`/api/contests/${id}/control`, { action });
  const started = await control('start_round');
  const roundId = started.round.id;
  const answer = (i, index, choice) => post('/api/answers', { round_id: roundId, index, choice: [choice] }, tokens[i]);
  const boardNow = async () => (await api.get(`/api/contests/${id}`)).leaderboard;
  const untilBoard = async (what) => {
    for (const { page } of screens) await tid(page, 'leaderboard-row').first().waitFor({ timeout: 30_000 });
  };

  async function play(index, right) {
    const open = await control('next');
    assert.equal(open.question.index, index);
    const key = open.question.answer.choice[0];
    const wrong = key === 0 ? 1 : 0;
    // In this order, one after the other: answer times differ by a few ms, the speed bonus mostly not.
    for (const i of right) await answer(i, index, key);
    const wrongs = [];
    for (let i = 0; i < 60; i++) if (!right.includes(i)) wrongs.push(i);
    await Promise.all(wrongs.map((i) => answer(i, index, wrong)));
    await control('close');
    await untilBoard();
  }

  // Question 1: twelve right, the three long names first; before it nobody had scored, so no moves.
  await play(0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const first = await boardNow();
  assert.equal(first.participants, JOINING, 'absentees are not ranked');
  for (const { page, name } of screens) {
    const rows = await boardRows(page);
    checkBoard(rows, first, `board 1 at ${name}`, { moves: expectedMoves(null, first), absent });
    await shot(page, `screen-board-q1-${name}`);
  }
  assert.ok(first.top.some((e) => e.decided_by === 'answer_time'), 'the scenario has ties decided by answer time');

  // Question 2: six of them right again, in another order; number 12 climbs into the top ten.
  await play(1, [9, 1, 2, 5, 0, 11]);
  const second = await boardNow();
  const moves = expectedMoves(first, second);
  assert.ok(moves.some((m) => Number(m) > 0) && moves.some((m) => Number(m) < 0) && moves.includes('new'),
    `the scenario moves people up, down and in: ${moves}`);
  for (const { page, name } of screens) {
    checkBoard(await boardRows(page), second, `board 2 at ${name}`, { moves, absent });
    await shot(page, `screen-board-q2-${name}`);
  }
  // A reload shows the same moves, not none and not made-up ones.
  const [big, small] = screens;
  await big.page.reload();
  await tid(big.page, 'leaderboard-row').first().waitFor();
  checkBoard(await boardRows(big.page), second, 'board 2 after a reload', { moves, absent });

  // An adjustment makes the leader's score whole: the column still has one number of decimals ("24.00").
  const leader = second.top[0];
  const delta = Math.round((Math.ceil(leader.score) - leader.score) * 100) / 100 || 1;
  await api.post(`/api/contests/${id}/adjustments`, { participant_id: leader.participant_id, delta, reason: '现场补分' });
  const third = await boardNow();
  assert.ok(Number.isInteger(third.top.find((e) => e.participant_id === leader.participant_id).score));
  for (const { page, name } of screens) {
    await page.waitForFunction((pid) => document.querySelector(`[data-testid="leaderboard-row"][data-participant="${pid}"] .s-lb-score`)?.textContent.endsWith('.00'),
      leader.participant_id);
    checkBoard(await boardRows(page), third, `board 3 at ${name}`, { moves: expectedMoves(second, third), absent });
  }
  await shot(small.page, 'screen-board-adjusted-1366');

  // --- The end: podium (long names inside their step) ---
  await control('end_round');
  await control('finish');
  for (const { page, name } of screens) {
    await tid(page, 'podium').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(2500); // the podium rises place by place
    await shot(page, `screen-board-podium-${name}`);
    const spill = await page.evaluate(() => [...document.querySelectorAll('[data-testid="podium-place"]')].flatMap((pod) => {
      const box = pod.getBoundingClientRect();
      return [...pod.querySelectorAll('.s-pod-name, .s-pod-unit, .s-pod-score')].filter((el) => {
        const b = el.getBoundingClientRect();
        const lines = el.clientHeight / parseFloat(getComputedStyle(el).lineHeight);
        return b.left < box.left - 1 || b.right > box.right + 1 || el.scrollWidth > el.clientWidth + 1 || lines > 2.5;
      }).map((el) => el.textContent);
    }));
    assert.deepEqual(spill, [], `podium at ${name}: text spills out of its step`);
    const shown = await tid(page, 'podium-place').evaluateAll((els) => els.map((el) => Number(el.dataset.participant)));
    for (const pid of shown) assert.ok(!absent.includes(pid));
  }

  // --- Console results: the absentees last, marked ---
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const con = watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/login`);
  await tid(con, 'login-username').fill('admin');
  await tid(con, 'login-password').fill(ADMIN_PASSWORD);
  await tid(con, 'login-submit').click();
  await tid(con, 'new-contest').waitFor();
  await con.goto(`${server.base}/console#/c/${id}/results`);
  await tid(con, 'result-row').first().waitFor();
  const rows = await tid(con, 'result-row').evaluateAll((els) => els.map((el) => ({ pid: Number(el.dataset.pid), absent: el.dataset.absent, text: el.textContent })));
  assert.equal(rows.length, ROSTER_SIZE);
  assert.deepEqual(rows.slice(-2).map((r) => r.pid), absent);
  for (const r of rows.slice(-2)) {
    assert.equal(r.absent, 'true');
    assert.match(r.text, /未参赛/);
    assert.doesNotMatch(r.text, /秒/, 'no answer time for an absentee');
  }
  assert.ok(rows.slice(0, -2).every((r) => r.absent === 'false' && !/未参赛/.test(r.text)));
  assert.match(await tid(con, 'results-absent-count').textContent(), /2 人未参赛/);
  await con.locator(`[data-testid="result-row"][data-pid="${absent[0]}"]`).scrollIntoViewIfNeeded();
  await shot(con, 'screen-board-console-results');

  assert.deepEqual(problems, [], 'no page errors and no Content-Security-Policy violations');
});
