// Pieces of the run tab that are pure renderings of the live state: the current question with its answer,
// answer progress, the exam progress, the round's question list, the not-yet-answered list, the top places.

import { t } from '/shared/i18n.js';
import { h, letter, formatPoints } from '/shared/ui.js';
import { statePill, choiceLetters, formatSeconds } from './common.js';

function bar(value, total, cls = '') {
  const pct = total > 0 ? Math.min(100, Math.round((value / total) * 100)) : 0;
  return h('div.bar' + (cls ? '.' + cls : ''), { role: 'presentation' }, h('span', { style: { width: pct + '%' } }));
}

/** Answered count of the current question: from the live `progress` events, or the closed result. */
export function answeredView(ctx, q) {
  const p = ctx.progress && ctx.progress.round_id === q.round_id && ctx.progress.index === q.index ? ctx.progress : null;
  const result = q.result;
  const answered = result ? result.answered : p ? p.answered : null;
  const joined = result ? result.joined : p ? p.joined : ctx.snap.joined_count;
  return h('div.answered', { 'aria-live': 'polite' },
    h('div.row.tight',
      h('span.muted', t('console.run.answered')),
      h('strong.big-num', { dataset: { testid: 'answered-count' } }, answered == null ? '–' : answered),
      h('span.muted', '/ ', h('span', { dataset: { testid: 'answered-total' } }, joined)),
      h('div.spacer'),
      result ? h('span', t('console.run.correct_n', { n: result.correct_count }),
        answered ? h('span.muted', ` (${Math.round((result.correct_count / answered) * 100)}%)`) : null) : null),
    bar(answered || 0, joined, result ? 'done' : ''));
}

/** The current live question with its key, explanation and (once closed) the distribution. */
export function questionView(ctx, q) {
  const body = q.question;
  const result = q.result;
  const key = q.answer || (result && result.answer) || {};
  const correct = new Set(key.choice || []);
  const dist = result && result.distribution && result.distribution.options;
  const totalAnswers = result ? result.answered : 0;
  const options = body.options && body.options.length
    ? h('ol.options', { dataset: { testid: 'question-options' } }, body.options.map((text, i) => h('li.option' + (correct.has(i) ? '.correct' : ''), {},
      h('span.opt-letter', letter(i)),
      h('span.opt-text', text),
      h('span.opt-mark', correct.has(i) ? { 'aria-label': t('console.run.correct_option') } : {}, correct.has(i) ? '✓' : ''),
      dist ? h('span.opt-dist', bar(dist[i] || 0, totalAnswers, correct.has(i) ? 'ok' : ''), h('span.num', dist[i] || 0)) : null)))
    : null;
  const blanks = key.blanks
    ? h('ol.blanks', key.blanks.map((alts, i) => h('li', h('span.muted', t('console.run.blank_n', { n: i + 1 })), ' ',
      h('strong', alts.join(' / ')))))
    : null;
  return h('article.question', { dataset: { testid: 'current-question' } },
    h('div.q-meta',
      h('span.q-no', t('console.run.question_no', { n: q.index + 1, total: q.total })),
      h('span.pill', t(`type.${body.type}`)),
      h('span.pill', t('console.difficulty.n', { n: body.difficulty })),
      h('span.pill', `${formatPoints(body.points)} ${t('unit.points')}`),
      h('span.muted.small', body.category),
      h('div.spacer'),
      statePill(q.state, 'question-state')),
    h('p.stem', body.stem),
    options,
    h('div.key', { dataset: { testid: 'question-answer' } },
      h('span.key-label', t('console.run.answer')),
      key.choice ? h('strong', choiceLetters(key.choice)) : null,
      blanks),
    q.explanation || (result && result.explanation)
      ? h('div.explanation', h('span.key-label', t('console.run.explanation')), ' ', q.explanation || result.explanation,
        result && result.source ? h('div.muted.small', t('console.question.source'), ' ', result.source) : null)
      : null,
    result && result.distribution && result.distribution.correct != null
      ? h('p.muted', t('console.run.fill_dist', { c: result.distribution.correct, w: result.distribution.wrong }))
      : null);
}

