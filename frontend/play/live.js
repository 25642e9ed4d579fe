// The live-round screen: one question at a time, paced by the host. Answering goes through the outbox, so
// "answer received" is shown only once the server acknowledged the answer, and an answer given while the
// network is down is resent when it comes back. After the question closes: own result, the key, the
// distribution, the explanation and the own rank.

import { h } from '/shared/ui.js';
import { t, errorText } from '/shared/i18n.js';
import { answerKey, phoneOffline } from './outbox.js';
import { createCountdown } from './countdown.js';
import {
  typeBadge, stemView, choiceOptions, fillInputs, explanationView, answerText, pointsText, pointsBig, part,
} from './question.js';

/** Local choices not yet sent, per question (survive re-renders and language switches). */
const drafts = new Map();

/** Rejections after which the question cannot be answered any more. */
const FINAL = new Set(['answer_late', 'question_closed', 'already_answered', 'deadline_passed', 'round_not_running']);

export function liveScreen(app) {
  const first = app.state.question;
  const key = answerKey(first.round_id, first.index);
  const question = first.question;
  if (!drafts.has(key)) drafts.set(key, { selected: new Set(), blanks: Array(question.blank_count).fill('') });
  const draft = drafts.get(key);

  const countdown = createCountdown({ serverNow: app.serverNow });
  const stemId = `stem-${first.round_id}-${first.index}`;
  const metaEl = h('div.qmeta');
  const bodyEl = h('div.qbody');
  const actionEl = h('div.actions');
  const resultEl = h('div.result-area');
  const footEl = h('div.qfoot');
  const meta = part(metaEl);
  const body = part(bodyEl);
  const action = part(actionEl);
  const result = part(resultEl);
  const foot = part(footEl);

  const el = h('section.live', { 'data-testid': 'live', 'aria-labelledby': stemId },
    h('div.card.qcard', countdown.barEl, metaEl, stemView(question, { id: stemId }), bodyEl),
    actionEl, resultEl, footEl);

  const q = () => app.state.question;
  const totalMs = () => {
    const round = app.state.round;
    if (round && round.question_seconds) return round.question_seconds * 1000;
    const cur = q();
    return cur.deadline && cur.opened_at ? cur.deadline - cur.opened_at : 20000;
  };

  /** The answer as the server or the outbox knows it: {state, body, error} or null. */
  function answer() {
    const cur = q();
    if (cur.my_answer) return { state: 'saved', body: cur.my_answer };
    const st = app.outbox.status(key);
    if (st && (st.state === 'queued' || st.state === 'sending') && phoneOffline(app)) return { ...st, state: 'retrying' };
    return st;
  }

  function phase() {
    const cur = q();
    if (cur.state === 'open') {
      const grace = cur.grace_ms || 0;
      return typeof cur.deadline === 'number' && app.serverNow() > cur.deadline + grace ? 'timeup' : 'open';
    }
    return cur.state; // paused | closed | skipped
  }

  function canAnswer(ans) {
    if (phase() !== 'open') return false;
    if (!ans) return true;
    return ans.state === 'error' && !FINAL.has(ans.error && ans.error.code);
  }

  function send(payload) {
    const cur = q();
    app.outbox.put({ round_id: cur.round_id, index: cur.index, ...payload });
    update();
  }

  function pick(i) {
    if (!canAnswer(answer())) return;
    if (question.type === 'multiple') {
      if (draft.selected.has(i)) draft.selected.delete(i); else draft.selected.add(i);
      update();
      return;
    }
    draft.selected = new Set([i]);
    send({ choice: [i] });
  }

  function submitDraft() {
    if (question.type === 'fill') send({ blanks: draft.blanks.slice() });
    else if (draft.selected.size) send({ choice: [...draft.selected].sort((a, b) => a - b) });
  }

  function renderMeta(ph) {
    const cur = q();
    meta(`${ph}|${app.lang()}`, () => [
      h('span.qmeta-info',
        typeBadge(question.type),
        h('span.qindex', t('play.q_of', { n: cur.index + 1, total: cur.total })),
        question.points != null ? h('span.qpoints', pointsText(question.points)) : null),
      ph === 'closed' || ph === 'skipped' ? null : countdown.el,
    ]);
    const spec = { totalMs: totalMs() };
    if (ph === 'paused') spec.pausedMs = cur.remaining_ms || 0;
    else if (ph === 'open' || ph === 'timeup') spec.deadline = cur.deadline;
    countdown.set(spec);
    countdown.barEl.hidden = ph === 'closed' || ph === 'skipped';
  }

  function renderBody(ph, ans) {
    const cur = q();
    const closed = ph === 'closed';
    const keyAnswer = closed && cur.result ? cur.result.answer : null;
    const mine = ans && ans.body ? ans.body : null;
    const editable = canAnswer(ans);
    if (question.type === 'fill') {
      const values = mine && mine.blanks && !editable ? mine.blanks.slice() : draft.blanks;
      const sig = `fill|${ph}|${editable}|${!!keyAnswer}|${app.lang()}`;
      body(sig, () => fillInputs({
        question, values, disabled: !editable, idPrefix: `blank-${key}`,
        keys: keyAnswer ? keyAnswer.blanks : null,
        onInput: () => renderAction(phase(), answer()),
      }));
      return;
    }
    const selected = mine && mine.choice && !editable ? new Set(mine.choice) : draft.selected;
    const reveal = keyAnswer ? {
      correct: new Set(keyAnswer.choice || []),
      distribution: cur.result.distribution && cur.result.distribution.options,
      answered: cur.result.answered,
    } : null;
    const sig = `choice|${ph}|${editable}|${[...selected].join(',')}|${!!reveal}|${app.lang()}`;
    body(sig, () => choiceOptions({
      question, selected, disabled: !editable, reveal, onPick: pick, labelledBy: stemId,
    }));
  }

  function statusLine(ans) {
    if (!ans) return null;
    switch (ans.state) {
      case 'saved':
        return h('div.status.ok', { 'data-testid': 'answer-status', 'data-state': 'saved', role: 'status' },
          h('span', { 'data-testid': 'answer-received' }, t('play.received')));
      case 'queued':
      case 'sending':
        return h('div.status.busy', { 'data-testid': 'answer-status', 'data-state': 'sending', role: 'status' },
          h('span.spinner', { 'aria-hidden': 'true' }), t('play.sending'));
      case 'retrying':
        return h('div.status.warn', { 'data-testid': 'answer-status', 'data-state': 'retrying', role: 'status' },
          h('span.spinner', { 'aria-hidden': 'true' }),
          ans.error && ans.error.code === 'question_paused' ? t('play.retry_paused') : t('play.retrying'));
      case 'error':
        return h('div.status.bad', { 'data-testid': 'answer-status', 'data-state': 'error', role: 'alert' },
          errorText(ans.error));
      default:
        return null;
    }
  }

  function renderAction(ph, ans) {
    const editable = canAnswer(ans);
    const needsConfirm = question.type === 'multiple' || question.type === 'fill';
    const ready = question.type === 'fill'
      ? draft.blanks.some((b) => b.trim())
      : draft.selected.size > 0;
    const sig = `${ph}|${editable}|${ready}|${ans ? ans.state + (ans.error ? ans.error.code : '') : ''}|${app.lang()}`;
    action(sig, () => {
      const items = [];
      if (ph === 'paused') {
        items.push(h('div.status.paused', { 'data-testid': 'paused', role: 'status' },
          h('strong', t('play.paused')), ' ', t('play.paused_hint')));
      }
      if (ph === 'timeup' && !ans) items.push(h('div.status.muted', { role: 'status' }, t('play.time_up')));
      if (editable) {
        if (needsConfirm) {
          items.push(h('button.btn.primary.block.big', {
            type: 'button', 'data-testid': 'submit-answer', disabled: !ready || null, onclick: submitDraft,
          }, question.type === 'multiple'
            ? t('play.confirm_n', { n: draft.selected.size }) : t('play.submit')));
          items.push(h('p.hint', question.type === 'multiple' ? t('play.hint_multiple') : t('play.hint_fill')));
        } else if (!ans) {
          items.push(h('p.hint', t('play.hint_tap')));
        }
      }
      if (!(ans && ans.state === 'saved' && (ph === 'closed' || ph === 'skipped'))) items.push(statusLine(ans));
      return items;
    });
    actionEl.classList.toggle('sticky', editable && needsConfirm);
  }

  function renderResult(ph, ans) {
    const cur = q();
    const me = app.state.me || {};
    const mr = cur.my_result;
    const sig = `${ph}|${JSON.stringify(mr || null)}|${me.rank}|${me.score}|${rankTotal(me, app.state)}|${!!cur.result}|${app.lang()}`;
    result(sig, () => {
      if (ph === 'skipped') {
        return h('div.card.outcome.neutral', { 'data-testid': 'result', 'data-outcome': 'skipped' },
          h('div.outcome-title', t('play.skipped')), h('p.muted', t('play.wait_next')));
      }
      if (ph !== 'closed') return null;
      let outcome = 'pending';
      let title = t('play.scoring');
      if (mr) {
        if (!mr.answered) { outcome = 'none'; title = t('play.not_answered'); }
        else if (mr.correct) { outcome = 'correct'; title = t('play.correct'); }
        else if (mr.points > 0) { outcome = 'partial'; title = t('play.partial'); }
        else { outcome = 'wrong'; title = t('play.wrong'); }
      }
      const earned = mr ? (mr.points || 0) + (mr.bonus || 0) : null;
      const keyText = cur.result ? answerText(question, cur.result.answer) : '';
      return [
        h('div.card.outcome', { class: outcome, 'data-testid': 'result', 'data-outcome': outcome, role: 'status' },
          h('div.outcome-icon', { 'aria-hidden': 'true' },
            { correct: '✓', partial: '◐', wrong: '✗', none: '–', pending: '…' }[outcome]),
          h('div.outcome-main',
            h('div.outcome-title', title),
            mr && mr.answered ? h('div.outcome-points', { 'data-testid': 'points' },
              `+${pointsText(earned)}`,
              mr.bonus > 0 ? h('span.bonus', t('play.bonus', { n: pointsText(mr.bonus) })) : null) : null),
          keyText ? h('div.outcome-key', { 'data-testid': 'correct-answer' }, t('play.key_is', { text: keyText })) : null),
        rankCard(me, app.state),
        cur.result ? explanationView(cur.result.explanation, cur.result.source) : null,
        h('p.muted.center', t('play.wait_next')),
      ];
    });
  }

  function renderFoot(ph) {
    const cur = q();
    const sig = `${ph}|${cur.answered}|${cur.joined}|${app.lang()}`;
    foot(sig, () => (ph === 'open' || ph === 'timeup' || ph === 'paused') && cur.answered != null
      ? h('p.muted.center.small', t('play.answered_count', { n: cur.answered, total: cur.joined }))
      : null);
  }

  function update() {
    const ph = phase();
    const ans = answer();
    renderMeta(ph);
    renderBody(ph, ans);
    renderAction(ph, ans);
    renderResult(ph, ans);
    renderFoot(ph);
  }

  // Phase changes driven by the clock alone (time up) need a periodic check.
  const ticker = setInterval(update, 250);
  return {
    el,
    update,
    destroy() { countdown.stop(); clearInterval(ticker); },
  };
}

