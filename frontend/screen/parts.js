// Pieces shared by the big-screen views: the top bar, stems with blanks, auto-fitting text, counters.

import { t } from '/shared/i18n.js';
import { h } from '/shared/ui.js';

/** Whether a round title already carries its number (older default titles did). */
export function titleNamesRound(round) {
  return /^\s*(第\s*[0-9一二三四五六七八九十]+\s*轮|round\s*\d+)/i.test((round && round.title) || '');
}

/** "第 1 轮 · 必答题"; a title that already names its round ("第1轮 必答题", "Round 1 …") is shown as it is. */
export function roundLabel(round) {
  if (!round) return '';
  if (titleNamesRound(round)) return round.title;
  return `${t('round.of', { n: round.position + 1 })} · ${round.title}`;
}

/** The bar across the top of the live views: round, question number, type badge; contest title at the right. */
export function topBar(state, { question = null, extra = null } = {}) {
  const round = state.round;
  return h('header.s-top',
    round ? h('span.s-round', { 'data-testid': 'round-title' }, roundLabel(round)) : null,
    question ? h('span.s-qnum', { 'data-testid': 'question-number' },
      h('b', String(question.index + 1)), h('span.s-qtotal', ` / ${question.total}`)) : null,
    question ? h('span.s-type', { 'data-testid': 'question-type', dataset: { type: question.question.type } },
      t(`type.${question.question.type}`)) : null,
    question && question.question.points != null
      ? h('span.s-points', t('q.points', { n: question.question.points })) : null,
    extra,
    h('span.spacer'),
    h('span.s-contest', state.contest ? state.contest.title : ''),
  );
}

/**
 * The stem as nodes: every run of underscores (a fill blank) becomes a visible blank; with `answers`, the
 * blank shows the correct text (first accepted form) in gold.
 */
export function stemNodes(stem, answers = null) {
  const parts = String(stem || '').split(/(_{2,})/);
  let blank = 0;
  return parts.map((part) => {
    if (!/^_{2,}$/.test(part)) return part;
    const i = blank++;
    if (answers && answers[i]) {
      const alts = Array.isArray(answers[i]) ? answers[i] : [answers[i]];
      return h('span.s-blank.filled', { 'data-testid': 'blank-answer' }, alts[0]);
    }
    return h('span.s-blank', { 'aria-label': t('q.blank') }, '\u2003\u2003\u2003');
  });
}

/**
 * Shrink the text inside `box` (by the CSS variable --fit, which font sizes multiply) until its content
 * fits without scrolling. Box must have a bounded height.
 */
export function fitText(box, min = 0.55, max = 1) {
  if (!box || !box.isConnected) return;
  let fit = max;
  box.style.setProperty('--fit', fit.toFixed(2));
  while (fit > min && (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1)) {
    fit = Math.max(min, fit - 0.05);
    box.style.setProperty('--fit', fit.toFixed(2));
  }
}

/** Animate the number in `el` from `from` to `to` over `ms`; `format` renders each step. */
export function countUp(el, from, to, ms = 1200, format = (v) => String(Math.round(v))) {
  const start = performance.now();
  const ease = (x) => 1 - (1 - x) ** 3;
  const step = (now) => {
    if (!el.isConnected) return;
    const p = Math.min(1, (now - start) / ms);
    el.textContent = format(from + (to - from) * ease(p));
    if (p < 1) requestAnimationFrame(step);
  };
  el.textContent = format(from);
  requestAnimationFrame(step);
}

/** A horizontal progress bar (0..1). */
export function progressBar(fraction, testid = null) {
  const fill = h('span.s-bar-fill');
  fill.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 1000) / 10}%`;
  return h('span.s-bar', testid ? { 'data-testid': testid } : {}, fill);
}

export function setBar(bar, fraction) {
  const fill = bar && bar.firstChild;
  if (fill) fill.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 1000) / 10}%`;
}

/** The join link shown small at the bottom of in-game views, for latecomers. */
export function joinFooter(state) {
  if (!state.joinUrl || !state.contest) return null;
  return h('footer.s-foot',
    h('span', t('lobby.or_open')),
    h('span.s-foot-url', state.joinUrl.replace(/^https?:\/\//, '')),
    h('span', `${t('lobby.code')} `, h('b', state.contest.join_code)));
}
