// Pieces of the run tab that are pure renderings of the live state: the current question with its answer,
// answer progress, the exam progress, the round's question list, the not-yet-answered list, the top places.

import { t } from '/shared/i18n.js';
import { h, letter, formatPoints, pointsDecimals, formatClock } from '/shared/ui.js';
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

/**
 * The current live question with its key, explanation and (once closed) the distribution. In presenter mode
 * (`presenter.hidden`) the key and the explanation of an open question are left out until revealed.
 */
export function questionView(ctx, q, presenter = {}) {
  const body = q.question;
  const result = q.result;
  const hidden = !!presenter.hidden;
  const key = hidden ? {} : q.answer || (result && result.answer) || {};
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
    hidden
      ? h('div.key.key-hidden', { dataset: { testid: 'answer-hidden' } },
        h('span.key-label', t('console.run.answer')),
        h('span', t('console.presenter.hidden')),
        h('div.spacer'),
        h('button.btn.small', { type: 'button', dataset: { testid: 'answer-reveal' }, onclick: presenter.onReveal },
          t('console.presenter.reveal')))
      : h('div.key', { dataset: { testid: 'question-answer' } },
        h('span.key-label', t('console.run.answer')),
        key.choice ? h('strong', choiceLetters(key.choice)) : null,
        blanks,
        presenter.onHide ? h('div.spacer') : null,
        presenter.onHide ? h('button.btn.ghost.small', { type: 'button', dataset: { testid: 'answer-hide' }, onclick: presenter.onHide },
          t('console.presenter.hide')) : null),
    !hidden && (q.explanation || (result && result.explanation))
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
      : h('ol.rq-list', { dataset: { testid: 'round-questions', keepScroll: 'questions' } }, list.map((q) => h('li.rq.' + q.state + (cur && cur.index === q.index ? '.current' : ''), {
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
        : h('ul.missing-list', { dataset: { testid: 'missing-list', keepScroll: 'missing' } },
          missing.map((m) => h('li', h('span', m.name), h('span.muted.small', m.unit)))));
}

/** The top places of the public leaderboard. */
export function topView(ctx) {
  const lb = ctx.snap.leaderboard;
  const all = lb && lb.top ? lb.top.slice(0, 10) : [];
  const top = all.some((e) => e.score !== 0 || e.correct > 0) ? all : [];
  // One number of decimals for the whole board: 83.00 beside 114.01, never 83 beside 114.01.
  const decimals = pointsDecimals(top.map((e) => e.score));
  return h('section.card.side-card', { 'aria-labelledby': 'top-h' },
    h('h2#top-h', t('console.run.top')),
    top.length === 0 ? h('p.muted', t('console.run.no_scores'))
      : h('table.data.compact.top-table', { dataset: { testid: 'top-table' } },
        h('tbody', top.map((e) => h('tr',
          h('td.num.rank', e.rank),
          h('td.who', { title: `${e.name} · ${e.unit}` }, h('div.ellip', e.name), h('div.muted.small.ellip', e.unit)),
          h('td.num.strong', { dataset: { testid: 'top-score' } }, formatPoints(e.score, decimals)),
          h('td.num.muted.small', e.answer_time_ms ? formatSeconds(e.answer_time_ms) : ''))))));
}

/**
 * Exam round: the joined participants whose paper is not handed in, most urgent first, each with the deadline of
 * their own paper (started_at + limit, clipped by the round window); one who has not opened the paper yet has the
 * window's end, or no deadline at all in an exam without a window. Derived from the participant list, which the
 * server keeps current with `participants_delta` (the same as the live round's "not answered"): no event carries
 * the whole list.
 */
export function pendingPapers(ctx, round) {
  const list = (ctx.snap && ctx.snap.participants) || [];
  const pending = [];
  for (const p of list) {
    if (!p.joined || p.exam_submitted_at != null) continue;
    const started = p.exam_started_at != null;
    const deadline = started ? p.exam_deadline : (round.ends_at ?? null);
    pending.push({ id: p.id, name: p.name, unit: p.unit, connected: p.connected, started, deadline });
  }
  const order = (x) => (x.deadline == null ? Infinity : x.deadline);
  pending.sort((a, b) => (a.started === b.started ? 0 : a.started ? -1 : 1) || order(a) - order(b) || a.id - b.id);
  return pending;
}

/** The time left of a pending paper, as its row shows it. */
export function pendingLeft(deadline, started, now) {
  if (deadline == null) return { text: t('console.run.exam_not_started'), cls: 'dim' };
  const ms = deadline - now;
  if (ms <= 0) return { text: t('console.run.exam_time_up'), cls: 'urgent' };
  return { text: formatClock(ms), cls: ms <= 60000 ? 'urgent' : started ? '' : 'dim' };
}

const PENDING_SHOWN = 500;

/** Who has not handed in the exam paper, with the time each one has left (updated by the run tab's clock). */
export function examPendingView(ctx, round) {
  const pending = pendingPapers(ctx, round);
  const now = ctx.serverNow();
  const shown = pending.slice(0, PENDING_SHOWN);
  return h('section.exam-pending', { 'aria-labelledby': 'pend-h', dataset: { testid: 'exam-pending' } },
    h('h3#pend-h', t('console.run.exam_pending'), ' ',
      h('span.muted', { dataset: { testid: 'exam-pending-count' } }, `(${pending.length})`)),
    pending.length === 0
      ? h('p.ok-text', (ctx.snap.joined_count || 0) === 0 ? t('console.run.nobody_joined') : t('console.run.exam_pending_none'))
      : h('ul.pending-list', { dataset: { testid: 'exam-pending-list', keepScroll: 'pending' } }, shown.map((p) => {
        const left = pendingLeft(p.deadline, p.started, now);
        return h('li', { dataset: { testid: 'exam-pending-row', pid: p.id } },
          h('span.who', h('span.name', p.name), h('span.muted.small', p.unit)),
          p.connected ? null : h('span.pill.small-pill', { title: t('console.run.exam_offline_hint') }, t('console.run.exam_offline')),
          h('span.left' + (left.cls ? '.' + left.cls : ''), {
            dataset: { testid: 'exam-pending-left', deadline: p.deadline ?? '', started: String(p.started) },
            title: p.started ? t('console.run.exam_left_hint') : t('console.run.exam_not_started_hint'),
          }, left.text));
      })),
    pending.length > shown.length ? h('p.muted.small', t('console.run.exam_pending_more', { n: pending.length - shown.length })) : null);
}

/** Refresh the time-left cells of the pending list (the run tab's clock calls this several times a second). */
export function tickPending(host, now) {
  for (const el of host.querySelectorAll('[data-testid="exam-pending-left"]')) {
    const deadline = el.dataset.deadline === '' ? null : Number(el.dataset.deadline);
    const left = pendingLeft(deadline, el.dataset.started === 'true', now);
    if (el.textContent !== left.text) el.textContent = left.text;
    const cls = 'left' + (left.cls ? ' ' + left.cls : '');
    if (el.className !== cls) el.className = cls;
  }
}

/** Run `redraw` (which rebuilds parts of `root`) keeping the scroll position of its lists marked data-keep-scroll. */
export function keepScroll(root, redraw) {
  const tops = new Map();
  for (const el of root.querySelectorAll('[data-keep-scroll]')) if (el.scrollTop) tops.set(el.dataset.keepScroll, el.scrollTop);
  redraw();
  for (const el of root.querySelectorAll('[data-keep-scroll]')) {
    const top = tops.get(el.dataset.keepScroll);
    if (top) el.scrollTop = top;
  }
}