/** Exam round: time limit, window, how many papers are started and submitted. */
export function examView(ctx, round) {
  const p = ctx.examProgress || ctx.snap.exam_progress || { started: 0, submitted: 0 };
  const joined = p.joined ?? ctx.snap.joined_count;
  return h('article.exam', { dataset: { testid: 'exam-progress' } },
    h('div.q-meta',
      h('span.q-no', t('console.run.exam_papers')),
      h('span.pill', t('console.round.exam_limit', { m: +(round.time_limit_seconds / 60).toFixed(1) })),
      round.window_seconds ? h('span.pill', t('console.round.exam_window', { m: +(round.window_seconds / 60).toFixed(1) })) : null,
      h('span.pill', t('console.run.exam_questions', { n: round.question_count })),
      h('div.spacer'),
      statePill(round.state)),
    h('div.exam-stats',
      h('div.stat',
        h('div.muted', t('console.run.exam_started')),
        h('div.big-num', { dataset: { testid: 'exam-started' } }, p.started, h('span.muted.small', ` / ${joined}`)),
        bar(p.started, joined)),
      h('div.stat',
        h('div.muted', t('console.run.exam_submitted')),
        h('div.big-num', { dataset: { testid: 'exam-submitted' } }, p.submitted, h('span.muted.small', ` / ${joined}`)),
        bar(p.submitted, joined, 'done'))),
    h('p.muted.small', round.window_seconds ? t('console.run.exam_window_note') : t('console.run.exam_open_note')));
}

/** The round's questions in order, the current one marked. */
export function roundQuestionsView(ctx) {
  const list = ctx.snap.round_questions || [];
  const cur = ctx.snap.question;
  const icon = { pending: '○', open: '●', paused: 'Ⅱ', closed: '✓', skipped: '»' };
  return h('section.card.side-card', { 'aria-labelledby': 'rq-h' },
    h('h2#rq-h', t('console.run.round_questions'), ' ', h('span.muted', `(${list.length})`)),
    list.length === 0 ? h('p.muted', t('console.run.no_questions'))
      : h('ol.rq-list', { dataset: { testid: 'round-questions' } }, list.map((q) => h('li.rq.' + q.state + (cur && cur.index === q.index ? '.current' : ''), {
        'aria-current': cur && cur.index === q.index ? 'step' : null, title: q.stem,
      },
      h('span.rq-icon', { 'aria-label': t(`console.state.${q.state}`) }, icon[q.state] || '·'),
      h('span.rq-no', q.index + 1),
      h('span.rq-stem', q.stem),
      h('span.rq-type.muted', t(`type.${q.type}`))))));
}

/** Who has joined but not answered the open question. */
export function missingView(ctx) {
  const p = ctx.progress;
  const missing = p ? p.missing : null;
  return h('section.card.side-card', { 'aria-labelledby': 'miss-h' },
    h('h2#miss-h', t('console.run.missing'), ' ',
      h('span.muted', { dataset: { testid: 'missing-count' } }, missing ? `(${missing.length})` : '')),
    missing == null ? h('p.muted', t('console.run.missing_none_yet'))
      : p.joined === 0 ? h('p.muted', t('console.run.nobody_joined'))
      : missing.length === 0 ? h('p.ok-text', t('console.run.all_answered'))
        : h('ul.missing-list', { dataset: { testid: 'missing-list' } },
          missing.map((m) => h('li', h('span', m.name), h('span.muted.small', m.unit)))));
}

/** The top places of the public leaderboard. */
export function topView(ctx) {
  const lb = ctx.snap.leaderboard;
  const all = lb && lb.top ? lb.top.slice(0, 10) : [];
  const top = all.some((e) => e.score !== 0 || e.correct > 0) ? all : [];
  return h('section.card.side-card', { 'aria-labelledby': 'top-h' },
    h('h2#top-h', t('console.run.top')),
    top.length === 0 ? h('p.muted', t('console.run.no_scores'))
      : h('table.data.compact',
        h('tbody', top.map((e) => h('tr',
          h('td.num.rank', e.rank),
          h('td', e.name, h('div.muted.small', e.unit)),
          h('td.num.strong', formatPoints(e.score)),
          h('td.num.muted.small', e.answer_time_ms ? formatSeconds(e.answer_time_ms) : ''))))));
}
