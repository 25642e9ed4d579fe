// Test harness: start the real jingsai binary on 127.0.0.1:0 with a fresh data dir, launch Debian's Chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOTS = join(ROOT, 'target', 'screenshots');
export const ADMIN_PASSWORD = 'browser-test-password';

/** Start the server; resolves to { base, stop() }. */
export async function startServer() {
  const bin = process.env.JINGSAI_BIN || join(ROOT, 'target', 'debug', 'jingsai');
  const dataDir = mkdtempSync(join(tmpdir(), 'jingsai-browser-'));
  const child = spawn(bin, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--banks-dir', join(ROOT, 'question_banks')], {
    env: { ...process.env, JINGSAI_ADMIN_PASSWORD: ADMIN_PASSWORD, JINGSAI_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 30000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    lines.on('line', (line) => {
      const m = line.match(/^jingsai listening on (\S+)/);
      if (m) { clearTimeout(timer); resolveBase(`http://${m[1]}`); }
    });
  });
  return {
    base,
    stop() {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-quic', '--no-first-run', '--disable-sync'],
  });
}

/** JSON API call as the test's own organizer (for keys and for checking what the UI shows). */
export function apiClient(base) {
  let token = null;
  async function call(method, path, body) {
    const res = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return data;
  }
  return {
    async login() { token = (await call('POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token; },
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b),
  };
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
