// Small DOM helpers shared by the apps. No framework: screens are rebuilt from state with h().

/**
 * h('div.card#main', { onclick, class, style, dataset, ... }, ...children)
 * Children may be strings, numbers, nodes, arrays, or null/false (skipped).
 */
export function h(spec, props = {}, ...children) {
  const [tagAndClasses, id] = spec.split('#');
  const [tag, ...classes] = tagAndClasses.split('.');
  const el = document.createElement(tag || 'div');
  if (id) el.id = id;
  if (classes.length) el.classList.add(...classes);
  if (props && (typeof props !== 'object' || props instanceof Node || Array.isArray(props))) {
    children.unshift(props);
    props = {};
  }
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.classList.add(...String(value).split(/\s+/).filter(Boolean));
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `el`. */
export function mount(el, ...children) {
  const focus = focusedControl(el);
  el.replaceChildren();
  append(el, children);
  if (focus) restoreFocus(el, focus);
}

// A screen re-renders when data arrives (a bank list, a count, a live frame). If the person was typing in a control
// of the old tree, the same control of the new tree (same data-testid, same position) gets the focus and the caret
// back, so no keystroke lands on <body> and the field does not lose its focus under the fingers.
function focusedControl(el) {
  const active = document.activeElement;
  if (!active || active === el || !el.contains(active)) return null;
  const testid = active.dataset && active.dataset.testid;
  if (!testid) return null;
  const index = [...el.querySelectorAll(`[data-testid="${CSS.escape(testid)}"]`)].indexOf(active);
  let selection = null;
  try {
    if (typeof active.selectionStart === 'number') selection = [active.selectionStart, active.selectionEnd];
  } catch { /* inputs without a caret (checkbox, number in some engines) */ }
  return { testid, index, selection };
}

function restoreFocus(el, { testid, index, selection }) {
  const again = el.querySelectorAll(`[data-testid="${CSS.escape(testid)}"]`)[index];
  if (!again || typeof again.focus !== 'function') return;
  again.focus({ preventScroll: true });
  if (!selection) return;
  try {
    const end = (again.value || '').length;
    again.setSelectionRange(Math.min(selection[0], end), Math.min(selection[1], end));
  } catch { /* not a text control */ }
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** Option labels A, B, C… */
export const letter = (i) => String.fromCharCode(65 + i);

/**
 * Points as shown. With `decimals` given, always that many (a board or table passes `pointsDecimals(values)` so
 * that every row has the same number: 83.00 beside 114.01, never 83 beside 114.01). Without it: 2 decimals for a
 * fractional value, none for a whole one.
 */
export function formatPoints(value, decimals) {
  if (value == null) return '–';
  const rounded = Math.round(value * 100) / 100;
  const places = decimals ?? (Number.isInteger(rounded) ? 0 : 2);
  return rounded.toFixed(places);
}

/** Decimals for a column of points: 2 if any value has a fraction (to the centi-point), else 0. */
export function pointsDecimals(values) {
  for (const v of values) if (v != null && !Number.isInteger(Math.round(v * 100) / 100)) return 2;
  return 0;
}

/** m:ss for a countdown. */
export function formatClock(ms) {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Local time of a server timestamp (ms), HH:MM:SS. */
export function formatTime(ms) {
  if (ms == null) return '–';
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Call fn on every animation frame until the returned stop() is called. */
export function everyFrame(fn) {
  let running = true;
  const loop = () => { if (!running) return; fn(); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  return () => { running = false; };
}

/** Persist small JSON values per app (token, contest code). */
export const store = {
  get(key) { try { return JSON.parse(localStorage.getItem(key)); } catch { return null; } },
  set(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* ignore */ } },
  remove(key) { try { localStorage.removeItem(key); } catch { /* ignore */ } },
};
