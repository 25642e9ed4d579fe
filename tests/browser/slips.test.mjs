// Officer identity in the browser: the organizer imports a roster with a PIN column (a bad PIN is refused with
// its row first), opens the printable join slips (A4, ten a page, each with name, badge, PIN and the join QR
// code), and an officer joins on a phone-sized page with badge and PIN (a wrong PIN is refused first). The
// Content-Security-Policy must hold on every page. Screenshots: target/screenshots/slips-*.png, phone-join-pin*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launchBrowser, apiClient, shot, ADMIN_PASSWORD, SCREENSHOTS } from './harness.mjs';

// Twelve officers: the slips fill one A4 sheet (ten) and part of a second.
const OFFICERS = [
  ['张伟', '320001', '刑侦大队', '4071'], ['王芳', '320002', '治安大队', '9313'], ['李娜', '320003', '刑侦大队', '5820'],
  ['刘洋', '320004', '交警大队', '1177'], ['陈静', '320005', '治安大队', '6034'], ['杨帆', '320006', '交警大队', '2468'],
  ['赵磊', '320007', '巡特警大队', '8152'], ['黄敏', '320008', '网安大队', '3390'], ['周杰', '320009', '经侦大队', '7714'],
  ['吴昊', '320010', '禁毒大队', '0526'], ['郑爽', '320011', '法制大队', '6601'], ['孙立', '320012', '指挥中心', '98765432'],
];
const ROSTER = ['姓名,警号,单位,PIN码', ...OFFICERS.map((o) => o.join(','))].join('\n');

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

/** Record uncaught errors and Content-Security-Policy violations of a page. */
function watch(page, name) {
  page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) problems.push(`${name}: ${msg.text()}`);
  });
  return page;
}

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

