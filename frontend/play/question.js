// Rendering of one question, shared by live rounds and exam papers: type badge, stem, choice options (with the
// key and the answer distribution once revealed), blanks for fill-in questions.

import { h, mount, letter, formatPoints, pointsDecimals } from '/shared/ui.js';
import { t } from '/shared/i18n.js';

const BLANK = /_{3,}/g;

/** The question type as a short pill (the full name, e.g. "Multiple choice", as its tooltip). */
export function typeBadge(type) {
  return h('span.pill.qtype', { class: `qtype-${type}`, 'data-testid': 'question-type', title: t(`type.${type}`) },
    t(`play.type.${type}`));
}

/** The stem; blanks of a fill-in question are shown as numbered gaps matching the inputs below. */
export function stemView(question, { id } = {}) {
  const el = h('p.stem', { 'data-testid': 'question-stem', id });
  if (question.type !== 'fill') {
    el.textContent = question.stem;
    return el;
  }
  const parts = question.stem.split(BLANK);
  parts.forEach((text, i) => {
    el.append(text);
    if (i < parts.length - 1) {
      el.append(h('span.gap', { 'aria-label': t('play.blank_n', { n: i + 1 }) }, `（${i + 1}）`));
    }
  });
  return el;
}

/** A short text for an answer, e.g. "A、C" ("A, C" in English) or "遵义 或 延安". */
export function answerText(question, answer) {
  if (!answer) return '';
  if (answer.blanks) {
    return answer.blanks
      .map((b) => (Array.isArray(b) ? b.join(t('play.or')) : (b || t('play.empty_blank'))))
      .join(' ｜ ');
  }
  if (answer.choice) {
    const sep = t('play.list_sep');
    if (question.type === 'true_false') return answer.choice.map((i) => question.options[i]).join(sep);
    return answer.choice.map(letter).join(sep);
  }
  return '';
}

/**
 * Choice options as big buttons.
 * opts: { question, selected: Set<number>, disabled, sent,
 *         reveal: {correct: Set, distribution: number[]|null, answered: number|undefined} | null, onPick(i), labelledBy,
 *         pickLabel (the tag of the picked options once revealed; default "your pick") }
 * `sent`: the answer has left the phone (it can no longer change): the options not picked are dimmed, so the pick
 * stands out. Each option's bar is its share of the people who answered (as on the big screen), so a
 * multiple-choice option picked by everyone fills the whole bar.
 */
export function choiceOptions({ question, selected, disabled, sent = false, reveal = null, onPick, labelledBy, pickLabel = null }) {
  const tf = question.type === 'true_false';
  const multi = question.type === 'multiple';
  const picks = reveal && reveal.distribution ? reveal.distribution.reduce((a, b) => a + b, 0) : 0;
  const total = reveal && typeof reveal.answered === 'number' && reveal.answered > 0 ? reveal.answered : picks;
  const list = h(`div.options${tf ? '.tf' : ''}`, {
    class: [sent && selected.size && 'sent', reveal && 'revealed'].filter(Boolean).join(' ') || null,
    role: 'group',
    'aria-labelledby': labelledBy,
    'data-testid': 'options',
  });
  question.options.forEach((text, i) => {
    const picked = selected.has(i);
    const isKey = reveal && reveal.correct.has(i);
    const classes = [picked && 'picked', reveal && isKey && 'key', reveal && picked && !isKey && 'wrong']
      .filter(Boolean).join(' ');
    const count = reveal && reveal.distribution ? reveal.distribution[i] || 0 : null;
    const button = h('button.option', {
      type: 'button',
      class: classes,
      'data-testid': `option-${i}`,
      'data-index': String(i),
      'aria-pressed': multi || !reveal ? String(picked) : null,
      disabled: disabled || null,
      onclick: () => onPick && onPick(i),
    },
    tf ? h('span.opt-mark', { 'aria-hidden': 'true' }, i === 0 ? '✓' : '✗') : h('span.opt-letter', letter(i)),
    h('span.opt-body',
      h('span.opt-text', text),
      reveal ? h('span.opt-meta',
        isKey ? h('span.opt-tag.ok', t('play.key_tag')) : null,
        picked ? h('span.opt-tag', { class: isKey ? 'mine' : 'bad' }, pickLabel || t('play.your_pick')) : null,
        count != null ? h('span.opt-count', t('play.people', { n: count })) : null) : null),
    count != null ? h('span.opt-bar', { style: { width: `${total ? Math.min(100, (100 * count) / total) : 0}%` }, 'aria-hidden': 'true' }) : null);
    list.append(button);
  });
  return list;
}

/**
 * One labelled input per blank. values: string[] (mutated on input). onInput(values) after each change.
 * keys: accepted alternatives per blank, shown below each input once revealed.
 */
export function fillInputs({ question, values, disabled, onInput, keys = null, idPrefix = 'blank' }) {
  const wrap = h('div.blanks');
  for (let i = 0; i < question.blank_count; i++) {
    const id = `${idPrefix}-${i}`;
    const input = h('input.blank-input', {
      id,
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
      maxlength: '200',
      enterkeyhint: i === question.blank_count - 1 ? 'done' : 'next',
      'data-testid': `fill-input-${i}`,
      value: values[i] || '',
      disabled: disabled || null,
      oninput: (e) => { values[i] = e.target.value; onInput && onInput(values); },
    });
    wrap.append(h('div.field.blank-field',
      h('label', { for: id }, t('play.blank_n', { n: i + 1 })),
      input,
      keys && keys[i] ? h('div.blank-key', t('play.key_is', { text: keys[i].join(t('play.or')) })) : null));
  }
  return wrap;
}

/** Explanation (解析) block after a question closed. */
export function explanationView(text, source) {
  if (!text) return null;
  return h('div.explain',
    h('div.explain-title', t('play.explanation')),
    h('p', text),
    source ? h('p.muted.source', t('play.source', { text: source })) : null);
}

// Points are shown with the same number of decimals everywhere on the phone: 2 once any score, question value,
// earned point or bonus of the contest has a fraction (a speed bonus, partial credit), else none. So a result
// card never shows 83 beside 114.01, nor 51.9 beside 51.89. The count only grows during a session (a value
// once shown as 83.00 is not shown as 83 later).
let places = 0;

/**
 * Take the points the phone knows into account, and at least `atLeast` decimals (the big screen's, from
 * `my_result`); returns the decimals to use from now on.
 */
export function notePoints(values, atLeast = 0) {
  places = Math.max(places, atLeast || 0, pointsDecimals(values));
  return places;
}

/** Back to no decimals (signed out: the next contest starts afresh). */
export function resetPoints() { places = 0; }

/** The decimals in use. */
export const pointsPlaces = () => places;

/** Points as a number only, e.g. "12.50". */
export function points(value) {
  return formatPoints(value, places);
}

export function pointsText(value) {
  return `${points(value)} ${t('unit.points')}`;
}

/** Points as a big number with a small unit. */
export function pointsBig(value) {
  return [points(value), h('span.unit', ` ${t('unit.points')}`)];
}

/**
 * A container that re-renders only when its signature changes, and keeps keyboard focus on the element with
 * the same data-testid across re-renders.
 */
export function part(el) {
  let sig = null;
  return (nextSig, build) => {
    if (nextSig === sig) return false;
    sig = nextSig;
    const active = document.activeElement;
    const focusId = active && el.contains(active) ? active.getAttribute('data-testid') : null;
    mount(el, build());
    if (focusId) {
      const again = el.querySelector(`[data-testid="${focusId}"]`);
      if (again && !again.disabled) again.focus();
    }
    return true;
  };
}
