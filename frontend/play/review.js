// Reviews: after an exam round, its own score and every question of the paper with the own answer, the key and
// the explanation; after the contest, the same for every round (live questions too), consistent with the final
// summary (the number correct and the points add up to the rank card's).
//
// The answer sheet (答题卡): when the organizer allows it, the same review of every round that has ended, with an
// overview grid per round (one numbered box per question, by outcome; a tap opens that question) and the time
// taken. It comes from GET /api/me/answer-sheet, which never holds a round still running; the phone asks for it
// when a round has ended and when the organizer opens or closes the sheets (`answer_sheet` event).

import { h } from '/shared/ui.js';
import { t } from '/shared/i18n.js';
import { typeBadge, stemView, answerText, explanationView, pointsText, pointsBig, part } from './question.js';
import { rankCard } from './live.js';

const MARKS = { correct: '✓', partial: '◐', wrong: '✗', none: '–' };

/** An exam view (with keys, once its round has finished) as review items. */
export function examItems(exam) {
  if (!exam || !exam.started || !exam.questions || !exam.questions.some((q) => q.answer)) return null;
  const mine = new Map((exam.answers || []).map((a) => [a.index, a]));
  return exam.questions.map((q) => ({
    index: q.index,
    question: q.question,
    answer: q.answer,
    explanation: q.explanation,
    source: q.source,
    my_answer: mine.get(q.index) || null,
    correct: !!q.correct,
    points: q.points_earned || 0,
    bonus: 0,
  }));
}

function outcomeOf(item) {
  if (item.correct) return 'correct';
  if (item.points > 0) return 'partial';
  return item.my_answer ? 'wrong' : 'none';
}

function signed(value) {
  return `${value < 0 ? '−' : '+'}${pointsText(Math.abs(value))}`;
}

/** The element id of a review item, for the answer sheet grid's links. */
const itemId = (scope, roundKey, index) => `review-${scope}-${roundKey}-${index}`;

function reviewItem(item, open, id) {
  const q = item.question;
  const outcome = outcomeOf(item);
  const earned = (item.points || 0) + (item.bonus || 0);
  return h('details.review-item', {
    id, class: outcome, open: open || null, 'data-testid': 'review-item', 'data-outcome': outcome,
  },
  h('summary',
    h('span.review-mark', { 'aria-hidden': 'true' }, MARKS[outcome]),
    h('span.review-n', t('play.review_n', { n: item.index + 1 })),
    typeBadge(q.type),
    h('span.spacer'),
    h('span.review-pts', { 'data-testid': 'review-points' }, signed(earned)),
    h('span.sr-only', t(`play.${outcome === 'none' ? 'not_answered' : outcome}`))),
  h('div.review-body',
    stemView(q),
    q.type !== 'fill' && q.type !== 'true_false'
      ? h('ol.review-options', q.options.map((text, i) => h('li', {
        class: ((item.answer && item.answer.choice) || []).includes(i) ? 'key' : null,
      }, h('b', String.fromCharCode(65 + i)), ' ', text)))
      : null,
    h('p.review-line', h('span.muted', t('play.your_answer')), ' ',
      item.my_answer ? answerText(q, item.my_answer) : t('play.not_answered')),
    h('p.review-line.key', h('span.muted', t('play.correct_answer')), ' ', answerText(q, item.answer)),
    item.bonus > 0 ? h('p.review-line.muted.small', t('play.bonus', { n: pointsText(item.bonus) })) : null,
    // The answer sheet's items also tell what the question was worth and how long the answer took.
    'elapsed_ms' in item ? h('p.review-line.muted.small', { 'data-testid': 'review-meta' },
      t('play.sheet_worth', { n: pointsText(q.points) }),
      item.elapsed_ms != null && item.my_answer
        ? ` · ${t('play.sheet_time', { s: (item.elapsed_ms / 1000).toFixed(1) })}` : null)
      : null,
    explanationView(item.explanation, item.source)));
}

/** The answer sheet's overview of one round: a numbered box per question, by outcome; a tap opens the question. */
function sheetGrid(round, ids) {
  return h('div.sheet-grid', { role: 'list', 'aria-label': t('play.sheet_grid', { title: round.title || '' }), 'data-testid': 'sheet-grid' },
    round.items.map((item, i) => {
      const outcome = outcomeOf(item);
      return h('button.sheet-cell', {
        type: 'button', role: 'listitem', class: outcome, 'data-testid': 'sheet-cell', 'data-outcome': outcome,
        'aria-label': `${t('play.review_n', { n: item.index + 1 })} ${t(`play.${outcome === 'none' ? 'not_answered' : outcome}`)}`,
        onclick: () => {
          const target = document.getElementById(ids[i]);
          if (!target) return;
          target.open = true;
          target.scrollIntoView({ behavior: 'smooth', block: 'start' });
        },
      }, String(item.index + 1));
    }));
}

let reviewSeq = 0;

/**
 * The review of one or more rounds: rounds = [{ title, kind, items }]. With several rounds each gets a heading
 * with its own count and points. adjustment: the organizer's score adjustment, shown so that the points add up.
 * grid: an overview grid per round (the answer sheet); titleKey: the heading's string.
 */
