// The phone in a stage round (compulsory, buzzer, wager and tie-break rounds): the own team and its score at the top, then what the team
// has to do now (buzz, answer, wait for its turn), who holds the floor with the answer time, the question, and
// after it closed the verdict and the key; the team standings below. In buzzer kinds a big buzz button is docked
// at the bottom of the screen, within reach of one thumb. Everything is drawn from the state (snapshot + frames),
// so a phone that reconnects shows the same; the own buzz's reply (buzz_ack) only shows a little sooner.

import { h, formatPoints, pointsDecimals } from '/shared/ui.js';
import { t, errorText } from '/shared/i18n.js';
import {
  isBuzzKind, teamUnit, teamActive, standingsOf, eliminationOf, questionSettings, buzzOrder, teamBuzzStatus, inQuestion,
} from '/shared/stage-state.js';
import { answerKey, phoneOffline } from './outbox.js';
import { createCountdown } from './countdown.js';
import { typeBadge, stemView, choiceOptions, fillInputs, explanationView, answerText, part } from './question.js';

/** The reply to the own buzz, per question (survives re-renders and language switches). */
const buzzes = new Map();
/** Local choices of a device answer not yet sent, per question. */
const drafts = new Map();
/** Answer rejections after which this phone cannot answer the question any more. */
const FINAL = new Set(['not_floor_holder', 'nobody_holds_floor', 'answer_aloud', 'captain_only', 'already_answered',
  'question_closed', 'round_not_running', 'answer_late']);

/** Ledger reasons of a question's verdicts, by kind. */
const VERDICT_REASONS = ['buzzer_right', 'buzzer_wrong', 'buzzer_late', 'compulsory_right', 'compulsory_wrong',
  'wager_right', 'wager_wrong'];

