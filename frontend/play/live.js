// The live-round screen: one question at a time, paced by the host. Answering goes through the outbox, so
// "answer received" is shown only once the server acknowledged the answer, and an answer given while the
// network is down is resent when it comes back. After the question closes the verdict comes first, at the top
// of the screen (a full-width green or red block with the points earned and the own rank), then the question
// with the key and the distribution, then the explanation.

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
  const hintEl = h('div.qhint');
  const bodyEl = h('div.qbody');
  const actionEl = h('div.actions');
  const resultEl = h('div.result-area');
  const detailEl = h('div.detail-area');
  const footEl = h('div.qfoot');
  const meta = part(metaEl);
  const hint = part(hintEl);
  const body = part(bodyEl);
  const action = part(actionEl);
  const result = part(resultEl);
  const detail = part(detailEl);
  const foot = part(footEl);
  let lastPhase = null;

  const el = h('section.live', { 'data-testid': 'live', 'aria-labelledby': stemId },
    resultEl,
    h('div.card.qcard', countdown.barEl, metaEl, stemView(question, { id: stemId }), hintEl, bodyEl),
    actionEl, detailEl, footEl);

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
    // The answer has left the phone: the options not picked are dimmed.
    const sent = !editable && !!(mine && mine.choice && mine.choice.length);
    const reveal = keyAnswer ? {
      correct: new Set(keyAnswer.choice || []),
      distribution: cur.result.distribution && cur.result.distribution.options,
      answered: cur.result.answered,
    } : null;
    const sig = `choice|${ph}|${editable}|${sent}|${[...selected].join(',')}|${!!reveal}|${app.lang()}`;
    body(sig, () => choiceOptions({
      question, selected, disabled: !editable, sent, reveal, onPick: pick, labelledBy: stemId,
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
    // The number picked is part of the signature: the confirm button says how many are picked.
    const picked = question.type === 'multiple' ? draft.selected.size : 0;
    const sig = `${ph}|${editable}|${ready}|${picked}|${ans ? ans.state + (ans.error ? ans.error.code : '') : ''}|${app.lang()}`;
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
        }
      }
      if (!(ans && ans.state === 'saved' && (ph === 'closed' || ph === 'skipped'))) items.push(statusLine(ans));
      return items;
    });
    actionEl.classList.toggle('sticky', editable && needsConfirm);
    // How to answer, between the stem and the options (the sticky bar at the bottom keeps only its button, so
    // that it covers as little of the options as possible on a small screen).
    let how = null;
    if (editable && needsConfirm) how = question.type === 'multiple' ? 'play.hint_multiple' : 'play.hint_fill';
    else if (editable && !ans) how = 'play.hint_tap';
    hint(`${how}|${app.lang()}`, () => (how ? h('p.hint.tight', t(how)) : null));
  }

  /** The verdict, first on the screen once the question has closed (or was skipped). */
  function renderResult(ph) {
    const cur = q();
    const me = app.state.me || {};
    const mr = cur.my_result;
    const sig = `${ph}|${JSON.stringify(mr || null)}|${me.rank}|${me.score}|${me.correct}|${rankTotal(me, app.state)}|${app.lang()}`;
    result(sig, () => {
      if (ph === 'skipped') return verdictView({ outcome: 'skipped', title: t('play.skipped') });
      if (ph !== 'closed') return null;
      let outcome = 'pending';
      let title = t('play.scoring');
      if (mr) {
        if (!mr.answered) { outcome = 'none'; title = t('play.not_answered'); }
        else if (mr.correct) { outcome = 'correct'; title = t('play.correct'); }
        else if (mr.points > 0) { outcome = 'partial'; title = t('play.partial'); }
        else { outcome = 'wrong'; title = t('play.wrong'); }
      }
      return verdictView({ outcome, title, mr, me: mr ? me : null, state: app.state });
    });
  }

  /** Below the question once it has closed: the key in words, the explanation. */
  function renderDetail(ph) {
    const cur = q();
    const sig = `${ph}|${!!cur.result}|${app.lang()}`;
    detail(sig, () => {
      if (ph === 'skipped') return h('p.muted.center', t('play.wait_next'));
      if (ph !== 'closed') return null;
      const keyText = cur.result ? answerText(question, cur.result.answer) : '';
      return [
        keyText ? h('div.card.key-line', { 'data-testid': 'correct-answer' }, t('play.key_is', { text: keyText })) : null,
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
    renderResult(ph);
    renderDetail(ph);
    renderFoot(ph);
    // The question just closed: the verdict at the top must be in sight, wherever the page was scrolled to.
    if (lastPhase && ph !== lastPhase && (ph === 'closed' || ph === 'skipped')) window.scrollTo(0, 0);
    lastPhase = ph;
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

/**
 * The verdict block: outcome (icon, title, points earned) and the own rank. Green when correct, red when wrong or
 * not answered, amber when partly correct, grey while scoring or when the question was skipped.
 */
function verdictView({ outcome, title, mr = null, me = null, state = null }) {
  const earned = mr ? (mr.points || 0) + (mr.bonus || 0) : null;
  const sign = earned != null && earned < 0 ? '−' : '+';
  return h('div.verdict', { class: outcome, 'data-testid': 'verdict', 'data-outcome': outcome, role: 'status' },
    h('div.verdict-head', { 'data-testid': 'result', 'data-outcome': outcome },
      h('div.verdict-icon', { 'aria-hidden': 'true' },
        { correct: '✓', partial: '◐', wrong: '✗', none: '–', pending: '…', skipped: '»' }[outcome]),
      h('div.verdict-main',
        h('div.verdict-title', title),
        mr ? h('div.verdict-points', { 'data-testid': 'points' },
          h('span.verdict-earned', `${sign}${pointsText(Math.abs(earned))}`),
          mr.bonus > 0 ? h('span.bonus', t('play.bonus', { n: pointsText(mr.bonus) })) : null) : null)),
    me ? rankCard(me, state, { strip: true }) : null);
}

/** Own rank and total score: a card, or a strip inside the verdict block. */
export function rankCard(me, s, { strip = false } = {}) {
  if (!me || me.rank == null) return null;
  const of = rankTotal(me, s);
  return h(strip ? 'div.rank-card.rank-strip' : 'div.card.rank-card', { 'data-testid': 'rank' },
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
