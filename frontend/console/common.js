// Console-wide helpers: the API client with the organizer token, navigation, error display, dialogs, toasts
// and small form builders. Screens import from here; nothing here knows about a particular screen.

import { createApi } from '/shared/api.js';
import { t, errorText } from '/shared/i18n.js';
import { h, store } from '/shared/ui.js';
import { toast } from './toast.js';

export { toast };

const TOKEN_KEY = 'jingsai.console.token';

export const session = {
  token: store.get(TOKEN_KEY),
  setToken(token) {
    this.token = token;
    if (token) store.set(TOKEN_KEY, token); else store.remove(TOKEN_KEY);
  },
};

export const api = createApi({
  token: () => session.token,
  onUnauthorized: (err) => {
    if (err.code === 'bad_credentials') return;
    session.setToken(null);
    if (!location.hash.startsWith('#/login')) {
      toast(errorText(err), 'error');
      go('#/login');
    }
  },
});

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** An error message, plus one line per detail ({file, line, message} | {row, message} | {quota, message}). */
// Codes whose server message carries specifics (which field, which round) worth showing under the translation.
const SPECIFIC = new Set(['invalid_round', 'invalid_field', 'unknown_bank', 'malformed_json', 'bad_body', 'blueprint_unfillable', 'invalid_join_code']);

export function errorBox(err, testid = 'error') {
  if (!err) return null;
  const details = Array.isArray(err.details) ? err.details : [];
  const round = /^round (\d+)\b/.exec(err.message || '');
  const text = errorText(err);
  const showMessage = SPECIFIC.has(err.code) && err.message && err.message !== text && !details.length;
  return h('div.alert', { role: 'alert', dataset: { testid } },
    h('div.alert-title', round ? `${t('console.err.round', { n: round[1] })} · ` : '', text),
    showMessage ? h('div.alert-detail', err.message) : null,
    details.length ? h('ul.error-lines', { dataset: { testid: `${testid}-lines` } }, details.map(detailLine)) : null);
}

function detailLine(d) {
  if (d == null || typeof d !== 'object') return h('li', String(d));
  let where = '';
  if (d.file != null) where = d.line ? `${d.file}:${d.line}` : d.file;
  else if (d.row != null) where = t('console.err.row', { row: d.row });
  else if (d.quota != null) where = t('console.err.quota', { n: d.quota + 1 });
  return h('li', { dataset: d.code ? { code: d.code } : {} },
    where ? h('code.where', where) : null, where ? ' ' : null, detailText(d));
}

/** A detail's text in the UI language, by its `code` (roster errors); the server's message otherwise. */
function detailText(d) {
  const fallback = d.message || JSON.stringify(d);
  if (!d.code) return fallback;
  const key = `console.detail.${d.code}`;
  if (t(key) === key) return fallback;
  const fields = Array.isArray(d.fields)
    ? d.fields.map((f) => { const k = `console.detail.field.${f}`; return t(k) === k ? f : t(k); })
      .join(t('console.detail.field_sep'))
    : '';
  if (d.code === 'missing_fields' && !fields) return fallback;
  if ((d.code === 'duplicate_badge' || d.code === 'badge_exists') && d.badge == null) return fallback;
  if (d.code === 'duplicate_badge' && d.first_row == null) return fallback;
  return t(key, { badge: d.badge ?? '', first_row: d.first_row ?? '', fields });
}

/** A modal confirmation. Resolves true when confirmed. Esc or Cancel resolves false. */
export function confirmDialog({ title, message, confirm, danger = false }) {
  return new Promise((resolve) => {
    const ok = h('button.btn' + (danger ? '.primary' : '.gold'), {
      type: 'button', dataset: { testid: 'confirm-ok' }, onclick: () => close(true),
    }, confirm || t('console.ok'));
    const cancel = h('button.btn.ghost', {
      type: 'button', dataset: { testid: 'confirm-cancel' }, onclick: () => close(false),
    }, t('console.cancel'));
    const dialog = h('dialog.confirm', { 'aria-labelledby': 'confirm-title', dataset: { testid: 'confirm-dialog' } },
      h('h2#confirm-title', title),
      message ? h('p', message) : null,
      h('div.row.end', cancel, ok));
    let done = false;
    function close(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(false); });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

/** A labelled field: h('div.field', label, control, hint). The control gets an id if it has none. */
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h('div.hint', { id: control.id + '-hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div.field', h('label', { for: control.id }, label), control, hintEl);
}

/** A checkbox with its label on the right. */
export function checkbox(label, checked, onchange, testid) {
  const input = h('input', { type: 'checkbox', checked: !!checked, id: nextId('cb'), dataset: testid ? { testid } : {} });
  input.addEventListener('change', () => onchange(input.checked));
  return h('label.check', { for: input.id }, input, h('span', label));
}

/** A <select> from [value, label] pairs. */
export function select(options, value, onchange, props = {}) {
  const el = h('select', props, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value) }, label)));
  el.addEventListener('change', () => onchange(el.value));
  return el;
}

/** Local date and time of a server timestamp (ms). */
export function formatDateTime(ms) {
  if (ms == null) return '–';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Seconds with one decimal for answer times. */
export function formatSeconds(ms) {
  if (ms == null) return '–';
  return `${(ms / 1000).toFixed(1)}${t('common.seconds')}`;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

/** Page title row with actions on the right. */
export function pageHeader(title, ...actions) {
  return h('div.page-head', h('h1', title), h('div.spacer'), ...actions);
}

/** The state of a contest / round / question as a coloured pill. */
export function statePill(state, testid) {
  const cls = { running: 'red', open: 'red', finished: 'green', closed: 'green', paused: 'gold', draft: '', pending: '', skipped: '' }[state] ?? '';
  return h('span.pill' + (cls ? '.' + cls : ''), { dataset: testid ? { testid } : {} }, t(`console.state.${state}`));
}

/** Copy text to the clipboard, with a fallback for non-secure (http LAN) pages. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { style: { position: 'fixed', opacity: '0' } }, text);
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}

/** Read files chosen in an <input type=file> as text: [{name, content}]. */
export function readFiles(fileList) {
  return Promise.all([...fileList].map((file) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ name: file.name, content: String(reader.result) });
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  })));
}

/** Read one file as bytes (a roster CSV may be GBK; the server decodes it). */
export function readBytes(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(file);
  });
}

/** A button that shows a busy state while its async action runs. */
export function actionButton(spec, props, label, action) {
  const btn = h(spec, { type: 'button', ...props }, label);
  btn.addEventListener('click', async () => {
    if (btn.disabled) return;
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    try { await action(btn); } finally {
      btn.removeAttribute('aria-busy');
      if (btn.isConnected) btn.disabled = false;
    }
  });
  return btn;
}

/** Letters A, B, C… for option indices, joined. */
export function choiceLetters(indices) {
  return (indices || []).map((i) => String.fromCharCode(65 + i)).join(' ');
}