export function reviewList(rounds, { testid = 'review', adjustment = 0, open = false, grid = false, titleKey = 'play.review_title' } = {}) {
  const shown = (rounds || []).filter((r) => r.items && r.items.length);
  if (!shown.length) return null;
  const all = shown.flatMap((r) => r.items);
  const correct = all.filter((i) => i.correct).length;
  const scope = ++reviewSeq;
  return h('section.review', { 'data-testid': testid },
    h('h2.section-title', { 'data-testid': 'review-title' }, t(titleKey, { n: correct, total: all.length })),
    shown.map((round, r) => {
      const earned = round.items.reduce((sum, i) => sum + (i.points || 0) + (i.bonus || 0), 0);
      const right = round.items.filter((i) => i.correct).length;
      const ids = round.items.map((item) => itemId(scope, round.round_id ?? r, item.index));
      return h('div.review-round', {
        'data-testid': round.kind === 'exam' ? 'exam-review' : 'live-review', 'data-kind': round.kind,
      },
      shown.length > 1 || grid ? h('h3.review-round-title',
        h('span.review-round-name', round.title || t(`play.kind_${round.kind}`)),
        h('span.review-round-sum.muted', t('play.round_sum', { n: right, total: round.items.length, points: signed(earned) })))
        : null,
      grid ? sheetGrid(round, ids) : null,
      round.items.map((item, i) => reviewItem(item, open, ids[i])));
    }),
    adjustment ? h('p.review-adjust', { 'data-testid': 'review-adjustment' },
      t('play.adjustment', { points: signed(adjustment) })) : null);
}

/** The whole contest's review from a snapshot's `review`. */
export function contestReview(review) {
  if (!review) return null;
  return reviewList(review.rounds, { testid: 'contest-review', adjustment: review.adjustment || 0 });
}

/** How long the phones wait, at most, before asking for the sheet: spreads a full hall's requests. */
const SHEET_SPREAD_MS = 4000;

/** The organizer's switches seen by this state (`answer_sheet` events since the last snapshot). */
const switches = (s) => (s.answerSheet ? s.answerSheet.seq : 0);

/**
 * When the server last said the sheets are hidden: the state (a new snapshot replaces it) and its switch count.
 * Until either changes, no phone asks again, so a hall does not ask at every round's end while the sheets are off.
 */
let hiddenAt = null;

/**
 * The answer sheet of the rounds that have ended, shown when the organizer allows it (nothing otherwise).
 * Returns { el, update(), available(), destroy() }; `onChange` runs when the sheet appears or goes away.
 */
export function answerSheetSection(app, { onChange = null } = {}) {
  const el = h('div.answer-sheet-area', { 'data-testid': 'answer-sheet-area' });
  let sheet = null;
  let asked = null;
  let timer = null;
  let seq = 0;

  /** What the sheet depends on: the rounds that have ended and the organizer's switches. */
  function wanted() {
    const s = app.state;
    const ended = (s.rounds || []).filter((r) => r.state === 'finished').map((r) => r.id).join(',');
    return `${ended}|${switches(s)}`;
  }

  function show(next) {
    const before = !!sheet;
    sheet = next;
    el.replaceChildren();
    if (sheet) {
      el.append(reviewList(sheet.rounds, { testid: 'answer-sheet', grid: true, titleKey: 'play.sheet_title' })
        || h('p.muted.center.small', { 'data-testid': 'answer-sheet-empty' }, t('play.sheet_empty')));
    }
    if (onChange && before !== !!sheet) onChange();
  }

  function fetchSheet() {
    timer = null;
    const mine = ++seq;
    const state = app.state;
    app.api.get('/api/me/answer-sheet').then((body) => {
      if (mine === seq) show(body);
    }).catch((err) => {
      if (mine !== seq) return;
      if (err.code === 'answer_sheet_hidden') {
        hiddenAt = { state, seq: switches(state) };
        show(null);
      } else {
        asked = null; // any other failure: ask again at the next update, keeping what is shown
      }
    });
  }

  function update() {
    const s = app.state;
    if (!s) return;
    const key = wanted();
    if (key === asked || timer != null) return;
    asked = key;
    if (s.answerSheet && !s.answerSheet.visible) {
      // The organizer just closed the sheets: nothing to ask.
      hiddenAt = { state: s, seq: switches(s) };
      show(null);
      return;
    }
    if (hiddenAt && hiddenAt.state === s && hiddenAt.seq === switches(s)) return;
    timer = setTimeout(fetchSheet, Math.random() * SHEET_SPREAD_MS);
  }

  return {
    el,
    update,
    available: () => !!sheet,
    destroy() { clearTimeout(timer); },
  };
}

export function reviewScreen(app) {
  const bodyEl = h('div.stack');
  const body = part(bodyEl);
  // With the organizer's answer sheet, it replaces the paper review: it holds this paper and every earlier round.
  const sheet = answerSheetSection(app, { onChange: () => update() });
  const el = h('section.review-screen', { 'data-testid': 'exam-result' }, bodyEl, sheet.el);
  function update() {
    const exam = app.state.exam;
    const me = app.state.me || {};
    const items = examItems(exam);
    const withSheet = sheet.available();
    const sig = `${exam && exam.score}|${!!items}|${me.rank}|${me.score}|${app.state.joined_count}|${app.lang()}|${withSheet}`;
    body(sig, () => [
      h('div.card.hero',
        h('div.hero-kicker', app.state.round.title || t('play.exam')),
        exam && exam.score != null
          ? [h('div.hero-label', t('play.exam_score')),
            h('div.hero-value', { 'data-testid': 'exam-score' }, pointsBig(exam.score))]
          : h('p', h('span.spinner', { 'aria-hidden': 'true' }), t('play.scoring'))),
      rankCard(me, app.state),
      h('p.muted.center', t('play.wait_next_round')),
      items && !withSheet ? reviewList([{ title: app.state.round.title, kind: 'exam', items }], { testid: 'paper-review' }) : null,
    ]);
    sheet.update();
  }
  return { el, update, destroy: sheet.destroy };
}
