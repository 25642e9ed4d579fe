// Joining: the contest code (pre-filled from /?c=CODE, which the QR codes carry), then the badge number (roster
// mode) or name and unit (open mode), as GET /api/join/{code} says. When the roster has a personal secret
// (`secret_kind`: a PIN, or the last digits of a phone or ID card number) it is asked with its own label; it is
// kept in memory only, never stored on the phone.

import { h, mount } from '/shared/ui.js';
import { t, errorText } from '/shared/i18n.js';

/** What the participant typed, kept across re-renders (language switch) and sign-outs. */
const form = {
  code: '', badge: '', secret: '', name: '', unit: '', info: null, error: null, busy: false, looked: null,
  waiting: false,
};

const SECRET_KINDS = ['pin', 'phone_last4', 'id_last4'];
const secretKind = (info) => (info && SECRET_KINDS.includes(info.secret_kind) ? info.secret_kind : null);

/** Where this phone keeps the device secret of a seat: the server binds a badge to the first phone. */
const deviceKey = (code, badge) => `jingsai.device.${code}.${badge}`;
const DEVICE_POLL_MS = 5000;
let pollTimer = null;

function readDevice(code, badge) {
  try { return localStorage.getItem(deviceKey(code, badge)); } catch { return null; }
}

function keepDevice(code, badge, device) {
  try { if (device) localStorage.setItem(deviceKey(code, badge), device); } catch { /* private mode: no memory */ }
}

