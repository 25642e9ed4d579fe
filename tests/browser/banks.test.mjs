// The console's bank import with the other formats: a broken CSV shows every error with its row and imports
// nothing; the same file fixed imports into the named bank; 下载模板 downloads the xlsx template, which imports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, apiClient, shot, ADMIN_PASSWORD, ROOT } from './harness.mjs';

const tid = (page, id) => page.locator(`[data-testid="${id}"]`);
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'banks', 'formats');

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

test('bank import: CSV errors by row, bank id, template download', { timeout: 120_000 }, async () => {
  const api = apiClient(server.base);
  await api.login();
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${server.base}/console#/login`);
  await tid(page, 'login-username').fill('admin');
  await tid(page, 'login-password').fill(ADMIN_PASSWORD);
  await tid(page, 'login-submit').click();
  await tid(page, 'nav-banks').click();

  // A broken CSV: the bank id field appears; every error is listed with file and row; nothing is imported.
  await tid(page, 'bank-files').setInputFiles(join(FIXTURES, 'bad-many-errors.csv'));
  await tid(page, 'bank-import-id').fill('browser-csv');
  await tid(page, 'bank-import').click();
  const lines = tid(page, 'bank-import-error-lines').locator('li');
  await lines.first().waitFor();
  assert.equal(await lines.count(), 11);
  const text = await tid(page, 'bank-import-error').innerText();
  assert.match(text, /bad-many-errors\.csv:3/);
  assert.match(text, /bad-many-errors\.csv:8 option B is empty/);
  await shot(page, 'console-bank-import-errors');
  assert.ok(!(await api.get('/api/banks')).some((b) => b.id === 'browser-csv'), 'nothing imported');

  // A good CSV imports into the bank named in the field.
  await tid(page, 'bank-files').setInputFiles(join(FIXTURES, 'good.csv'));
  await tid(page, 'bank-import-id').fill('browser-csv');
  await tid(page, 'bank-import').click();
  await tid(page, 'bank-import-result').waitFor();
  const bank = (await api.get('/api/banks')).find((b) => b.id === 'browser-csv');
  assert.equal(bank && bank.question_count, 5);

  // 下载模板: an xlsx, which imports back through the same form.
  const [download] = await Promise.all([page.waitForEvent('download'), tid(page, 'bank-template').click()]);
  assert.match(download.suggestedFilename(), /\.xlsx$/);
  const path = await download.path();
  assert.equal(readFileSync(path).subarray(0, 2).toString(), 'PK');
  await tid(page, 'bank-files').setInputFiles({ name: 'template.xlsx', mimeType: 'application/octet-stream', buffer: readFileSync(path) });
  await tid(page, 'bank-import-id').fill('browser-template');
  await tid(page, 'bank-import').click();
  await tid(page, 'bank-import-result').waitFor();
  assert.equal((await api.get('/api/banks')).find((b) => b.id === 'browser-template').question_count, 4);
  await shot(page, 'console-bank-import-done');

  // 导出: the CSV-imported bank as Excel, imported back under another id, has the same questions.
  const exportButton = page.locator('[data-testid="bank-export-xlsx"][data-bank="browser-csv"]');
  const [exported] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  assert.equal(exported.suggestedFilename(), 'browser-csv.xlsx');
  const exportedPath = await exported.path();
  await tid(page, 'bank-files').setInputFiles({ name: 'again.xlsx', mimeType: 'application/octet-stream', buffer: readFileSync(exportedPath) });
  await tid(page, 'bank-import-id').fill('browser-again');
  await tid(page, 'bank-import').click();
  await tid(page, 'bank-import-result').waitFor();
  assert.equal((await api.get('/api/banks')).find((b) => b.id === 'browser-again').question_count, 5);
  const [native] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-testid="bank-export-native"][data-bank="browser-csv"]').click(),
  ]);
  assert.equal(native.suggestedFilename(), 'browser-csv.toml');
  assert.match(readFileSync(await native.path(), 'utf8'), /id = "browser-csv"/);
  await context.close();
});
