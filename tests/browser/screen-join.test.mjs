// The join address the organizer chooses in the console drives the big screen: the screen's join link and QR
// code follow the choice at once (and after a reload), as do the printed join slips; an invalid address is
// refused with a message. The server listens on 127.0.0.1 only, so the only address it offers is loopback and
// the console warns that phones cannot reach it. Screenshots: target/screenshots/screen-join-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, apiClient, shot, ADMIN_PASSWORD } from './harness.mjs';

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

/** The text the big screen's QR code encodes. */
async function qrText(page) {
  const src = await tid(page, 'qr').getAttribute('src');
  return new URL(src, server.base).searchParams.get('text');
}

/** Wait until the screen's join link (and its QR code) is `url`. */
async function screenShows(page, url) {
  await page.waitForFunction((u) => document.querySelector('[data-testid="join-url"]')?.title === u, url);
  assert.equal((await tid(page, 'join-url').textContent()).trim(), url.replace(/^https?:\/\//, ''));
  assert.equal(await qrText(page), url, 'the QR code encodes the join link');
}

test('the console picks the join address; the big screen and the slips follow', { timeout: 300_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  const contest = await api.post('/api/contests', {
    title: '入场地址测试',
    bank_ids: ['party-history'],
    rounds: [{ title: '必答题', kind: 'live', config: { blueprint: { quotas: [{ type: 'single', count: 1 }] }, question_seconds: 60 } }],
  });
  const code = contest.join_code;
  const login = await (await fetch(`${server.base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  })).json();
  const roster = await fetch(`${server.base}/api/contests/${contest.id}/roster`, {
    method: 'POST',
    headers: { authorization: `Bearer ${login.token}`, 'content-type': 'text/csv' },
    body: '姓名,警号,单位\n张伟,330001,刑侦大队\n王芳,330002,治安大队\n',
  });
  assert.equal(roster.status, 200, await roster.text());
  const display = await api.post(`/api/contests/${contest.id}/display-token`);

  // --- Big screen, opened on the server's own (loopback) address: the only address the server offers ---
  const screenCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const screen = watch(await screenCtx.newPage(), 'screen');
  await screen.goto(`${server.base}/screen?token=${encodeURIComponent(display.token)}`);
  await tid(screen, 'lobby').waitFor();
  await screenShows(screen, `${server.base}/?c=${code}`);

  // --- Console: the join card's picker ---
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const con = watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/login`);
  await tid(con, 'login-username').fill('admin');
  await tid(con, 'login-password').fill(ADMIN_PASSWORD);
  await tid(con, 'login-submit').click();
  await tid(con, 'new-contest').waitFor();
  await con.goto(`${server.base}/console#/c/${contest.id}/setup`);
  const picker = tid(con, 'join-base');
  await picker.waitFor();
  await con.waitForFunction(() => document.querySelectorAll('[data-testid="join-base"] option').length >= 2);
  const offered = await picker.locator('option').evaluateAll((els) => els.map((o) => o.value));
  assert.deepEqual(offered, [server.base, '__custom__'], 'loopback only (the server listens on 127.0.0.1), or another address');
  assert.equal((await tid(con, 'join-link').textContent()).trim(), `${server.base}/?c=${code}`);
  await tid(con, 'join-base-local').waitFor();

  // An invalid address is refused with a message; nothing changes.
  await picker.selectOption('__custom__');
  await tid(con, 'join-base-custom').fill('ftp://192.0.2.7');
  await tid(con, 'join-base-save').click();
  await tid(con, 'join-base-error').waitFor();
  assert.match(await tid(con, 'join-base-error').textContent(), /http:\/\/ 或 https:\/\//);
  assert.equal((await api.get(`/api/server-info?contest=${contest.id}`)).join_base_url, null);

  // A LAN address typed by the organizer (the address phones reach, e.g. a second network card or a proxy).
  const chosen = 'http://192.0.2.7:8080';
  await tid(con, 'join-base-custom').fill(`${chosen}/`);
  await tid(con, 'join-base-save').click();
  await con.waitForFunction((u) => document.querySelector('[data-testid="join-link"]')?.textContent.trim() === u, `${chosen}/?c=${code}`);
  assert.equal(await tid(con, 'join-base').inputValue(), chosen);
  assert.equal(await tid(con, 'join-base-local').count(), 0, 'no loopback warning for a LAN address');
  assert.equal(new URL(await tid(con, 'join-qr').getAttribute('src'), server.base).searchParams.get('text'), `${chosen}/?c=${code}`);
  await shot(con, 'screen-join-console');

  // The open big screen follows at once, and still after a reload.
  await screenShows(screen, `${chosen}/?c=${code}`);
  await screen.waitForFunction(() => [...document.querySelectorAll('[data-testid="qr"]')].every((img) => img.complete && img.naturalWidth > 0));
  await shot(screen, 'screen-join-lobby');
  await screen.reload();
  await tid(screen, 'lobby').waitFor();
  await screenShows(screen, `${chosen}/?c=${code}`);

  // The printed slips use it too.
  await con.goto(`${server.base}/console#/c/${contest.id}/slips`);
  await con.locator('[data-testid="slip-sheets"][data-ready="true"]').waitFor();
  const urls = await tid(con, 'slip-url').allTextContents();
  assert.deepEqual(urls.map((u) => u.trim()), [`${chosen}/?c=${code}`, `${chosen}/?c=${code}`]);

  // Back to the server's own address: the screen follows again.
  await con.goto(`${server.base}/console#/c/${contest.id}/setup`);
  await tid(con, 'join-base').waitFor();
  await con.waitForFunction((u) => [...document.querySelectorAll('[data-testid="join-base"] option')].some((o) => o.value === u), server.base);
  await tid(con, 'join-base').selectOption(server.base);
  await screenShows(screen, `${server.base}/?c=${code}`);
  assert.equal((await api.get(`/api/server-info?contest=${contest.id}`)).join_base_url, server.base);

  assert.deepEqual(problems, [], 'no page errors and no Content-Security-Policy violations');
});
