// The phone app's request path, without a browser: the real modules frontend/shared/live.js (socket),
// frontend/play/calls.js (socket or HTTP) and frontend/play/outbox.js (retry until acknowledged) run under node
// against the real server. While the socket is open, opening the exam paper, answering and handing in go over it
// (no HTTP request); a request whose socket closes before the reply is carried by HTTP instead; refusals carry the
// HTTP endpoints' codes and statuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, apiClient, ADMIN_PASSWORD } from './harness.mjs';

// Node 20 has its WebSocket client behind a flag (on by default from Node 22): run this file again with it.
if (typeof WebSocket === 'undefined') {
  test('phone requests over the socket (node --experimental-websocket)', () => {
    const self = fileURLToPath(import.meta.url);
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--experimental-websocket', self], { stdio: 'inherit', env });
    assert.equal(run.status, 0, 'the tests passed under --experimental-websocket');
  });
} else {
  defineTests();
}

/** The few browser globals the modules use. */
function browserGlobals(base) {
  const storage = new Map();
  globalThis.location = { protocol: 'http:', host: new URL(base).host };
  globalThis.window = new EventTarget();
  globalThis.document = Object.assign(new EventTarget(), { hidden: false });
  globalThis.localStorage = {
    getItem: (k) => (storage.has(k) ? storage.get(k) : null),
    setItem: (k, v) => storage.set(k, String(v)),
    removeItem: (k) => storage.delete(k),
  };
  // Every request the phone sends over HTTP, besides the test's own organizer calls.
  const sent = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init = {}) => {
    const path = new URL(url, base).pathname;
    if (init.headers?.authorization && !path.startsWith('/api/contests')) sent.push(`${init.method || 'GET'} ${path}`);
    return realFetch(new URL(url, base), init);
  };
  return sent;
}

const until = async (what, check, ms = 10_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
};

function defineTests() {
  let server;
  before(async () => { server = await startServer(); });
  after(() => server?.stop());

  test('exam over the socket, HTTP when it is closed', { timeout: 120_000 }, async () => {
    const sent = browserGlobals(server.base);
    const { connectLive } = await import('../../frontend/shared/live.js');
    const { createApi } = await import('../../frontend/shared/api.js');
    const { createCalls } = await import('../../frontend/play/calls.js');
    const { createOutbox, answerKey } = await import('../../frontend/play/outbox.js');

    const org = apiClient(server.base);
    await org.login();
    const contest = await org.post('/api/contests', {
      title: 'phone socket', bank_ids: ['party-history'],
      rounds: [{ title: 'paper', kind: 'exam', config: { blueprint: { quotas: [{ type: 'single', count: 4 }] } } }],
    });
    const roster = await fetch(`${server.base}/api/contests/${contest.id}/roster`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await orgToken(server.base)}`, 'content-type': 'text/csv' },
      body: '姓名,警号,单位\n张伟,410001,刑侦大队\n',
    });
    assert.equal(roster.status, 200, await roster.text());
    const joined = await (await fetch(`${server.base}/api/join`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: contest.join_code, badge: '410001' }),
    })).json();

    let signedOut = null;
    const api = createApi({ token: () => joined.token, onUnauthorized: (e) => { signedOut = e.code; } });
    const messages = [];
    let status = null;
    const live = connectLive({ token: joined.token, onMessage: (m) => messages.push(m), onStatus: (s) => { status = s; } });
    let socket = live;
    const calls = createCalls({ api, live: () => socket, onUnauthorized: (e) => { signedOut = e.code; } });
    const outbox = createOutbox({ send: (body) => calls.answer(body), storageKey: 'outbox' });
    await until('the socket opens', () => status === 'open' && messages.some((m) => m.type === 'snapshot'));

    // Before the round: the HTTP endpoint's refusal, over the socket.
    await assert.rejects(calls.examStart(), (e) => e.status === 409 && e.code === 'no_exam_running');
    await org.post(`/api/contests/${contest.id}/control`, { action: 'start_round' });
    await until('round_started', () => messages.some((m) => m.type === 'round_started'));

    const paper = await calls.examStart();
    assert.equal(paper.started, true);
    assert.equal(paper.questions.length, 4);
    assert.ok(!JSON.stringify(paper).includes('"answer"'), 'no key in the paper');
    const roundId = paper.round_id;
    for (const q of paper.questions) outbox.put({ round_id: roundId, index: q.index, choice: [0] });
    await until('every answer saved', () => paper.questions.every(
      (q) => outbox.status(answerKey(roundId, q.index))?.state === 'saved'));
    assert.equal(outbox.hasPending(roundId), false);
    assert.deepEqual(sent, [], 'paper and answers over the socket');

    // A refused answer: the same code and status as POST /api/answers, and no retry.
    outbox.put({ round_id: roundId, index: 0, choice: [9] });
    await until('the refusal', () => outbox.status(answerKey(roundId, 0))?.state === 'error');
    const refused = outbox.status(answerKey(roundId, 0)).error;
    assert.equal(refused.code, 'invalid_answer');
    assert.equal(refused.status, 422);

    // The socket closes right after an answer was sent on it: HTTP carries it, acknowledged once it is stored.
    outbox.put({ round_id: roundId, index: 1, choice: [1] });
    live.close();
    await until('the answer saved over HTTP', () => outbox.status(answerKey(roundId, 1))?.state === 'saved');
    assert.equal(outbox.status(answerKey(roundId, 1)).ack.index, 1);

    // No socket: HTTP, with the same paper.
    socket = null;
    const again = await calls.examStart();
    assert.deepEqual(again.questions, paper.questions);
    assert.ok(sent.includes('POST /api/exam/start'), `${sent}`);

    // A new socket: handing in over it, then answers are refused with the HTTP code.
    sent.length = 0;
    status = null;
    socket = connectLive({ token: joined.token, onMessage: (m) => messages.push(m), onStatus: (s) => { status = s; } });
    await until('the new socket opens', () => status === 'open');
    const submitted = await calls.examSubmit();
    assert.ok(Number.isInteger(submitted.submitted_at), JSON.stringify(submitted));
    const saved = Object.fromEntries(submitted.answers.map((a) => [a.index, a.choice]));
    assert.deepEqual(saved, { 0: [0], 1: [1], 2: [0], 3: [0] });
    await assert.rejects(calls.answer({ round_id: roundId, index: 2, choice: [1] }),
      (e) => e.status === 409 && e.code === 'paper_submitted');
    assert.deepEqual(sent, [], 'handing in over the socket');
    assert.equal(signedOut, null);
    socket.close();
    outbox.stop();
  });
}

async function orgToken(base) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  return (await r.json()).token;
}