export function stageScreen(app) {
  const countdown = createCountdown({ serverNow: app.serverNow });
  const teamEl = h('div');
  const bannerEl = h('div');
  const mineEl = h('div');
  const floorEl = h('div');
  const resultEl = h('div.stage-stack');
  const questionEl = h('div');
  const judgedEl = h('div');
  const extraEl = h('div.stage-stack');
  const standingsEl = h('div');
  const dockEl = h('div.buzz-dock-slot');
  const parts = {
    team: part(teamEl), banner: part(bannerEl), mine: part(mineEl), floor: part(floorEl), result: part(resultEl),
    question: part(questionEl), judged: part(judgedEl), extra: part(extraEl), standings: part(standingsEl),
    dock: part(dockEl),
  };
  const el = h('section.stage', { 'data-testid': 'stage' },
    teamEl, bannerEl, mineEl, resultEl, floorEl, questionEl, judgedEl, extraEl, standingsEl, dockEl);
  let lastPhase = null;

  // ------------------------------------------------------------------------------------------ derived state

  function view() {
    const s = app.state;
    const round = s.round;
    // Once the round is over, its summary (the cut, the standings) replaces its last question.
    const q = round && round.state === 'running' && s.question && s.question.round_id === round.id ? s.question : null;
    const b = q && s.buzzer && s.buzzer.round_id === q.round_id && s.buzzer.index === q.index ? s.buzzer : null;
    const team = s.me ? s.me.team : null;
    const stage = s.stage;
    const kind = round ? round.kind : null;
    const settings = questionSettings(b, round);
    const decimals = pointsDecimals([
      ...standingsOf(stage, s.leaderboard).map((r) => r.total),
      ...((stage && stage.ledger) || []).map((e) => e.delta),
    ]);
    const running = round && round.state === 'running';
    const phase = !running ? 'ended' : !q ? 'ready' : q.state === 'closed' ? 'closed' : q.state === 'skipped' ? 'skipped'
      : (b && b.phase) || 'opened';
    return { s, round, q, b, team, stage, kind, settings, decimals, phase, running };
  }

  const pts = (v, d) => `${formatPoints(v, d)} ${t('unit.points')}`;
  const signed = (v, d) => `${v < 0 ? '−' : '+'}${formatPoints(Math.abs(v), d)}`;
  const unitOf = (v, id) => teamUnit(v.stage, id) || t('stage.team_n', { n: id });

  /** The ledger entries a question made for a team (`reasons`: only these). */
  function entriesFor(v, team, reasons = null) {
    if (!v.q) return [];
    return ((v.stage && v.stage.ledger) || []).filter((e) => e.team === team && e.round_id === v.q.round_id
      && e.index === v.q.index && (!reasons || reasons.includes(e.reason)));
  }

  /** The team plays the current question (a 加赛 question is for the tied teams only); before one, the 加赛's teams. */
  function contends(v, team) {
    if (v.b) return inQuestion(v.b, team);
    if (v.kind !== 'tiebreak') return true;
    const tb = v.stage && v.stage.tiebreak;
    const contenders = tb ? (tb.remaining && tb.remaining.length ? tb.remaining : tb.teams) : null;
    return !contenders || contenders.includes(team);
  }

  /** In 必答 by seat order, the member who answers this question (else null: any member). */
  function designated(v) {
    const turn = v.stage && v.stage.turn;
    return v.kind === 'compulsory' && turn && v.q && turn.index === v.q.index && turn.member ? turn.member : null;
  }

  function eliminated(v) {
    return v.team != null && !teamActive(v.stage, v.team);
  }

  // ------------------------------------------------------------------------------------------ sections

  function renderTeam(v) {
    const rows = standingsOf(v.stage, v.s.leaderboard);
    const mine = rows.find((r) => r.team === v.team);
    const out = eliminated(v);
    const sig = JSON.stringify([v.team, mine, rows.length, out, v.decimals, app.lang()]);
    parts.team(sig, () => {
      if (v.team == null) {
        return h('div.card.stage-team.none', { 'data-testid': 'stage-team', 'data-team': '' },
          h('div.stage-team-unit', (v.s.me && v.s.me.unit) || ''),
          h('p.stage-team-note', t('stage.no_team')));
      }
      return h('div.card.stage-team', { 'data-testid': 'stage-team', 'data-team': String(v.team), class: out ? 'out' : '' },
        h('div.stage-team-main',
          h('div.stage-team-label', t('stage.my_team')),
          h('div.stage-team-unit', { 'data-testid': 'stage-team-unit' }, unitOf(v, v.team))),
        h('div.stage-team-cell',
          h('div.stage-team-label', t('stage.team_score')),
          h('div.stage-team-score', { 'data-testid': 'stage-team-score' }, mine ? formatPoints(mine.total, v.decimals) : '–')),
        h('div.stage-team-cell',
          h('div.stage-team-label', t('stage.team_place')),
          h('div.stage-team-place', { 'data-testid': 'stage-team-place' },
            mine ? String(mine.place) : '–', h('span.rank-of', ` / ${rows.length || '–'}`))));
    });
  }

  /** The headline of the moment, with the clock of the buzz window or of the answer time. */
  function renderBanner(v) {
    const { phase, b, kind, settings } = v;
    let key = null;
    let tone = 'calm';
    let clock = null;
    let total = 0;
    // A team outside the question (not in the 加赛, or eliminated) follows it calmly.
    const watching = isBuzzKind(kind) && v.team != null && (eliminated(v) || !contends(v, v.team));
    const watchKey = kind === 'tiebreak' ? 'stage.tiebreak_running' : 'stage.watching';
    if (phase === 'ended') key = 'stage.round_over';
    else if (phase === 'ready') key = kind === 'wager' ? 'stage.wager_picking' : 'stage.get_ready';
    else if (phase === 'opened') { key = watching ? watchKey : isBuzzKind(kind) ? 'stage.buzz_listen' : 'stage.listen_turn'; tone = 'wait'; }
    else if (phase === 'armed') {
      key = watching ? watchKey : 'stage.buzz_armed'; tone = watching ? 'calm' : 'go';
      clock = b.window_deadline; total = (settings.buzz_window_seconds || 10) * 1000;
    } else if (phase === 'answering') {
      key = b.floor != null ? 'stage.answering' : 'stage.judging'; tone = 'floor';
      if (b.floor != null) { clock = b.floor_deadline; total = (settings.answer_seconds || 10) * 1000; }
    } else if (phase === 'closed') key = 'stage.closed';
    else if (phase === 'skipped') key = 'stage.skipped';
    const rules = phase === 'ready' || phase === 'opened' ? rulesText(v) : '';
    const roundTitle = v.round ? v.round.title : '';
    const qText = v.q ? t('play.q_of', { n: v.q.index + 1, total: v.q.total }) : '';
    let title = t(key);
    if (phase === 'answering' && b.floor != null) {
      title = b.floor === v.team ? t('stage.answering_ours') : t('stage.answering_team', { unit: unitOf(v, b.floor) });
    }
    const sig = `${key}|${title}|${tone}|${clock}|${roundTitle}|${qText}|${rules}|${app.lang()}`;
    parts.banner(sig, () => h('div.stage-phase', { 'data-testid': 'stage-phase', 'data-phase': phase, class: tone },
      h('div.stage-phase-text',
        h('div.stage-phase-kicker', [roundTitle.includes(t(`stage.kind.${kind}`)) ? null : t(`stage.kind.${kind}`), roundTitle, qText]
          .filter(Boolean).join(' · ')),
        h('div.stage-phase-title', title),
        rules ? h('div.stage-phase-rules', { 'data-testid': 'stage-rules' }, rules) : null),
      clock != null ? countdown.el : null));
    if (clock != null) countdown.set({ deadline: clock, totalMs: total });
  }

  /** The scoring of the round in one line, from its settings. */
  function rulesText(v) {
    const st = v.settings;
    const n = (x, d) => formatPoints(x ?? d, v.decimals);
    switch (v.kind) {
      case 'buzzer':
        return t('stage.buzz_rules', { right: n(st.points, 10), wrong: n(st.wrong_penalty, 10), late: n(st.late_penalty, 10), foul: n(st.foul_penalty, 10) });
      case 'compulsory':
        return t('stage.rules_compulsory', { right: n(st.points, 10), wrong: n(st.wrong_penalty, 0) });
      case 'wager':
        return t('stage.wager_rule');
      case 'tiebreak':
        return t('stage.tiebreak_buzz_rule');
      default:
        return '';
    }
  }

  /** What concerns the own team now: the buzz result, whose turn it is, the team's answer and verdict. */
  function renderMine(v) {
    const { b, team, kind, phase } = v;
    let node = null;
    let sig = `${phase}|${app.lang()}`;
    if (team != null && kind === 'compulsory' && phase === 'ready' && v.stage && v.stage.turn) {
      // Before the first question of a 必答 round: whose turn it will be.
      const turn = v.stage.turn;
      sig += JSON.stringify(['next', turn, team]);
      node = h('div.stage-turn', { 'data-testid': 'stage-turn', 'data-ours': String(turn.team === team), class: turn.team === team ? 'ours' : '' },
        h('div.stage-turn-title', turn.team === team ? t('stage.our_turn_next') : t('stage.their_turn_next', { unit: unitOf(v, turn.team) })),
        turn.member ? h('p.stage-turn-member', t(turn.team === team ? 'stage.member_answers_ours' : 'stage.member_answers', { name: turn.member.name })) : null);
    } else if (team == null || !v.q || phase === 'closed' || phase === 'skipped') {
      sig += '|none';
    } else if (eliminated(v)) {
      sig += '|out';
    } else if (isBuzzKind(kind)) {
      const st = teamBuzzStatus(b, team);
      const mineAck = buzzes.get(answerKey(v.q.round_id, v.q.index));
      const foul = entriesFor(v, team, ['foul'])[0];
      const place = st.buzz ? (buzzOrder(b.order).find((x) => x.seq === st.buzz.seq) || {}).place : null;
      sig += JSON.stringify([st.status, st.position, place, st.buzz && st.buzz.name, foul && foul.delta,
        mineAck && mineAck.state, mineAck && mineAck.reply && mineAck.reply.result, mineAck && mineAck.reply && mineAck.reply.code,
        contends(v, team), v.decimals, v.kind === 'tiebreak' && v.stage && v.stage.tiebreak && v.stage.tiebreak.placings]);
      node = buzzResult(v, st, mineAck, foul, place);
    } else if (b && b.floor != null) {
      const turn = v.stage && v.stage.turn;
      const pick = kind === 'wager' ? wagerPickOf(v, b.floor) : null;
      sig += JSON.stringify([b.floor, team, turn && turn.member, pick, v.decimals, v.settings.answer_by]);
      node = turnNotice(v, b.floor, turn, pick);
    }
    parts.mine(sig, () => node);
  }

  function buzzResult(v, st, mineAck, foul, place) {
    const { b, team, settings } = v;
    const penalty = foul ? foul.delta : -(settings.foul_penalty ?? 10);
    const box = (result, title, text) => h('div.buzz-result', { 'data-testid': 'buzz-result', 'data-result': result, class: result, role: 'status' },
      h('div.buzz-result-title', title), text ? h('p.buzz-result-text', text) : null);
    const by = (x) => (x && x.name ? t('stage.pressed_by', { name: x.name }) : '');
    switch (st.status) {
      case 'won':
        return box('floor', t('stage.we_won'), null);
      case 'floor':
        return box('floor', t('stage.buzz_got_floor'), [by(st.buzz), t(settings.answer_by === 'device' ? 'stage.answer_below' : 'stage.answer_aloud')].filter(Boolean).join(' '));
      case 'queued':
        return box('queued', t('stage.place_n', { n: place || st.position + 1 }), [by(st.buzz), t('stage.buzz_queued_hint')].filter(Boolean).join(' '));
      case 'judging':
        return box('queued', t('stage.place_n', { n: place || 1 }), by(st.buzz));
      case 'fouled':
        return box('foul', t('stage.buzz_foul_title', { points: signed(penalty, v.decimals) }),
          [by(st.buzz), t('stage.buzz_foul_text', { points: formatPoints(Math.abs(penalty), v.decimals) })].filter(Boolean).join(' '));
      case 'answered':
        return null; // the team's judgement says it (renderJudged)
      case 'ineligible':
        return v.kind === 'tiebreak' ? tiebreakBox(v, box) : box('none', t('stage.buzz_not_eligible'), null);
      default:
        break;
    }
    if (!contends(v, team)) return v.kind === 'tiebreak' ? tiebreakBox(v, box) : box('none', t('stage.buzz_not_eligible'), null);
    if (mineAck && mineAck.state === 'error') {
      return box('error', t('stage.buzz_refused'), errorText(mineAck.error));
    }
    if (mineAck && mineAck.state === 'ack') {
      // The reply came before the broadcast that puts it in the state.
      const r = mineAck.reply;
      if (r.result === 'floor') return box('floor', t('stage.buzz_got_floor'), null);
      if (r.result === 'foul') return box('foul', t('stage.buzz_foul_title', { points: signed(penalty, v.decimals) }), t('stage.buzz_foul_text', { points: formatPoints(Math.abs(penalty), v.decimals) }));
      return box('queued', t('stage.place_n', { n: (r.position || 0) + 1 }), t('stage.buzz_queued_hint'));
    }
    return null;
  }

  /** A team outside the 加赛 question: placed by it already, or not in it at all. */
  function tiebreakBox(v, box) {
    const tb = v.stage && v.stage.tiebreak;
    const placed = tb && (tb.placings || []).find((p) => p.team === v.team);
    if (placed) return box('none', t('stage.tiebreak_placed', { n: placed.place }), t('stage.tiebreak_goes_on'));
    return box('none', t('stage.tiebreak_running'), t('stage.tiebreak_watch'));
  }

  function wagerPickOf(v, team) {
    const w = v.stage && v.stage.wager;
    const pick = w && (w.picks || []).find((p) => p.team === team);
    return pick ? pick.points : null;
  }

  function turnNotice(v, floor, turn, pick) {
    const ours = floor === v.team;
    const member = turn && turn.team === floor && turn.member ? turn.member : null;
    const me = member && v.s.me && member.participant_id === v.s.me.id;
    let memberText = null;
    if (me) memberText = t('stage.member_is_me');
    else if (member) memberText = t(ours ? 'stage.member_answers_ours' : 'stage.member_answers', { name: member.name });
    const answers = ours && (!member || me);
    return h('div.stage-turn', { 'data-testid': 'stage-turn', 'data-ours': String(ours), class: ours ? 'ours' : '' },
      h('div.stage-turn-title', ours ? t('stage.our_turn') : t('stage.their_turn', { unit: unitOf(v, floor) })),
      memberText ? h('p.stage-turn-member', { 'data-testid': 'stage-turn-member' }, memberText) : null,
      pick != null ? h('p.stage-turn-pick', { 'data-testid': 'stage-wager-value' },
        t(ours ? 'stage.our_wager' : 'stage.their_wager', { points: formatPoints(pick, v.decimals) })) : null,
      answers ? h('p.stage-turn-how', t(v.settings.answer_by === 'device' ? 'stage.answer_below' : 'stage.answer_aloud')) : null);
  }

  /** Who holds the floor (buzzer kinds), with the order of buzzes. */
  function renderFloor(v) {
    const { b, kind } = v;
    if (!b || !isBuzzKind(kind) || !v.q) { parts.floor('none', () => null); return; }
    const order = buzzOrder(b.order);
    const sig = JSON.stringify([b.phase, b.floor, order.map((x) => [x.seq, x.foul]), v.team, b.queue, app.lang()]);
    parts.floor(sig, () => {
      if (!order.length && b.floor == null) return null;
      const floorBuzz = order.find((x) => x.team === b.floor && !x.foul);
      return h('div.card.stage-floor', { 'data-testid': 'stage-floor', 'data-team': b.floor == null ? '' : String(b.floor) },
        b.floor == null ? h('div.stage-section-title', t('stage.buzz_order')) : null,
        b.floor != null ? h('div.stage-floor-head',
          h('span.stage-floor-label', t('stage.floor_is')),
          h('strong.stage-floor-unit', b.floor === v.team ? t('stage.our_team_is', { unit: unitOf(v, b.floor) }) : unitOf(v, b.floor)),
          floorBuzz && floorBuzz.name ? h('span.stage-floor-name', floorBuzz.name) : null) : null,
        order.length ? h('ol.stage-order', { 'data-testid': 'stage-buzz-order' }, order.map((x) => h('li', {
          class: [x.foul ? 'foul' : '', x.team === v.team ? 'mine' : ''].join(' '), 'data-team': String(x.team),
        },
        h('span.stage-order-place', x.foul ? t('stage.foul_short') : String(x.place)),
        h('span.stage-order-unit', x.unit || unitOf(v, x.team)),
        h('span.stage-order-name', x.name || ''),
        h('span.stage-order-gap', x.foul ? '' : x.place === 1 ? t('stage.first') : t('stage.after_ms', { ms: x.after_ms }))))) : null);
    });
  }

  /** The question; with answer_by device, the floor holder's members answer on it. */
  function renderQuestion(v) {
    if (!v.q) { parts.question('none', () => null); return; }
    const q = v.q;
    const question = q.question;
    const key = answerKey(q.round_id, q.index);
    if (!drafts.has(key)) drafts.set(key, { selected: new Set(), blanks: Array(question.blank_count).fill('') });
    const draft = drafts.get(key);
    const ans = answerState(v, key);
    const editable = canAnswer(v, ans);
    const keyAnswer = q.state === 'closed' && q.result ? q.result.answer : null;
    // The answer given for the team: this phone's own, else a teammate's (team_answer).
    const teamAnswer = teamAnswerOf(v);
    const mine = ans && ans.body ? ans.body : teamAnswer && teamAnswer.response ? teamAnswer.response : null;
    const needsConfirm = question.type === 'multiple' || question.type === 'fill';
    const ready = question.type === 'fill' ? draft.blanks.some((x) => x.trim()) : draft.selected.size > 0;
    const sig = JSON.stringify([q.round_id, q.index, q.state, editable, !!keyAnswer, ans && ans.state, ans && ans.error && ans.error.code,
      [...draft.selected], needsConfirm && ready, mine, app.lang()]);
    parts.question(sig, () => {
      const stemId = `stage-stem-${q.round_id}-${q.index}`;
      let body;
      if (question.type === 'fill') {
        const values = mine && mine.blanks && !editable ? mine.blanks.slice() : draft.blanks;
        body = (editable || keyAnswer || mine) ? fillInputs({
          question, values, disabled: !editable, idPrefix: `stage-blank-${key}`, keys: keyAnswer ? keyAnswer.blanks : null,
          onInput: () => update(),
        }) : null;
      } else {
        const selected = mine && mine.choice && !editable ? new Set(mine.choice) : draft.selected;
        const reveal = keyAnswer ? { correct: new Set(keyAnswer.choice || []), distribution: null } : null;
        body = choiceOptions({
          question, selected, disabled: !editable, sent: !editable && !!(mine && mine.choice), reveal, labelledBy: stemId,
          onPick: (i) => pick(v, i), pickLabel: t('stage.team_pick'),
        });
      }
      const points = question.points != null && v.kind !== 'tiebreak' && v.kind !== 'wager'
        ? h('span.qpoints', `${formatPoints(question.points, v.decimals)} ${t('unit.points')}`) : null;
      return h('div.card.qcard.stage-q', { 'data-testid': 'stage-question' },
        h('div.qmeta', h('span.qmeta-info', typeBadge(question.type),
          h('span.qindex', t('play.q_of', { n: q.index + 1, total: q.total })), points)),
        stemView(question, { id: stemId }),
        editable ? h('p.hint.tight', t(needsConfirm ? 'stage.hint_confirm' : 'stage.hint_tap')) : null,
        body,
        editable && needsConfirm ? h('button.btn.primary.block.big', {
          type: 'button', 'data-testid': 'submit-answer', disabled: !ready || null, onclick: () => submitDraft(v),
        }, question.type === 'multiple' ? t('play.confirm_n', { n: draft.selected.size }) : t('play.submit')) : null,
        answerStatus(ans));
    });
  }

  /** The own team's device answer to the current question, as its members got it (team_answer). */
  function teamAnswerOf(v) {
    const seen = v.q && v.s.teamAnswers ? v.s.teamAnswers[answerKey(v.q.round_id, v.q.index)] : null;
    return seen && seen.team === v.team ? seen : null;
  }

  function answerState(v, key) {
    const st = app.outbox.status(key);
    if (st && (st.state === 'queued' || st.state === 'sending') && phoneOffline(app)) return { ...st, state: 'retrying' };
    return st;
  }

  function canAnswer(v, ans) {
    const { b, team, settings } = v;
    if (!b || settings.answer_by !== 'device' || team == null || eliminated(v)) return false;
    if (v.q.state !== 'open' || b.phase !== 'answering' || b.floor !== team) return false;
    const member = designated(v);
    if (member && v.s.me && member.participant_id !== v.s.me.id) return false;
    if (!ans) return true;
    return ans.state === 'error' && !FINAL.has(ans.error && ans.error.code);
  }

  function answerStatus(ans) {
    if (!ans) return null;
    switch (ans.state) {
      case 'saved':
        return h('div.status.ok', { 'data-testid': 'answer-status', 'data-state': 'saved', role: 'status' }, t('stage.answer_sent'));
      case 'queued':
      case 'sending':
        return h('div.status.busy', { 'data-testid': 'answer-status', 'data-state': 'sending', role: 'status' },
          h('span.spinner', { 'aria-hidden': 'true' }), t('play.sending'));
      case 'retrying':
        return h('div.status.warn', { 'data-testid': 'answer-status', 'data-state': 'retrying', role: 'status' },
          h('span.spinner', { 'aria-hidden': 'true' }), t('play.retrying'));
      case 'error':
        return h('div.status.bad', { 'data-testid': 'answer-status', 'data-state': 'error', role: 'alert' }, errorText(ans.error));
      default:
        return null;
    }
  }

  function send(v, payload) {
    const q = v.q;
    app.outbox.put({ round_id: q.round_id, index: q.index, ...payload });
    update();
  }

  function pick(v, i) {
    const key = answerKey(v.q.round_id, v.q.index);
    if (!canAnswer(v, answerState(v, key))) return;
    const draft = drafts.get(key);
    if (v.q.question.type === 'multiple') {
      if (draft.selected.has(i)) draft.selected.delete(i); else draft.selected.add(i);
      update();
      return;
    }
    draft.selected = new Set([i]);
    send(v, { choice: [i] });
  }

  function submitDraft() {
    const v = view();
    const key = answerKey(v.q.round_id, v.q.index);
    if (!canAnswer(v, answerState(v, key))) return;
    const draft = drafts.get(key);
    if (v.q.question.type === 'fill') send(v, { blanks: draft.blanks.slice() });
    else if (draft.selected.size) send(v, { choice: [...draft.selected].sort((a, c) => a - c) });
  }

  /** Every judgement of the question; the own team's first and marked, so its members see their team's answer. */
  function renderJudged(v) {
    const js = (v.b && v.b.judgements) || [];
    const response = teamAnswerOf(v);
    const sig = JSON.stringify([js.map((j) => [j.team, j.verdict, j.at]), v.team, v.decimals,
      ((v.stage && v.stage.ledger) || []).length, response, app.lang()]);
    parts.judged(sig, () => {
      if (!js.length) return null;
      return h('div.card.stage-judged', { 'data-testid': 'stage-judgements' },
        h('div.stage-section-title', t('stage.judgements')),
        h('ul.stage-judged-list', js.map((j) => {
          const entry = entriesFor(v, j.team, VERDICT_REASONS).find((e) => e.created_at == null || Math.abs(e.created_at - j.at) < 5000);
          const ours = j.team === v.team;
          return h('li', {
            class: `${j.verdict} ${ours ? 'mine' : ''}`, 'data-testid': ours ? 'stage-team-answer' : 'stage-judgement',
            'data-team': String(j.team), 'data-verdict': j.verdict,
          },
          h('span.stage-judged-mark', { 'aria-hidden': 'true' }, j.verdict === 'right' ? '✓' : '✗'),
          h('span.stage-judged-text',
            h('strong', ours ? t('stage.our_team_is', { unit: unitOf(v, j.team) }) : unitOf(v, j.team)),
            j.name ? h('span.stage-judged-name', `（${j.name}）`) : null,
            ' ', t(`stage.verdict.${j.verdict}`),
            ours && response && response.team === j.team && response.response
              ? h('span.stage-judged-response', { 'data-testid': 'stage-team-response' },
                t('stage.team_answered', { text: answerText(v.q.question, response.response) })) : null),
          entry && entry.delta !== 0 ? h('span.stage-judged-delta', signed(entry.delta, v.decimals)) : null);
        })));
    });
  }

  /** After the question: who won it (or why it is void), the key and the explanation. */
  function renderResult(v) {
    const q = v.q;
    if (!q || q.state !== 'closed' || !q.result) {
      parts.result(`none|${q && q.state}|${app.lang()}`, () => (q && q.state === 'skipped'
        ? h('div.verdict.skipped', { 'data-testid': 'stage-result', 'data-outcome': 'skipped', role: 'status' },
          h('div.verdict-head', h('div.verdict-icon', { 'aria-hidden': 'true' }, '»'),
            h('div.verdict-main', h('div.verdict-title', t('play.skipped'))))) : null));
      return;
    }
    const outcome = q.result.outcome || (v.b && v.b.outcome) || null;
    const ours = (v.b && v.b.judgements || []).filter((j) => j.team === v.team);
    const ourEntries = entriesFor(v, v.team, VERDICT_REASONS.concat(['foul']));
    const delta = ourEntries.filter((e) => e.undone_by == null).reduce((a, e) => a + e.delta, 0);
    const sig = JSON.stringify([outcome, ours.map((j) => j.verdict), delta, ourEntries.length, v.team, v.decimals,
      v.stage && v.stage.tiebreak && v.stage.tiebreak.finished, app.lang()]);
    parts.result(sig, () => {
      let tone = 'neutral';
      let title;
      const last = ((v.b && v.b.judgements) || []).slice(-1)[0];
      if (!isBuzzKind(v.kind) && last) {
        // 必答 and 风险题: the verdict on the team whose turn it was.
        const ours = last.team === v.team;
        const verdict = t(`stage.verdict.${last.verdict}`);
        title = ours ? t('stage.result_ours', { verdict }) : t('stage.result_team', { unit: unitOf(v, last.team), verdict });
        if (ours) tone = last.verdict === 'right' ? 'correct' : 'wrong';
      } else if (outcome && outcome.result === 'won') {
        title = outcome.team === v.team ? t('stage.result_we_won') : t('stage.result_won', { unit: outcome.unit || unitOf(v, outcome.team) });
        tone = outcome.team === v.team ? 'correct' : ours.length ? 'wrong' : 'neutral';
      } else if (outcome && outcome.result === 'void' && v.kind === 'tiebreak') {
        const tb = v.stage && v.stage.tiebreak;
        title = t(tb && tb.finished ? 'stage.tiebreak_done' : 'stage.tiebreak_no_place');
        tone = ours.length ? 'wrong' : 'neutral';
      } else if (outcome && outcome.result === 'void') {
        title = t(`stage.void.${outcome.reason}`);
        tone = ours.length ? 'wrong' : 'neutral';
      } else {
        title = t('stage.closed');
      }
      const keyText = answerText(q.question, q.result.answer);
      return [
        h('div.verdict', { class: tone, 'data-testid': 'stage-result', 'data-outcome': outcome ? outcome.result : 'judged', role: 'status' },
          h('div.verdict-head',
            h('div.verdict-icon', { 'aria-hidden': 'true' }, tone === 'correct' ? '✓' : tone === 'wrong' ? '✗' : '■'),
            h('div.verdict-main',
              h('div.verdict-title', title),
              ourEntries.length ? h('div.verdict-points', h('span.verdict-earned', { 'data-testid': 'stage-result-delta' },
                t('stage.our_delta', { points: signed(delta, v.decimals) }))) : null,
              ours.length && ours[ours.length - 1].name
                ? h('div.verdict-by', t('stage.answered_by', { name: ours[ours.length - 1].name })) : null))),
        keyText ? h('div.card.key-line', { 'data-testid': 'correct-answer' }, t('play.key_is', { text: keyText })) : null,
        explanationView(q.result.explanation, q.result.source),
      ];
    });
  }

  /** 风险题 picks, the 加赛 and the elimination cut. */
  function renderExtra(v) {
    const stage = v.stage || {};
    const w = v.kind === 'wager' && stage.wager && stage.wager.round_id === (v.round && v.round.id) ? stage.wager : null;
    const tb = v.kind === 'tiebreak' && stage.tiebreak ? stage.tiebreak : null;
    const out = v.team != null ? eliminationOf(stage, v.s.rounds, v.team) : null;
    const cut = v.phase === 'ended' ? (stage.cuts || []).find((c) => c.round_id === (v.round && v.round.id)) : null;
    const sig = JSON.stringify([w, tb, out && out.cut.round_id, cut, v.team, v.decimals, app.lang()]);
    parts.extra(sig, () => [
      out ? h('div.card.stage-out', { 'data-testid': 'stage-eliminated' },
        h('div.stage-out-title', t('stage.eliminated', { n: out.round ? out.round.position + 1 : '?' })),
        h('p.muted', t('stage.eliminated_hint'))) : null,
      cut && !out ? h('div.card.stage-cut', { 'data-testid': 'stage-cut' },
        h('div.stage-section-title', t('stage.cut_title', { n: cut.advance })),
        h('p', (cut.advanced || []).includes(v.team) ? t('stage.we_advance') : t('stage.cut_pending')),
        h('p.muted', t('stage.advanced_are', { units: (cut.advanced || []).map((id) => unitOf(v, id)).join(t('play.list_sep')) || '–' }))) : null,
      w ? wagerCard(v, w) : null,
      tb ? tiebreakCard(v, tb) : null,
    ]);
  }

  function wagerCard(v, w) {
    const picks = new Map((w.picks || []).map((p) => [p.team, p]));
    return h('div.card.stage-wager', { 'data-testid': 'stage-wager' },
      h('div.stage-section-title', t('stage.wager_order')),
      w.next_to_pick != null ? h('p.stage-wager-next', { 'data-testid': 'stage-wager-next' }, w.next_to_pick === v.team
        ? t('stage.wager_our_pick') : t('stage.wager_next', { unit: unitOf(v, w.next_to_pick) })) : null,
      h('ol.stage-wager-list', (w.order || []).map((o) => {
        const p = picks.get(o.team);
        const text = !p ? t('stage.wager_waiting') : p.points == null ? t('stage.wager_pass') : t('stage.wager_points', { points: formatPoints(p.points, v.decimals) });
        return h('li', { class: [o.team === v.team ? 'mine' : '', o.team === w.next_to_pick ? 'next' : ''].join(' '), 'data-team': String(o.team) },
          h('span.stage-wager-unit', o.unit || unitOf(v, o.team), o.decided_by_draw ? h('small', t('stage.by_draw')) : null),
          h('span.stage-wager-pick', text));
      })),
      h('p.muted.small', t('stage.wager_rule')));
  }

  function tiebreakCard(v, tb) {
    const contenders = tb.remaining && tb.remaining.length ? tb.remaining : tb.teams || [];
    return h('div.card.stage-tiebreak', { 'data-testid': 'stage-tiebreak' },
      h('div.stage-section-title', t(tb.finished ? 'stage.tiebreak_done' : 'stage.tiebreak_title')),
      h('p', t('stage.tiebreak_teams', { units: (tb.teams || []).map((id) => unitOf(v, id)).join(t('play.list_sep')) })),
      !tb.finished && contenders.length ? h('p.muted', t('stage.tiebreak_remaining', { units: contenders.map((id) => unitOf(v, id)).join(t('play.list_sep')) })) : null,
      (tb.placings || []).length ? h('ul.stage-placings', tb.placings.map((p) => h('li', { class: p.team === v.team ? 'mine' : '' },
        h('span', t('stage.place_is', { n: p.place })), ' ', h('strong', p.unit || unitOf(v, p.team)),
        p.shared ? h('small', ` ${t('stage.shared')}`) : null))) : null,
      h('p.muted.small', t('stage.tiebreak_buzz_rule')));
  }

  function renderStandings(v) {
    const rows = standingsOf(v.stage, v.s.leaderboard);
    const sig = JSON.stringify([rows, v.team, v.decimals, app.lang()]);
    parts.standings(sig, () => (rows.length ? h('div.card.stage-standings', { 'data-testid': 'stage-standings' },
      h('div.stage-section-title', t('stage.standings')),
      h('ol.stage-standings-list', rows.map((r) => h('li', {
        class: [r.team === v.team ? 'mine' : '', r.active ? '' : 'out'].join(' '),
        'data-testid': 'stage-standing-row', 'data-team': String(r.team), 'data-active': String(r.active),
      },
      h('span.stage-st-place', String(r.place)),
      h('span.stage-st-unit', r.unit || unitOf(v, r.team), r.active ? null : h('small', t('stage.out_tag'))),
      h('span.stage-st-total', formatPoints(r.total, v.decimals)))))) : null));
  }

  // ------------------------------------------------------------------------------------------ the buzz button

  function buzzable(v) {
    if (!isBuzzKind(v.kind) || !v.q || v.q.state !== 'open' || !v.b || v.team == null || eliminated(v)) return false;
    return ['opened', 'armed', 'answering'].includes(v.b.phase) && contends(v, v.team);
  }

  function renderDock(v) {
    if (!buzzable(v)) { parts.dock('none', () => null); dockEl.classList.remove('on'); return; }
    const key = answerKey(v.q.round_id, v.q.index);
    const mine = buzzes.get(key);
    const st = teamBuzzStatus(v.b, v.team);
    const sending = mine && mine.state === 'sending';
    const free = st.status === 'free' && !(mine && mine.state === 'ack');
    const early = v.b.phase === 'opened';
    let sub;
    if (sending) sub = t('stage.buzz_sending');
    else if (!free) {
      const place = st.buzz ? (buzzOrder(v.b.order).find((x) => x.seq === st.buzz.seq) || {}).place : null;
      const fromAck = mine && mine.reply && mine.reply.position != null ? mine.reply.position + 1 : null;
      // A reply that came before the broadcast putting the buzz in the state.
      const acked = { floor: 'floor', foul: 'fouled', queued: 'queued' }[mine && mine.reply ? mine.reply.result : ''] || 'queued';
      sub = t(`stage.buzz_done.${st.status === 'free' ? acked : st.status}`, { n: place || fromAck || '?' });
    }
    else if (early) sub = t('stage.buzz_early', { points: formatPoints(v.settings.foul_penalty ?? 10, v.decimals) });
    else if (v.b.phase === 'armed') sub = t('stage.buzz_now');
    else sub = t('stage.buzz_queue');
    const mode = !free || sending ? 'off' : early ? 'early' : 'live';
    const sig = `${mode}|${sub}|${app.lang()}`;
    dockEl.classList.add('on');
    parts.dock(sig, () => h('div.buzz-dock',
      h('button.buzz-button', {
        type: 'button', class: mode, 'data-testid': 'buzz-button', 'data-mode': mode, disabled: mode === 'off' || null,
        'aria-describedby': 'buzz-sub',
        onpointerdown: (e) => { if (e.button === 0) { e.preventDefault(); buzz(); } },
        onclick: (e) => { if (e.detail === 0) buzz(); }, // keyboard (Enter, Space); a tap already buzzed on pointerdown
      },
      h('span.buzz-label', t('stage.buzz')),
      h('span.buzz-sub', { id: 'buzz-sub' }, sub))));
  }

  async function buzz() {
    const v = view();
    if (!buzzable(v)) return;
    const key = answerKey(v.q.round_id, v.q.index);
    const mine = buzzes.get(key);
    if (mine && (mine.state === 'sending' || mine.state === 'ack')) return;
    if (teamBuzzStatus(v.b, v.team).status !== 'free') return;
    const live = app.live;
    if (!live || !live.isOpen()) {
      buzzes.set(key, { state: 'error', error: { code: 'network', message: t('err.network') } });
      update();
      return;
    }
    buzzes.set(key, { state: 'sending' });
    if (navigator.vibrate) navigator.vibrate(30);
    update();
    try {
      const reply = await live.request({ type: 'buzz', client_ms: Date.now() }, { timeout: 8000 });
      buzzes.set(key, reply.type === 'buzz_ack' ? { state: 'ack', reply } : { state: 'error', error: reply });
    } catch (err) {
      buzzes.set(key, { state: 'error', error: err });
    }
    update();
  }

  // ------------------------------------------------------------------------------------------ update

  function update() {
    const v = view();
    renderTeam(v);
    renderBanner(v);
    renderMine(v);
    renderFloor(v);
    renderResult(v);
    renderQuestion(v);
    renderJudged(v);
    renderExtra(v);
    renderStandings(v);
    renderDock(v);
    // The question just closed: the verdict must be in sight.
    if (lastPhase && v.phase !== lastPhase && (v.phase === 'closed' || v.phase === 'skipped')) window.scrollTo(0, 0);
    lastPhase = v.phase;
  }

  // Phases the clock ends (a buzz window, an answer time) arrive as frames; the countdown runs by itself.
  return { el, update, destroy() { countdown.stop(); } };
}

/** The own team's final place and score, on the phone's final screen of a contest with a stage final. */
export function stageFinalCard(s) {
  const team = s.me ? s.me.team : null;
  if (!s.stage || team == null) return null;
  const rows = standingsOf(s.stage, s.leaderboard);
  const mine = rows.find((r) => r.team === team);
  if (!mine) return null;
  const decimals = pointsDecimals(rows.map((r) => r.total));
  return h('div.card.hero.final-hero.stage-final', { 'data-testid': 'stage-final' },
    h('div.hero-kicker', t('stage.final_team', { unit: mine.unit || teamUnit(s.stage, team) })),
    h('div.final-grid',
      h('div',
        h('div.hero-label', t('stage.final_place')),
        h('div.hero-value', { 'data-testid': 'stage-final-place' }, String(mine.place), h('span.rank-of', ` / ${rows.length}`))),
      h('div',
        h('div.hero-label', t('stage.team_score')),
        h('div.hero-value', { 'data-testid': 'stage-final-score' }, formatPoints(mine.total, decimals)))));
}