export function joinScreen(app, { code = '', badge = null, note = null } = {}) {
  if (code && code !== form.code) {
    form.code = code;
    form.info = null;
  }
  if (badge && !form.badge) form.badge = badge;
  const el = h('section.join', { 'data-testid': 'join' });

  async function lookup(auto = false) {
    const c = form.code.trim();
    if (!c) { form.error = { code: 'code_required' }; render(); return; }
    form.busy = true; form.error = null; render();
    try {
      const info = await app.api.get(`/api/join/${encodeURIComponent(c)}`);
      if (info.state === 'finished') form.error = { code: 'contest_finished' };
      else form.info = { ...info, code: c };
    } catch (err) {
      form.error = err;
    }
    form.busy = false;
    render();
    const focusTarget = form.info ? el.querySelector('[data-testid="join-badge"], [data-testid="join-name"]')
      : el.querySelector('[data-testid="join-code"]');
    if (focusTarget && !auto) focusTarget.focus();
  }

  async function join() {
    const body = { code: form.info.code };
    if (form.info.join_mode === 'open') { body.name = form.name.trim(); body.unit = form.unit.trim(); }
    else {
      body.badge = form.badge.trim();
      const device = readDevice(body.code, body.badge);
      if (device) body.device = device;
      if (secretKind(form.info)) body.secret = form.secret.trim();
    }
    if (form.info.join_mode === 'open' ? !body.name || !body.unit : !body.badge) {
      form.error = { code: form.info.join_mode === 'open' ? 'name_required' : 'badge_required' };
      render();
      return;
    }
    if (secretKind(form.info) && !body.secret) {
      form.error = { code: 'secret_required' };
      render();
      el.querySelector('[data-testid="join-secret"]')?.focus();
      return;
    }
    clearTimeout(pollTimer);
    form.busy = !form.waiting; form.error = null; render();
    try {
      const res = await app.api.post('/api/join', body);
      form.busy = false;
      form.waiting = false;
      if (res.device) keepDevice(body.code, body.badge, res.device);
      app.signIn({ ...res, code: form.info.code, title: form.info.title, badge: body.badge });
    } catch (err) {
      form.busy = false;
      if (err.code === 'seat_taken') {
        // Another phone holds this badge: wait for the organizer, asking again with this phone's secret.
        keepDevice(body.code, body.badge, err.details && err.details.device);
        form.waiting = true;
        render();
        pollTimer = setTimeout(() => { if (form.waiting && el.isConnected) join(); }, DEVICE_POLL_MS);
        return;
      }
      form.waiting = false;
      form.error = err;
      if (err.code === 'unknown_contest') form.info = null;
      if (err.code === 'wrong_badge_or_secret') form.secret = '';
      render();
      const field = el.querySelector('[data-testid="join-badge"], [data-testid="join-name"]');
      if (field) field.focus();
    }
  }

  function field(id, key, label, attrs = {}) {
    return h('div.field',
      h('label', { for: id }, label),
      h('input', {
        id, name: key, value: form[key], autocomplete: 'off', 'data-testid': `join-${key}`,
        'aria-invalid': form.error ? 'true' : null, 'aria-describedby': form.error ? 'join-error' : null,
        oninput: (e) => { form[key] = e.target.value; },
        ...attrs,
      }));
  }

  function errorBox() {
    if (form.waiting) {
      return h('div.alert.warn#join-error', { role: 'status', 'data-testid': 'join-seat-waiting' },
        t('play.seat_waiting'));
    }
    if (!form.error) return null;
    return h('div.alert#join-error', { role: 'alert', 'data-testid': 'join-error' }, joinErrorText(form.error));
  }

  /** Error text, worded with the contest's secret label where it helps. */
  function joinErrorText(err) {
    const kind = secretKind(form.info);
    const label = kind ? t(`play.secret.${kind}`) : '';
    if (kind && err.code === 'secret_required') return t('play.secret_required', { label });
    if (kind && err.code === 'wrong_badge_or_secret') return t('play.wrong_badge_or_secret', { label });
    const wait = err.details && err.details.retry_after_seconds;
    if ((err.code === 'join_limited' || err.code === 'contest_join_limited') && wait) {
      return t('play.join_limited', { s: wait });
    }
    return errorText(err);
  }

  function secretField(kind) {
    return [
      field('join-secret', 'secret', t(`play.secret.${kind}`), {
        type: 'password', maxlength: '8', autocomplete: 'off', enterkeyhint: 'go',
        inputmode: kind === 'id_last4' ? 'text' : 'numeric', autocapitalize: 'characters',
        placeholder: t(`play.secret_placeholder.${kind}`), 'data-kind': kind,
      }),
      h('p.hint.join-secret-hint', t('play.secret_hint')),
    ];
  }

  function render() {
    const info = form.info;
    const card = info
      ? h('form.card.join-card', {
        onsubmit: (e) => { e.preventDefault(); join(); }, novalidate: true,
      },
      h('div.join-contest',
        h('div.join-contest-label.muted', t('play.contest')),
        h('div.join-contest-title', { 'data-testid': 'join-title' }, info.title),
        h('div.join-code-line.muted', t('play.code_is', { code: info.code }), ' ',
          h('button.linkish', {
            type: 'button', 'data-testid': 'join-change-code',
            onclick: () => { form.info = null; form.error = null; render(); el.querySelector('[data-testid="join-code"]')?.focus(); },
          }, t('play.change_code')))),
      info.join_mode === 'open'
        ? [field('join-name', 'name', t('play.your_name'), { maxlength: '64', autocomplete: 'name' }),
          field('join-unit', 'unit', t('play.your_unit'), { maxlength: '64', autocomplete: 'organization' })]
        : [field('join-badge', 'badge', t('play.badge'), {
          maxlength: '32', placeholder: t('play.badge_placeholder'), enterkeyhint: secretKind(info) ? 'next' : 'go',
        }),
        secretKind(info) ? secretField(secretKind(info)) : null],
      errorBox(),
      h('button.btn.primary.block.big', { type: 'submit', 'data-testid': 'join-submit', disabled: form.busy || null },
        form.busy ? h('span.spinner.light', { 'aria-hidden': 'true' }) : null, t('play.enter')))
      : h('form.card.join-card', {
        onsubmit: (e) => { e.preventDefault(); lookup(); }, novalidate: true,
      },
      field('join-code', 'code', t('play.code'), {
        inputmode: 'numeric', maxlength: '16', placeholder: t('play.code_placeholder'), enterkeyhint: 'next',
        autocomplete: 'one-time-code',
      }),
      errorBox(),
      h('button.btn.primary.block.big', { type: 'submit', 'data-testid': 'join-code-next', disabled: form.busy || null },
        form.busy ? h('span.spinner.light', { 'aria-hidden': 'true' }) : null, t('play.next_step')));

    mount(el,
      h('div.join-hero', { class: info ? 'found' : null },
        h('div.emblem', { 'aria-hidden': 'true' }, '竞'),
        h('h1.join-title', t('play.join_heading')),
        // How to find the code, until it is found (then the contest card below says which contest it is).
        info ? null : h('p.join-sub.muted', t('play.join_sub'))),
      note ? h('div.alert.warn', { role: 'status', 'data-testid': 'join-note' }, note) : null,
      card);
  }

  render();
  if (form.code && !form.info && form.looked !== form.code) {
    form.looked = form.code;
    lookup(true);
  }
  return {
    el,
    update() {},
    relang: render,
    reset() { form.error = null; },
  };
}
