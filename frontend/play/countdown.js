// A countdown ring with the seconds left, driven by the server clock (deadline - serverNow()), plus an
// optional thin bar. The phone's own clock is never trusted: serverNow comes from the live connection.

import { h, everyFrame } from '/shared/ui.js';
import { t } from '/shared/i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const R = 26;
const CIRC = 2 * Math.PI * R;

function svg(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/**
 * createCountdown({ serverNow, bar }) → { el, barEl, set({deadline, pausedMs, totalMs}), stop() }
 * set() with deadline: counts down; with pausedMs: frozen at that value; neither: shows 0.
 */
export function createCountdown({ serverNow }) {
  const ring = svg('svg', { viewBox: '0 0 60 60', class: 'ring', 'aria-hidden': 'true' });
  ring.append(svg('circle', { cx: 30, cy: 30, r: R, class: 'ring-track' }));
  const arc = svg('circle', {
    cx: 30, cy: 30, r: R, class: 'ring-arc', 'stroke-dasharray': CIRC.toFixed(2), 'stroke-dashoffset': '0',
    transform: 'rotate(-90 30 30)',
  });
  ring.append(arc);
  const secs = h('span.ring-secs', { 'data-testid': 'countdown-seconds' }, '');
  const label = h('span.sr-only', { role: 'timer', 'aria-live': 'off' });
  const el = h('div.countdown', { 'data-testid': 'countdown' }, ring, secs, label);
  const barFill = h('div.bar-fill');
  const barEl = h('div.timebar', { 'aria-hidden': 'true' }, barFill);

  let spec = { deadline: null, pausedMs: null, totalMs: 1 };
  let lastShown = null;

  function paint() {
    let left;
    if (spec.pausedMs != null) left = spec.pausedMs;
    else if (typeof spec.deadline === 'number') left = Math.max(0, spec.deadline - serverNow());
    else left = 0;
    const frac = Math.max(0, Math.min(1, left / Math.max(1, spec.totalMs)));
    arc.setAttribute('stroke-dashoffset', (CIRC * (1 - frac)).toFixed(2));
    barFill.style.transform = `scaleX(${frac})`;
    const shown = Math.ceil(left / 1000);
    if (shown !== lastShown) {
      lastShown = shown;
      secs.textContent = String(shown);
      label.textContent = t('play.seconds_left', { n: shown });
      el.dataset.remaining = String(shown);
    }
    const urgent = left <= 5000 && spec.pausedMs == null;
    el.classList.toggle('urgent', urgent);
    barEl.classList.toggle('urgent', urgent);
    el.classList.toggle('paused', spec.pausedMs != null);
    el.classList.toggle('done', left <= 0);
  }

  const stopLoop = everyFrame(paint);
  return {
    el,
    barEl,
    set(next) { spec = { deadline: null, pausedMs: null, totalMs: 1, ...next }; paint(); },
    remaining() {
      if (spec.pausedMs != null) return spec.pausedMs;
      return typeof spec.deadline === 'number' ? Math.max(0, spec.deadline - serverNow()) : 0;
    },
    stop: stopLoop,
  };
}
