// Toasts: short messages that must never sit on a control. At most MAX at a time (the oldest goes first; a
// repeated message replaces itself), each dismissed after a few seconds or by a click. The stack goes to the corner
// of the window (bottom right, bottom left, top right, top left, in that order of preference) where it covers no
// visible control (button, link, field…) and as few headings and alerts as possible, and moves again when the page
// scrolls or the window is resized; if every corner has a control, to the one that covers least of them.

import { h } from '/shared/ui.js';
import { t } from '/shared/i18n.js';

const MAX = 3;
const SHOW_MS = { ok: 3200, info: 3200, error: 6000 };
const FADE_MS = 400;
const GAP = 16;
const CONTROLS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"]), [contenteditable=true]';
const CORNERS = ['bottom-right', 'bottom-left', 'top-right', 'top-left'];
// Covering a heading or an alert is to be avoided too, but far less than covering a control.
const READING = 'h1, h2, h3, .alert, .big-num, .clock';
const CONTROL_WEIGHT = 1000;

let host = null;
let pending = false;

function ensureHost() {
  if (host && host.isConnected) return host;
  host = h('div.toasts', { role: 'status', 'aria-live': 'polite', dataset: { testid: 'toasts' } });
  document.body.append(host);
  const again = () => {
    if (pending || !host.childElementCount) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; place(); });
  };
  window.addEventListener('scroll', again, { passive: true, capture: true });
  window.addEventListener('resize', again);
  return host;
}

/** Where the stack would be at `corner`, given its size. */
function rectAt(corner, width, height) {
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  const left = corner.endsWith('right') ? vw - GAP - width : GAP;
  const top = corner.startsWith('bottom') ? vh - GAP - height : GAP;
  return { left, top, right: left + width, bottom: top + height };
}

function overlap(a, b) {
  const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  const hgt = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
  return w > 0 && hgt > 0 ? w * hgt : 0;
}

/** The visible boxes of `selector` (outside the toasts themselves), each with a weight. */
function boxes(selector, weight, into) {
  const vh = document.documentElement.clientHeight;
  for (const el of document.querySelectorAll(selector)) {
    if (host.contains(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.top > vh) continue;
    into.push({ r, weight });
  }
  return into;
}

function place() {
  if (!host || !host.childElementCount) return;
  const { width, height } = host.getBoundingClientRect();
  const obstacles = boxes(READING, 1, boxes(CONTROLS, CONTROL_WEIGHT, []));
  let best = null;
  for (const corner of CORNERS) {
    const rect = rectAt(corner, width, height);
    let covered = 0;
    for (const o of obstacles) covered += overlap(rect, o.r) * o.weight;
    if (!best || covered < best.covered) best = { corner, covered };
    if (covered === 0) break;
  }
  if (host.dataset.corner !== best.corner) {
    host.dataset.corner = best.corner;
    const vertical = best.corner.startsWith('bottom');
    const right = best.corner.endsWith('right');
    Object.assign(host.style, {
      top: vertical ? '' : `${GAP}px`, bottom: vertical ? `${GAP}px` : '',
      left: right ? '' : `${GAP}px`, right: right ? `${GAP}px` : '',
    });
  }
}

function dismiss(el) {
  if (el.dataset.out) return;
  el.dataset.out = '1';
  el.classList.add('out');
  setTimeout(() => { el.remove(); place(); }, FADE_MS);
}

/** A short message; kind: 'ok' | 'error' | 'info'. */
export function toast(message, kind = 'ok') {
  ensureHost();
  const el = h('div.toast.' + kind, {
    dataset: { testid: 'toast' }, title: t('console.toast.close'), onclick: () => dismiss(el),
  }, message);
  // The same message again (a button pressed twice) replaces the earlier one instead of stacking up; beyond MAX,
  // the oldest go at once (a fading toast still takes room).
  for (const old of [...host.children]) {
    if (old.textContent === el.textContent && old.className.split(' ').includes(kind)) old.remove();
  }
  host.append(el);
  const extra = host.childElementCount - MAX;
  for (const old of [...host.children].slice(0, Math.max(0, extra))) old.remove();
  place();
  setTimeout(() => dismiss(el), SHOW_MS[kind] ?? SHOW_MS.ok);
}
