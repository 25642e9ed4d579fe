// Presenter safety. The run tab shows the answer key of the open question in large type; a laptop mirrored to the
// projector would show it to the room. In presenter mode (remembered on this laptop) the key of an open question
// stays hidden until the organizer reveals it, question by question; once the question is closed the key is
// public anyway (phones and the big screen show it) and is always shown. Without presenter mode, a warning says so
// whenever the console fills the screen while a key is visible.

import { t } from '/shared/i18n.js';
import { h, store } from '/shared/ui.js';

const KEY = 'jingsai.console.presenter';

/** Questions whose key the organizer revealed, per contest: `${contest}:${round}:${index}` (this page only). */
const revealed = new Set();

export const presenter = {
  get on() { return store.get(KEY) === true; },
  set(on) { if (on) store.set(KEY, true); else store.remove(KEY); },
  revealed(contestId, q) { return revealed.has(`${contestId}:${q.round_id}:${q.index}`); },
  reveal(contestId, q, shown) {
    const key = `${contestId}:${q.round_id}:${q.index}`;
    if (shown) revealed.add(key); else revealed.delete(key);
  },
};

/** Is the question open (or paused), so that its key is not public yet? */
export function keySecret(q) {
  return !!q && (q.state === 'open' || q.state === 'paused');
}

/** Should the key of the live question `q` be hidden now? */
export function keyHidden(contestId, q) {
  return presenter.on && keySecret(q) && !presenter.revealed(contestId, q);
}

/**
 * Does the console fill the screen (full-screen mode, or a window as large as the screen)? Then a mirrored or
 * extended projector may well be showing exactly this.
 */
export function fillsScreen() {
  if (document.fullscreenElement) return true;
  const s = window.screen;
  return !!s && s.width > 0 && Math.abs(window.innerWidth - s.width) <= 1 && Math.abs(window.innerHeight - s.height) <= 1;
}

/** The presenter-mode switch. */
export function presenterToggle(onChange) {
  const on = presenter.on;
  return h('button.btn.small.presenter-toggle' + (on ? '.on' : ''), {
    type: 'button', 'aria-pressed': String(on), title: t('console.presenter.hint'),
    dataset: { testid: 'presenter-toggle' },
    onclick: () => { presenter.set(!presenter.on); onChange(); },
  }, h('span.switch', { 'aria-hidden': 'true' }), t('console.presenter.toggle'));
}

/** The banner shown while the key is visible on a console that fills the screen. */
export function keyWarning(onEnable) {
  return h('div.alert.key-warning', { role: 'alert', hidden: true, dataset: { testid: 'key-warning' } },
    h('span', t('console.presenter.warning')),
    h('button.btn.small.gold', { type: 'button', dataset: { testid: 'key-warning-enable' }, onclick: onEnable },
      t('console.presenter.enable')));
}
