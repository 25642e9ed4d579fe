// After an exam round: the own score and, once the round has finished, every question with the own answer, the
// key and the explanation.

import { h } from '/shared/ui.js';
import { t } from '/shared/i18n.js';
import { typeBadge, stemView, answerText, explanationView, pointsText, pointsBig, part } from './question.js';
import { rankCard } from './live.js';

/** The review of a paper (exam view with keys). Used after the exam and on the final screen. */
export function paperReview(exam, { open = false } = {}) {
  if (!exam || !exam.started || !exam.questions || !exam.questions.some((q) => q.answer)) return null;
  const mine = new Map((exam.answers || []).map((a) => [a.index, a]));
  const correct = exam.questions.filter((q) => q.correct).length;
  return h('section.review', { 'data-testid': 'exam-review' },
    h('h2.section-title', t('play.review_title', { n: correct, total: exam.questions.length })),
    exam.questions.map((item) => {
      const q = item.question;
      const a = mine.get(item.index);
      const outcome = item.correct ? 'correct' : (item.points_earned > 0 ? 'partial' : (a ? 'wrong' : 'none'));
      return h('details.review-item', { class: outcome, open: open || null, 'data-testid': 'review-item', 'data-outcome': outcome },
        h('summary',
          h('span.review-mark', { 'aria-hidden': 'true' },
            { correct: '✓', partial: '◐', wrong: '✗', none: '–' }[outcome]),
          h('span.review-n', t('play.review_n', { n: item.index + 1 })),
          typeBadge(q.type),
          h('span.spacer'),
          h('span.review-pts', `+${pointsText(item.points_earned || 0)}`),
          h('span.sr-only', t(`play.${outcome === 'none' ? 'not_answered' : outcome}`))),
        h('div.review-body',
          stemView(q),
          q.type !== 'fill' && q.type !== 'true_false'
            ? h('ol.review-options', q.options.map((text, i) => h('li', {
              class: (item.answer.choice || []).includes(i) ? 'key' : null,
            }, h('b', String.fromCharCode(65 + i)), ' ', text)))
            : null,
          h('p.review-line', h('span.muted', t('play.your_answer')), ' ',
            a ? answerText(q, a) : t('play.not_answered')),
          h('p.review-line.key', h('span.muted', t('play.correct_answer')), ' ', answerText(q, item.answer)),
          explanationView(item.explanation, item.source)));
    }));
}

export function reviewScreen(app) {
  const bodyEl = h('div.stack');
  const body = part(bodyEl);
  const el = h('section.review-screen', { 'data-testid': 'exam-result' }, bodyEl);
  function update() {
    const exam = app.state.exam;
    const me = app.state.me || {};
    const sig = `${exam && exam.score}|${!!(exam && exam.questions && exam.questions.some((q) => q.answer))}|${me.rank}|${me.score}|${app.state.joined_count}|${app.lang()}`;
    body(sig, () => [
      h('div.card.hero',
        h('div.hero-kicker', app.state.round.title || t('play.exam')),
        exam && exam.score != null
          ? [h('div.hero-label', t('play.exam_score')),
            h('div.hero-value', { 'data-testid': 'exam-score' }, pointsBig(exam.score))]
          : h('p', h('span.spinner', { 'aria-hidden': 'true' }), t('play.scoring'))),
      rankCard(me, app.state),
      h('p.muted.center', t('play.wait_next_round')),
      paperReview(exam),
    ]);
  }
  return { el, update };
}