/**
 * What a rank is out of: the number of participants who joined (snapshot / lobby `joined_count`) when that
 * covers the rank, else the roster size (`me.of`, the leaderboard's `participants`).
 */
export function rankTotal(me, s) {
  const roster = (me && me.of) || (s && s.leaderboard && s.leaderboard.participants) || null;
  const joined = s ? s.joined_count : null;
  if (me && me.rank != null && typeof joined === 'number' && joined > 0 && joined >= me.rank) return joined;
  return roster;
}

/** Own rank and total score. */
export function rankCard(me, s) {
  if (!me || me.rank == null) return null;
  const of = rankTotal(me, s);
  return h('div.card.rank-card', { 'data-testid': 'rank' },
    h('div.rank-cell',
      h('div.rank-label', t('play.my_rank')),
      h('div.rank-value', { 'data-testid': 'rank-value' }, String(me.rank),
        of ? h('span.rank-of', ` / ${of}`) : null)),
    h('div.rank-cell',
      h('div.rank-label', t('play.total_score')),
      h('div.rank-value', { 'data-testid': 'score-value' }, pointsBig(me.score))),
    me.correct != null ? h('div.rank-cell',
      h('div.rank-label', t('play.correct_count')),
      h('div.rank-value', String(me.correct))) : null);
}
