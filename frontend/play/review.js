// Reviews: after an exam round, its own score and every question of the paper with the own answer, the key and
// the explanation; after the contest, the same for every round (live questions too), consistent with the final
// summary (the number correct and the points add up to the rank card's).

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

function reviewItem(item, open) {
  const q = item.question;
  const outcome = outcomeOf(item);
  const earned = (item.points || 0) + (item.bonus || 0);
  return h('details.review-item', {
    class: outcome, open: open || null, 'data-testid': 'review-item', 'data-outcome': outcome,
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
    explanationView(item.explanation, item.source)));
}

/**
 * The review of one or more rounds: rounds = [{ title, kind, items }]. With several rounds each gets a heading
 * with its own count and points. adjustment: the organizer's score adjustment, shown so that the points add up.
 */
export function reviewList(rounds, { testid = 'review', adjustment = 0, open = false } = {}) {
  const shown = (rounds || []).filter((r) => r.items && r.items.length);
  if (!shown.length) return null;
  const all = shown.flatMap((r) => r.items);
  const correct = all.filter((i) => i.correct).length;
  return h('section.review', { 'data-testid': testid },
    h('h2.section-title', { 'data-testid': 'review-title' }, t('play.review_title', { n: correct, total: all.length })),
    shown.map((round) => {
      const earned = round.items.reduce((sum, i) => sum + (i.points || 0) + (i.bonus || 0), 0);
      const right = round.items.filter((i) => i.correct).length;
      return h('div.review-round', {
        'data-testid': round.kind === 'exam' ? 'exam-review' : 'live-review', 'data-kind': round.kind,
      },
      shown.length > 1 ? h('h3.review-round-title',
        h('span.review-round-name', round.title || t(`play.kind_${round.kind}`)),
        h('span.review-round-sum.muted', t('play.round_sum', { n: right, total: round.items.length, points: signed(earned) })))
        : null,
      round.items.map((item) => reviewItem(item, open)));
    }),
    adjustment ? h('p.review-adjust', { 'data-testid': 'review-adjustment' },
      t('play.adjustment', { points: signed(adjustment) })) : null);
}

/** The whole contest's review from a snapshot's `review`. */
export function contestReview(review) {
  if (!review) return null;
  return reviewList(review.rounds, { testid: 'contest-review', adjustment: review.adjustment || 0 });
}

export function reviewScreen(app) {
  const bodyEl = h('div.stack');
  const body = part(bodyEl);
  const el = h('section.review-screen', { 'data-testid': 'exam-result' }, bodyEl);
  function update() {
    const exam = app.state.exam;
    const me = app.state.me || {};
    const items = examItems(exam);
    const sig = `${exam && exam.score}|${!!items}|${me.rank}|${me.score}|${app.state.joined_count}|${app.lang()}`;
    body(sig, () => [
      h('div.card.hero',
        h('div.hero-kicker', app.state.round.title || t('play.exam')),
        exam && exam.score != null
          ? [h('div.hero-label', t('play.exam_score')),
            h('div.hero-value', { 'data-testid': 'exam-score' }, pointsBig(exam.score))]
          : h('p', h('span.spinner', { 'aria-hidden': 'true' }), t('play.scoring'))),
      rankCard(me, app.state),
      h('p.muted.center', t('play.wait_next_round')),
      items ? reviewList([{ title: app.state.round.title, kind: 'exam', items }], { testid: 'paper-review' }) : null,
    ]);
  }
  return { el, update };
}