test('PIN roster, printable join slips, and a phone joining with its PIN', { timeout: 300_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  const contest = await api.post('/api/contests', {
    title: '区公安分局党史知识竞赛（入场条测试）',
    bank_ids: ['party-history'],
    rounds: [{ title: '必答题', kind: 'live', config: { blueprint: { quotas: [{ type: 'single', count: 2 }] }, question_seconds: 60 } }],
  });

  // --- Console: log in, import a roster with a bad PIN (refused by row), then the right one ---
  const consoleCtx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const con = watch(await consoleCtx.newPage(), 'console');
  await con.goto(`${server.base}/console#/login`);
  await tid(con, 'login-username').fill('admin');
  await tid(con, 'login-password').fill(ADMIN_PASSWORD);
  await tid(con, 'login-submit').click();
  await tid(con, 'new-contest').waitFor();
  await con.goto(`${server.base}/console#/c/${contest.id}/setup`);
  await tid(con, 'roster-text').waitFor();
  assert.match(await tid(con, 'roster-secret-hint').textContent(), /PIN码/);
  assert.equal(await tid(con, 'slips-open').isDisabled(), true, 'no slips before there is a roster');

  await tid(con, 'roster-text').fill(ROSTER.replace(',4071', ',40x1'));
  await tid(con, 'roster-import').click();
  const lines = tid(con, 'roster-error-lines');
  await lines.waitFor();
  const bad = lines.locator('li[data-code="secret_invalid"]');
  assert.equal(await bad.count(), 1);
  assert.match(await bad.textContent(), /第 2 行.*320001/);
  assert.equal((await api.get(`/api/contests/${contest.id}/participants`)).participants.length, 0, 'all or nothing');

  await tid(con, 'roster-text').fill(ROSTER);
  await tid(con, 'roster-import').click();
  await tid(con, 'roster-result').waitFor();
  assert.match(await tid(con, 'roster-result').textContent(), /已导入 12 人.*PIN码/);
  await con.locator('a[data-testid="slips-open"]').waitFor();
  // PINs are not on the console's setup screen (it may be projected).
  const setupText = await con.locator('main').textContent();
  for (const [, , , pin] of OFFICERS) assert.ok(!setupText.includes(pin), `PIN ${pin} shown on the setup screen`);
  await shot(con, 'slips-console-roster');

  // --- Join slips: a new tab, two A4 sheets, one slip per officer with name, badge, unit, code, PIN, QR ---
  const [slips] = await Promise.all([consoleCtx.waitForEvent('page'), tid(con, 'slips-open').click()]);
  watch(slips, 'slips');
  await slips.locator('[data-testid="slip-sheets"][data-ready="true"]').waitFor();
  assert.equal(await tid(slips, 'slip').count(), OFFICERS.length);
  assert.equal(await slips.locator('.slip-sheet').count(), 2, 'ten slips per sheet');
  for (const [name, badge, unit, pin] of OFFICERS) {
    const slip = slips.locator(`[data-testid="slip"][data-badge="${badge}"]`);
    assert.equal((await slip.locator('[data-testid="slip-name"]').textContent()).trim(), name);
    assert.equal((await slip.locator('[data-testid="slip-badge"]').textContent()).trim(), badge);
    assert.equal((await slip.locator('[data-testid="slip-secret"]').textContent()).trim(), pin);
    assert.equal((await slip.locator('[data-testid="slip-code"]').textContent()).trim(), contest.join_code);
    assert.ok((await slip.textContent()).includes(unit));
  }
  const first = slips.locator('[data-testid="slip"]').first();
  const url = (await first.locator('[data-testid="slip-url"]').textContent()).trim();
  assert.ok(url.endsWith(`/?c=${contest.join_code}`), url);
  const qr = first.locator('[data-testid="slip-qr"]');
  assert.equal(new URL(await qr.getAttribute('src'), server.base).searchParams.get('text'), url, 'the QR code encodes the join link');
  await slips.waitForFunction(() => [...document.querySelectorAll('[data-testid="slip-qr"]')].every((img) => img.complete && img.naturalWidth > 0));
  await slips.setViewportSize({ width: 1366, height: 900 });
  await slips.screenshot({ path: join(SCREENSHOTS, 'slips-screen.png'), fullPage: true });

  // Print layout: each sheet is an A4 page inside 10 mm margins (190 × 277 mm), every slip inside its sheet.
  await slips.emulateMedia({ media: 'print' });
  assert.equal(await tid(slips, 'slips-print').isVisible(), false, 'the toolbar is not printed');
  const geometry = await slips.evaluate(() => {
    const mm = (px) => px * 25.4 / 96;
    return [...document.querySelectorAll('.slip-sheet')].map((sheet) => {
      const box = sheet.getBoundingClientRect();
      const inside = [...sheet.querySelectorAll('.slip')].every((slip) => {
        const s = slip.getBoundingClientRect();
        return s.left >= box.left - 1 && s.right <= box.right + 1 && s.top >= box.top - 1 && s.bottom <= box.bottom + 1;
      });
      return { width: Math.round(mm(box.width)), height: Math.round(mm(box.height)), slips: sheet.querySelectorAll('.slip').length, inside };
    });
  });
  assert.deepEqual(geometry, [
    { width: 190, height: 277, slips: 10, inside: true },
    { width: 190, height: 277, slips: 2, inside: true },
  ]);
  await slips.setViewportSize({ width: 794, height: 1123 });
  await shot(slips, 'slips-print-a4');
  const pdf = await slips.pdf({ preferCSSPageSize: true, printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.equal(pages, 2, 'twelve slips print on two A4 pages');

  // --- Phone (390 × 844): the join form asks for the PIN under its label; wrong PIN refused, right one joins ---
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = watch(await phoneCtx.newPage(), 'phone');
  await phone.goto(`${server.base}/?c=${contest.join_code}`);
  for (let tries = 0; tries < 100; tries++) {
    if (await tid(phone, 'join-badge').isVisible()) break;
    if (await tid(phone, 'join-code-next').isVisible()) await tid(phone, 'join-code-next').click({ timeout: 1000 }).catch(() => {});
    await phone.waitForTimeout(100);
  }
  const secret = tid(phone, 'join-secret');
  await secret.waitFor();
  assert.equal(await phone.locator('label[for="join-secret"]').textContent(), 'PIN码');
  assert.equal(await secret.getAttribute('type'), 'password');
  await tid(phone, 'join-badge').fill('320002');
  await tid(phone, 'join-submit').click();
  await tid(phone, 'join-error').waitFor();
  assert.match(await tid(phone, 'join-error').textContent(), /请输入PIN码/);
  await secret.fill('1234');
  await tid(phone, 'join-submit').click();
  await phone.waitForFunction(() => /警号或PIN码不正确/.test(document.querySelector('[data-testid="join-error"]')?.textContent || ''));
  await shot(phone, 'phone-join-pin-wrong');
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `phone join: ${overflow}px of horizontal overflow`);
  await secret.fill('9313');
  await shot(phone, 'phone-join-pin');
  await tid(phone, 'join-submit').click();
  await tid(phone, 'lobby').waitFor();
  assert.equal((await tid(phone, 'lobby-name').textContent()).trim(), '王芳');
  // The PIN is not kept on the phone.
  const stored = await phone.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes('9313'), stored);

  assert.deepEqual(problems, [], 'no page errors and no Content-Security-Policy violations');
});
