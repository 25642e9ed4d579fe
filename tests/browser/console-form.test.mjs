// The new-contest form never takes an input away from the organizer's fingers: when the category counts arrive
// (here held back by 600 ms, as on a slow laptop) or a bank is ticked, the title being typed keeps every
// keystroke, its focus and its caret, and is not even redrawn (the same element before and after).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, ADMIN_PASSWORD } from './harness.mjs';

let server;
let browser;
let token;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  token = await fetch(`${server.base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  }).then((r) => r.json()).then((b) => b.token);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

/**
 * A console page, logged in. Each /api/categories answer waits for `hold()` (a promise the test resolves) or
 * `delayMs`; `log` records when it is delivered.
 */
async function consolePage(delayMs, log, hold = null) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await ctx.addInitScript((t) => localStorage.setItem('jingsai.console.token', JSON.stringify(t)), token);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/api/categories**', async (route) => {
    log.push({ what: 'counts requested', at: Date.now() });
    await (hold ? hold() : new Promise((r) => setTimeout(r, delayMs)));
    const response = await route.fetch();
    await route.fulfill({ response });
    log.push({ what: 'counts delivered', at: Date.now() });
  });
  return { ctx, page, errors };
}

/** Mark an element so that a redraw (a new element in its place) is detected. */
const mark = (locator) => locator.evaluate((el) => { el.__marked = true; });
const stillMarked = (locator) => locator.evaluate((el) => el.__marked === true && el === document.activeElement);

/** A gate for the counts: hold() waits until open() is called (every later request passes at once). */
function gate() {
  let open;
  const opened = new Promise((r) => { open = r; });
  return { hold: () => opened, open: () => open() };
}

/** Type `text` slowly; halfway, let the held counts through and wait until the form has applied them. */
async function typeAcross(page, text, letThrough) {
  const half = Math.floor(text.length / 2);
  await page.keyboard.type(text.slice(0, half), { delay: 60 });
  await letThrough();
  await page.keyboard.type(text.slice(half), { delay: 60 });
}

test('typing the title while the counts arrive and while a bank is ticked keeps every keystroke', { timeout: 120_000 }, async () => {
  const log = [];
  let g = gate();
  const { ctx, page, errors } = await consolePage(0, log, () => g.hold());
  const ready = page.locator('[data-testid="contest-form"][data-ready="true"]');
  const counted = (n) => async () => {
    g.open();
    while (log.filter((e) => e.what === 'counts delivered').length < n) await page.waitForTimeout(20);
    await ready.waitFor();
  };
  await page.goto(`${server.base}/console#/new`);
  // The bank list has arrived; the counts of the preselected bank are held back.
  await tid(page, 'contest-banks').waitFor();
  assert.equal(await page.locator('[data-testid="quota-category"] option').count(), 1, 'no categories before the counts');
  const title = tid(page, 'contest-title');
  await title.click();
  await mark(title);
  const text = 'Party history quiz 2026';
  await typeAcross(page, text, counted(1));
  assert.equal(await title.inputValue(), text);
  assert.ok(await stillMarked(title), 'the title field is the same element and still has the focus');
  assert.deepEqual(await title.evaluate((el) => [el.selectionStart, el.selectionEnd]), [text.length, text.length]);
  // The counts did reach the round editor (its category choices).
  assert.ok(await page.locator('[data-testid="quota-category"] option').count() > 3, 'category choices from the counts');

  // Tick another bank, go back to the title and keep typing: the new counts arrive mid-word.
  g = gate();
  const other = tid(page, 'bank-english-sample');
  await other.check();
  assert.equal(await page.locator('[data-testid="contest-form"]').getAttribute('data-ready'), 'false', 'counts pending');
  await title.click();
  await page.keyboard.press('End');
  await mark(title);
  const more = ' · 第二场（决赛）';
  await typeAcross(page, more, counted(2));
  assert.equal(await title.inputValue(), text + more);
  assert.ok(await stillMarked(title), 'the title field survived the second counts');
  assert.ok(await tid(page, 'bank-english-sample').isChecked(), 'the ticked bank stays ticked');

  // The same for a round's title in the editor: untick the bank, type the round title while the counts come.
  g = gate();
  await other.uncheck();
  const roundTitle = tid(page, 'round-title').first();
  await roundTitle.click();
  await roundTitle.press('Control+A');
  await mark(roundTitle);
  await typeAcross(page, '第一轮 现场答题', counted(3));
  assert.equal(await roundTitle.inputValue(), '第一轮 现场答题');
  assert.ok(await stillMarked(roundTitle), 'the round title field survived the counts');
  assert.equal(await title.inputValue(), text + more, 'the contest title is unchanged');
  await shot(page, 'console-form-typed');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('ticking banks quickly: the last choice of banks wins, whatever order the counts arrive in', { timeout: 60_000 }, async () => {
  const log = [];
  const { ctx, page, errors } = await consolePage(0, log);
  let calls = 0;
  let firstLanded = false;
  // The first counts request (the preselected bank alone) is slow; later ones are quick.
  await page.route('**/api/categories**', async (route) => {
    calls += 1;
    const first = calls === 1;
    if (first) await new Promise((r) => setTimeout(r, 900));
    await route.fulfill({ response: await route.fetch() });
    if (first) firstLanded = true;
  });
  await page.goto(`${server.base}/console#/new`);
  await tid(page, 'contest-banks').waitFor();
  const boxes = page.locator('[data-testid="contest-banks"] input[type=checkbox]');
  assert.equal(await boxes.count(), 2);
  // Untick the preselected bank: no bank, so nothing is available, even after the slow first answer lands.
  assert.ok(await tid(page, 'bank-party-history').isChecked(), 'the Chinese bank is preselected');
  await tid(page, 'bank-party-history').uncheck();
  await page.locator('[data-testid="contest-form"][data-ready="true"]').waitFor();
  while (!firstLanded) await page.waitForTimeout(50);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  assert.ok(calls >= 1);
  assert.equal(await page.locator('[data-testid="quota-category"] option').count(), 1, 'only "any category" without banks');
  assert.deepEqual(errors, []);
  await ctx.close();
});
