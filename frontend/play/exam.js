// The exam-round screen: the participant's own paper, answered at their own pace against a personal deadline.
// Every change is saved at once through the outbox (queued in localStorage while offline). Opening and handing in
// the paper go over the live socket while it is open, else over HTTP (calls.js). Marks for review
// and the current question are local and kept in localStorage, so a refresh lands on the same place.

import { h, store, formatClock } from '/shared/ui.js';
import { t, errorText } from '/shared/i18n.js';
import { answerKey, phoneOffline } from './outbox.js';
import { typeBadge, stemView, choiceOptions, fillInputs, pointsText, part } from './question.js';

/** Per round: local answers (index → {choice}|{blanks}), so re-renders and language switches keep them. */
const papers = new Map();

function hasAnswer(a) {
  if (!a) return false;
  if (a.choice) return a.choice.length > 0;
  if (a.blanks) return a.blanks.some((b) => b && b.trim());
  return false;
}

export function examScreen(app) {
  const roundId = app.state.round.id;
  const pid = app.session.participant_id;
  const localKey = `jingsai.play.exam.${pid}.${roundId}`;
  const local = store.get(localKey) || {};
  const marks = new Set(local.marks || []);
  let current = local.current || 0;
  let loadError = null;
  let confirming = false;
  let submitting = false;
  let submitError = null;

  const paperKey = `${pid}:${roundId}`;
  if (!papers.has(paperKey)) papers.set(paperKey, { answers: new Map(), seeded: false });
  const paper = papers.get(paperKey);

  const saveLocal = () => store.set(localKey, { marks: [...marks], current });
  const exam = () => (app.state.exam && app.state.exam.round_id === roundId && app.state.exam.started
    ? app.state.exam : null);

  /** Seed local answers from the server's saved answers, then from answers still waiting in the outbox. */
  function seed(view) {
    if (paper.seeded || !view || !view.started) return;
    paper.seeded = true;
    for (const a of view.answers || []) {
      const { index, ...rest } = a;
      paper.answers.set(index, rest);
      app.outbox.markSaved({ round_id: roundId, index, ...rest });
    }
    for (const body of app.outbox.pending(roundId)) {
      const { round_id: _r, index, ...rest } = body;
      paper.answers.set(index, rest);
    }
  }

  async function start() {
    try {
      const view = await app.calls.examStart();
      loadError = null;
      if (app.state) app.state.exam = view;
      seed(view);
      app.outbox.flush();
    } catch (err) {
      if (err.status === 401) return;
      loadError = err;
      if (err.status === 0 || err.status === 429 || err.status >= 500) setTimeout(start, 2000);
    }
    update();
  }

  const topEl = h('div.exam-top');
  const qBodyEl = h('div');
  const saveEl = h('div.save-line');
  const qEl = h('div.card.qcard', qBodyEl, saveEl);
  const navEl = h('div.exam-nav');
  const gridEl = h('div.card.answer-sheet');
  const bottomEl = h('div.exam-bottom');
  const top = part(topEl);
  const qpart = part(qBodyEl);
  const savePart = part(saveEl);
  const nav = part(navEl);
  const grid = part(gridEl);
  const bottom = part(bottomEl);
  const timerText = h('span.exam-timer-value');
  const timer = h('div.exam-timer', { 'data-testid': 'exam-timer', role: 'timer' },
    h('span.exam-timer-label', ''), timerText);
  const dialog = buildDialog();
  const el = h('section.exam', { 'data-testid': 'exam' }, topEl, qEl, navEl, gridEl, bottomEl, dialog.el);

  function remaining() {
    const view = exam();
    return view ? Math.max(0, view.deadline - app.serverNow()) : 0;
  }
  const timeUp = () => !!exam() && remaining() <= 0;
  const submitted = () => !!(exam() && exam().submitted_at);
  const locked = () => submitted() || timeUp() || submitting;
  const questions = () => (exam() ? exam().questions : []);
  const unansweredList = () => questions().filter((q) => !hasAnswer(paper.answers.get(q.index))).map((q) => q.index);
  const unanswered = () => unansweredList().length;

  function saveState(index) {
    const st = app.outbox.status(answerKey(roundId, index));
    if (st) {
      if (st.state === 'queued' || st.state === 'sending') return phoneOffline(app) ? 'retrying' : 'sending';
      return st.state;
    }
    return hasAnswer(paper.answers.get(index)) ? 'saved' : null;
  }

  function change(index, answer, { delay = 0 } = {}) {
    if (locked()) return;
    if (answer.choice && answer.choice.length === 0) {
      paper.answers.delete(index);
    } else {
      paper.answers.set(index, answer);
      app.outbox.put({ round_id: roundId, index, ...answer }, { delay });
    }
    update();
  }

  function go(index) {
    const n = questions().length;
    if (!n) return;
    current = Math.max(0, Math.min(n - 1, index));
    saveLocal();
    update();
    qEl.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }

  function toggleMark() {
    if (marks.has(current)) marks.delete(current); else marks.add(current);
    saveLocal();
    update();
  }

  function renderTop() {
    const view = exam();
    const n = questions().length;
    const done = n - unanswered();
    top(`${!!view}|${done}|${n}|${app.lang()}`, () => view ? [
      h('div.exam-title', app.state.round.title || t('play.exam')),
      h('div.exam-progress', t('play.exam_progress', { done, total: n })),
      timer,
    ] : null);
    timer.hidden = submitted();
    timer.firstChild.textContent = t('play.time_left');
    const left = remaining();
    timerText.textContent = formatClock(left);
    timer.classList.toggle('urgent', !!view && left < 60000);
  }

  function saveLine(index, q) {
    const st = saveState(index);
    const a = paper.answers.get(index);
    if (q.type === 'multiple' && !a && app.outbox.status(answerKey(roundId, index))) {
      return h('div.status.warn', { 'data-testid': 'exam-save-status', 'data-state': 'empty' }, t('play.multi_empty'));
    }
    const map = {
      saved: ['ok', t('play.saved')],
      sending: ['busy', t('play.saving')],
      retrying: ['warn', t('play.retrying')],
      error: ['bad', null],
    };
    if (!st || !map[st]) {
      return h('div.status.muted', { 'data-testid': 'exam-save-status', 'data-state': 'none' }, t('play.not_answered_yet'));
    }
    const [cls, text] = map[st];
    const err = st === 'error' ? app.outbox.status(answerKey(roundId, index)).error : null;
    return h('div.status', { class: cls, 'data-testid': 'exam-save-status', 'data-state': st, role: 'status' },
      st === 'sending' || st === 'retrying' ? h('span.spinner', { 'aria-hidden': 'true' }) : null,
      text || errorText(err));
  }

  function renderQuestion() {
    const view = exam();
    if (!view || submitted()) savePart('none', () => null);
    if (!view) {
      qpart(`loading|${loadError && loadError.code}|${app.lang()}`, () => loadError && !(loadError.status === 0)
        ? h('div.alert', { role: 'alert', 'data-testid': 'exam-error' },
          loadError.code === 'deadline_passed' ? t('play.exam_closed') : errorText(loadError))
        : h('div.loading', h('span.spinner', { 'aria-hidden': 'true' }), t('play.opening_paper')));
      return;
    }
    if (submitted()) {
      qpart(`submitted|${view.auto_submitted}|${app.lang()}`, () => h('div.submitted', { 'data-testid': 'exam-submitted' },
        h('div.big-icon', { 'aria-hidden': 'true' }, '✓'),
        h('h2', view.auto_submitted ? t('play.auto_submitted') : t('play.submitted')),
        h('p', t('play.submitted_count', { done: questions().length - unanswered(), total: questions().length })),
        h('p.muted', t('play.results_after_round'))));
      return;
    }
    const item = view.questions[current] || view.questions[0];
    if (!item) return;
    const q = item.question;
    const index = item.index;
    const a = paper.answers.get(index);
    const lock = locked();
    const st = saveState(index);
    const choiceSig = a && a.choice ? a.choice.join(',') : '';
    const errCode = st === 'error' ? app.outbox.status(answerKey(roundId, index)).error?.code : '';
    const sig = `${index}|${lock}|${choiceSig}|${marks.has(index)}|${app.lang()}`;
    savePart(`${index}|${st}|${errCode}|${!!a}|${app.lang()}`, () => saveLine(index, q));
    const stemId = `exam-stem-${index}`;
    qpart(sig, () => {
      let body;
      if (q.type === 'fill') {
        const values = a && a.blanks ? a.blanks.slice() : Array(q.blank_count).fill('');
        body = fillInputs({
          question: q, values, disabled: lock, idPrefix: `exam-${roundId}-${index}`,
          onInput: (vals) => change(index, { blanks: vals.slice() }, { delay: 700 }),
        });
        body.addEventListener('focusout', () => app.outbox.flush());
      } else {
        const selected = new Set(a && a.choice ? a.choice : []);
        body = choiceOptions({
          question: q, selected, disabled: lock, labelledBy: stemId,
          onPick: (i) => {
            if (q.type === 'multiple') {
              if (selected.has(i)) selected.delete(i); else selected.add(i);
              change(index, { choice: [...selected].sort((x, y) => x - y) });
            } else {
              change(index, { choice: [i] });
            }
          },
        });
      }
      return [
        h('div.qmeta',
          h('span.qmeta-info',
            typeBadge(q.type),
            h('span.qindex', t('play.q_n', { n: index + 1 })),
            q.points != null ? h('span.qpoints', pointsText(q.points)) : null),
          h('button.btn.ghost.mark-btn', {
            type: 'button', 'data-testid': 'exam-mark', 'aria-pressed': String(marks.has(index)),
            onclick: toggleMark,
          }, h('span', { 'aria-hidden': 'true' }, marks.has(index) ? '★' : '☆'), t('play.mark'))),
        stemView(q, { id: stemId }),
        q.type === 'multiple' ? h('p.hint.tight', t('play.hint_multiple_exam')) : null,
        body,
      ];
    });
  }

  function renderNav() {
    const view = exam();
    const n = questions().length;
    nav(`${!!view && !submitted()}|${current}|${n}|${app.lang()}`, () => (!view || submitted()) ? null : [
      h('button.btn.block', {
        type: 'button', 'data-testid': 'exam-prev', disabled: current <= 0 || null, onclick: () => go(current - 1),
      }, t('play.prev')),
      h('button.btn.block', {
        type: 'button', 'data-testid': 'exam-next', disabled: current >= n - 1 || null, onclick: () => go(current + 1),
      }, t('play.next')),
    ]);
  }

  function renderGrid() {
    const view = exam();
    if (!view || submitted()) { grid('none', () => null); gridEl.hidden = true; return; }
    gridEl.hidden = false;
    const states = questions().map((q) => {
      const a = hasAnswer(paper.answers.get(q.index));
      const st = saveState(q.index);
      return `${a ? 'a' : 'u'}${marks.has(q.index) ? 'm' : ''}${st === 'sending' || st === 'retrying' ? 'p' : ''}${st === 'error' ? 'e' : ''}`;
    });
    grid(`${states.join(',')}|${current}|${app.lang()}`, () => [
      h('div.sheet-head', h('h2.sheet-title', t('play.answer_sheet')),
        h('div.legend',
          h('span.lg.answered', t('play.lg_answered')),
          h('span.lg.unanswered', t('play.lg_unanswered')),
          h('span.lg.marked', t('play.lg_marked')))),
      h('div.sheet-grid', { role: 'list' }, questions().map((q, i) => {
        const s = states[i];
        const answered = s.includes('a');
        const marked = s.includes('m');
        const label = [
          t('play.q_n', { n: q.index + 1 }),
          answered ? t('play.lg_answered') : t('play.lg_unanswered'),
          marked ? t('play.lg_marked') : '',
          s.includes('p') ? t('play.saving') : '',
        ].filter(Boolean).join('，');
        return h('div', { role: 'listitem' }, h('button.sheet-item', {
          type: 'button',
          class: [answered ? 'answered' : 'unanswered', marked && 'marked', q.index === current && 'current',
            s.includes('p') && 'pending', s.includes('e') && 'failed'].filter(Boolean).join(' '),
          'data-testid': 'exam-nav-item',
          'data-index': String(q.index),
          'data-state': answered ? 'answered' : 'unanswered',
          'data-marked': String(marked),
          'aria-current': q.index === current ? 'true' : null,
          'aria-label': label,
          onclick: () => go(q.index),
        }, String(q.index + 1)));
      })),
    ]);
  }

  function renderBottom() {
    const view = exam();
    const sig = `${!!view}|${submitted()}|${timeUp()}|${submitting}|${submitError && submitError.code}|${app.lang()}`;
    bottom(sig, () => {
      if (!view || submitted()) return null;
      if (timeUp()) {
        return h('div.status.warn', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), t('play.exam_time_up'));
      }
      return [
        submitError ? h('div.alert', { role: 'alert', 'data-testid': 'exam-submit-error' }, submitError.message || errorText(submitError)) : null,
        h('button.btn.primary.block.big', {
          type: 'button', 'data-testid': 'exam-submit', disabled: submitting || null, onclick: askSubmit,
        }, submitting ? t('play.submitting') : t('play.submit_paper')),
      ];
    });
  }

  function buildDialog() {
    const text = h('p.dialog-text', { 'data-testid': 'exam-confirm-text', id: 'exam-confirm-text' });
    // Which questions are unanswered: one button each, going to that question.
    const missing = h('div.unanswered-list', { 'data-testid': 'exam-confirm-unanswered' });
    const title = h('h2#exam-confirm-title', '');
    const cancel = h('button.btn', { type: 'button', 'data-testid': 'exam-cancel-submit', onclick: () => close() }, '');
    const ok = h('button.btn.primary', { type: 'button', 'data-testid': 'exam-confirm-submit', onclick: () => { close(); doSubmit(); } }, '');
    const d = h('dialog.confirm', {
      'data-testid': 'exam-confirm-dialog', 'aria-labelledby': 'exam-confirm-title', 'aria-describedby': 'exam-confirm-text',
    }, title, text, missing, h('p.muted.small', ''), h('div.dialog-actions', cancel, ok));
    d.addEventListener('close', () => { confirming = false; });
    function close() { if (d.open) d.close(); confirming = false; }
    return {
      el: d,
      open() {
        const list = unansweredList();
        const n = list.length;
        title.textContent = t('play.confirm_submit_title');
        text.textContent = n > 0 ? t('play.confirm_unanswered', { n }) : t('play.confirm_all_answered');
        text.classList.toggle('warn-text', n > 0);
        missing.hidden = n === 0;
        missing.replaceChildren(...(n > 0 ? [
          h('span.unanswered-label', t('play.unanswered_are')),
          ...list.map((index) => h('button.btn.unanswered-item', {
            type: 'button', 'data-testid': 'exam-confirm-goto', 'data-index': String(index),
            'aria-label': t('play.go_to_q', { n: index + 1 }),
            onclick: () => { close(); go(index); },
          }, String(index + 1))),
          h('span.unanswered-hint.muted', t('play.tap_to_go')),
        ] : []));
        d.querySelector('p.muted').textContent = t('play.confirm_final');
        cancel.textContent = t('play.cancel');
        ok.textContent = t('play.confirm_submit');
        confirming = true;
        d.showModal();
        cancel.focus();
      },
    };
  }

  function askSubmit() {
    submitError = null;
    dialog.open();
  }

  async function doSubmit() {
    submitting = true;
    submitError = null;
    update();
    // Answers still on their way must reach the server before the paper is closed.
    app.outbox.flush();
    const until = Date.now() + 8000;
    while (app.outbox.hasPending(roundId) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    if (app.outbox.hasPending(roundId)) {
      submitting = false;
      submitError = { message: t('play.submit_unsaved') };
      update();
      return;
    }
    try {
      const view = await app.calls.examSubmit();
      if (app.state) app.state.exam = view;
    } catch (err) {
      submitError = err;
    }
    submitting = false;
    app.render();
  }

  function update() {
    if (!app.state || !app.state.round || app.state.round.id !== roundId) return;
    seed(exam());
    renderTop();
    renderQuestion();
    renderNav();
    renderGrid();
    renderBottom();
  }

  // The clock, and connection changes that arrive without an event (the phone going offline), need a tick.
  const ticker = setInterval(update, 250);
  start();
  return {
    el,
    update,
    destroy() { clearInterval(ticker); if (dialog.el.open) dialog.el.close(); },
    busy: () => confirming,
  };
}
