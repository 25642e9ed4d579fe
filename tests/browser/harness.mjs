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

// ---------------------------------------------------------------------------------------------------------
// Helpers for the phone tests (tests/browser/phone-*.test.mjs).

/** An organizer token of the test's admin. */
export async function organizerToken(base) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (!r.ok) throw new Error(`login: ${r.status}`);
  return (await r.json()).token;
}

/** Import a roster (CSV text) into a contest. */
export async function importRoster(base, contestId, csv) {
  const r = await fetch(`${base}/api/contests/${contestId}/roster`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await organizerToken(base)}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (!r.ok) throw new Error(`roster: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Join a contest in the phone app by its QR link (`/?c=CODE`) and a badge; resolves once the lobby shows. */
export async function joinPhone(page, base, code, badge, { before } = {}) {
  const tid = (id) => page.locator(`[data-testid="${id}"]`);
  await page.goto(`${base}/?c=${code}`);
  if (before) await before(page);
  for (let tries = 0; tries < 100; tries++) {
    if (await tid('join-badge').isVisible()) break;
    if (await tid('join-code-next').isVisible()) await tid('join-code-next').click({ timeout: 1000 }).catch(() => {});
    await page.waitForTimeout(100);
  }
  await tid('join-badge').fill(badge);
  await tid('join-submit').click();
  await tid('lobby').waitFor();
}

/**
 * What sticks out sideways on the page: the document's scroll width against the viewport; `offenders`, the
 * visible elements whose box reaches past the viewport's left or right edge (text that overflows a clipped box
 * shows up here even when `overflow-x: hidden` keeps the page from scrolling); `spills`, buttons and unwrapped
 * (`white-space: nowrap`) text whose content is wider than their own box (spilling onto their neighbours).
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const offenders = [];
    const spills = [];
    const name = (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''}`;
    for (const el of document.body.querySelectorAll('*')) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || el.closest('.sr-only')) continue;
      if (el.closest('dialog') && !el.closest('dialog').open) continue;
      if (el.closest('[hidden]')) continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      if (box.left < -1 || box.right > width + 1) {
        offenders.push(`${name(el)} ${Math.round(box.left)}..${Math.round(box.right)}`);
      }
      const unwrapped = el.tagName === 'BUTTON' || style.whiteSpace === 'nowrap';
      if (unwrapped && style.display !== 'inline' && style.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1) {
        spills.push(`${name(el)} "${el.textContent.trim().slice(0, 30)}" ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    return {
      scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
      offenders: offenders.slice(0, 10), spills: spills.slice(0, 10),
    };
  });
}
