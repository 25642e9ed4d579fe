// The console's bank check: 检查 on a bank lists the linter's warnings (docs/bank-lint.md) with their rule and
// questions; a question id shows that question in the browser below; 关闭 hides the list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, apiClient, shot, ADMIN_PASSWORD, ROOT } from './harness.mjs';

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);

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

test('bank check: warnings by rule, a question shown from a warning', { timeout: 120_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  // The shipped bank lints clean (CI runs `bank lint --strict`); the fixture of the pair rules has warnings.
  assert.deepEqual((await api.get('/api/banks/party-history/lint')).warnings, [], 'the shipped bank is clean');
  const content = readFileSync(join(ROOT, 'tests', 'fixtures', 'lint', 'pairs.toml'), 'utf8');
  await api.post('/api/banks/import', { files: [{ name: 'pairs.toml', content }] });
  const report = await api.get('/api/banks/pairs/lint');
  assert.ok(report.warnings.length > 0, 'the fixture has warnings to show');

  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.base}/console#/login`);
  await tid(page, 'login-username').fill('admin');
  await tid(page, 'login-password').fill(ADMIN_PASSWORD);
  await tid(page, 'login-submit').click();
  await tid(page, 'nav-banks').click();

  await page.locator('[data-testid="bank-lint"][data-bank="pairs"]').click();
  const items = tid(page, 'bank-lint-warning');
  await items.first().waitFor();
  assert.equal(await items.count(), report.warnings.length);
  const summary = await tid(page, 'bank-lint-summary').innerText();
  assert.ok(summary.includes(`${report.warnings.length} 条提示`), summary);
  const near = page.locator('[data-testid="bank-lint-warning"][data-rule="near_duplicate"]').first();
  assert.match(await near.innerText(), /^疑似重复/);
  await shot(page, 'console-bank-lint');

  // A question id of a warning shows that question in the browser.
  const first = report.warnings.find((w) => w.rule === 'near_duplicate');
  await near.locator('[data-testid="bank-lint-question"]').first().click();
  await page.waitForFunction((id) => document.querySelector('[data-testid="filter-q"]').value === id, first.questions[0].id);
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('[data-testid="question-row"]')];
    return rows.length >= 1 && rows.every((r) => r.textContent.includes(id));
  }, first.questions[0].id);

  await tid(page, 'bank-lint-close').click();
  await tid(page, 'bank-lint-panel').waitFor({ state: 'detached' });
  await context.close();
});
