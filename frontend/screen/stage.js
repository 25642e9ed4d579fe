// The big screen in a stage final: one layout per round kind, with the team standings always at the bottom.
// - buzzer (and tie-break, which is played by buzzer): the question; before arming "listen"; armed, a big countdown;
//   who buzzed, in the server's order, with the gap to the first and the fouls; the floor holder with the answer
//   countdown; each team's verdict;
// - compulsory: whose turn it is (team, and the member in individual mode), the question, the countdown, the verdict;
// - wager: the picking order with each team's pick, then the question of the team answering, with its stake;
// - tie-break: the tied teams and the places decided so far;
// - after an eliminating round: who goes on and who is out.
// The key appears only once the question has closed (buzzer_result), as everywhere.

import { t } from '/shared/i18n.js';
import { h, mount, letter, formatPoints, pointsDecimals } from '/shared/ui.js';
import {
  isBuzzKind, teamUnit, standingsOf, questionSettings, buzzOrder,
} from '/shared/stage-state.js';
import { topBar, stemNodes, fitText, roundLabel, titleNamesRound } from './parts.js';

const RING_R = 46;
const RING_LEN = 2 * Math.PI * RING_R;
/** How long a team's score change stays beside its total in the standings bar. */
const DELTA_MS = 6000;

/** Ledger reasons of a question's verdicts. */
const VERDICT_REASONS = ['buzzer_right', 'buzzer_wrong', 'buzzer_late', 'compulsory_right', 'compulsory_wrong',
  'wager_right', 'wager_wrong'];

/** A container that rebuilds its content only when its signature changes. */
function part(el) {
  let sig = null;
  return (next, build) => {
    if (next === sig) return false;
    sig = next;
    mount(el, build());
    return true;
  };
}

const unitOf = (state, id) => teamUnit(state.stage, id) || t('stage.team_n', { n: id });
const signed = (v, d) => `${v < 0 ? '−' : '+'}${formatPoints(Math.abs(v), d)}`;

function decimalsOf(state) {
  return pointsDecimals([
    ...standingsOf(state.stage, state.leaderboard).map((r) => r.total),
    ...((state.stage && state.stage.ledger) || []).map((e) => e.delta),
  ]);
}

/** The buzzer state of the current question, if it belongs to it. */
function buzzerOf(state) {
  const q = state.question;
  const b = state.buzzer;
  return q && b && b.round_id === q.round_id && b.index === q.index ? b : null;
}

function kindPill(round) {
  return h('span.s-kind', { 'data-testid': 'screen-stage-kind', dataset: { kind: round.kind } }, t(`stage.kind.${round.kind}`));
}

// ---------------------------------------------------------------- countdown ring

function ring() {
  const svgNs = 'http://www.w3.org/2000/svg';
  const make = (cls) => {
    const c = document.createElementNS(svgNs, 'circle');
    c.setAttribute('class', cls);
    c.setAttribute('cx', '50'); c.setAttribute('cy', '50'); c.setAttribute('r', String(RING_R));
    return c;
  };
  const track = make('s-ring-track');
  const arc = make('s-ring-arc');
  arc.setAttribute('stroke-dasharray', String(RING_LEN));
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 100 100');
  svg.setAttribute('aria-hidden', 'true');
  svg.append(track, arc);
  const num = h('span.s-count-num', { 'data-testid': 'screen-countdown', role: 'timer' }, '');
  const note = h('span.s-count-note');
  const el = h('div.s-ring.s-stage-ring', svg, h('div.s-ring-center', num, note));
  let spec = null;
  let last = null;
  return {
    el,
    set(next) { spec = next; last = null; },
    tick(now) {
      if (!spec || spec.deadline == null) return;
      const left = Math.max(0, spec.deadline - now);
      const secs = Math.ceil(left / 1000);
      const mode = left <= 0 ? 'timeup' : secs <= 5 ? 'low' : 'running';
      const key = `${secs}|${mode}`;
      if (key !== last) {
        num.textContent = String(secs);
        el.dataset.state = mode;
        num.dataset.state = mode;
        note.textContent = mode === 'timeup' ? t('q.time_up') : t('common.seconds');
        last = key;
      }
      arc.setAttribute('stroke-dashoffset', String(RING_LEN * (1 - Math.min(1, left / Math.max(1, spec.totalMs)))));
    },
  };
}

// ---------------------------------------------------------------- standings bar

/**
 * The team standings along the bottom: place, unit, total; the team holding the floor (or whose turn it is)
 * lit, eliminated teams greyed. A change of a total shows for a few seconds beside it.
 */
function standingsBar(state) {
  const el = h('footer.s-stage-bar', { 'data-testid': 'screen-stage-standings' });
  const render = part(el);
  const last = new Map();      // team → total shown
  const deltas = new Map();    // team → {delta, until}
  function update(s, { lit = null, tied = null } = {}) {
    const rows = standingsOf(s.stage, s.leaderboard);
    const now = s.serverNow();
    for (const r of rows) {
      const before = last.get(r.team);
      if (before != null && before !== r.total) deltas.set(r.team, { delta: r.total - before, until: now + DELTA_MS });
      last.set(r.team, r.total);
    }
    for (const [team, d] of deltas) if (d.until <= now) deltas.delete(team);
    const decimals = decimalsOf(s);
    const sig = JSON.stringify([rows, lit, tied, [...deltas.entries()].map(([k, d]) => [k, d.delta]), decimals, s.stage && s.stage.teams]);
    render(sig, () => {
      el.style.setProperty('--teams', String(Math.max(1, rows.length)));
      el.classList.toggle('many', rows.length > 8);
      return rows.map((r) => {
        const d = deltas.get(r.team);
        return h('div.s-team', {
          'data-testid': 'screen-team',
          dataset: { team: String(r.team), unit: r.unit || unitOf(s, r.team), place: String(r.place), active: String(r.active) },
          class: [r.active ? '' : 'out', r.team === lit ? 'lit' : '', tied && tied.includes(r.team) ? 'tied' : '',
            r.place <= 3 && r.active ? `p${r.place}` : ''].join(' '),
        },
        h('span.s-team-place', String(r.place)),
        h('span.s-team-unit', { title: r.unit || '' }, r.unit || unitOf(s, r.team)),
        h('span.s-team-total', { 'data-testid': 'screen-team-total' }, formatPoints(r.total, decimals)),
        d ? h('span.s-team-delta', { class: d.delta < 0 ? 'down' : 'up' }, signed(d.delta, decimals)) : null,
        r.active ? null : h('span.s-team-out', t('stage.out')));
      });
    });
  }
  return { el, update, tick(s) { if ([...deltas.values()].some((d) => d.until <= s.serverNow())) update(s); } };
}

// ---------------------------------------------------------------- the question

function optionRow(text, i, correct) {
  return h('li.s-opt', { 'data-testid': 'option', dataset: { index: String(i), correct: String(!!correct) }, class: correct ? 'correct' : '' },
    h('span.s-opt-letter', letter(i)),
    h('span.s-opt-text', text),
    correct ? h('span.s-opt-mark', { 'data-testid': 'correct-option', 'aria-label': t('closed.answer') }, '✓') : null);
}

function keyText(q, answer) {
  if (answer && Array.isArray(answer.choice)) {
    if (q.type === 'true_false' && answer.choice.length === 1) return q.options[answer.choice[0]] || letter(answer.choice[0]);
    return answer.choice.map((i) => letter(i)).join(' ');
  }
  if (answer && Array.isArray(answer.blanks)) return answer.blanks.map((alts) => (Array.isArray(alts) ? alts.join(' / ') : alts)).join('；');
  return '';
}

/** The stem and options; once closed, with the key marked and the explanation. */
function questionMain(q) {
  const body = q.question;
  const result = q.state === 'closed' ? q.result : null;
  const key = result && result.answer && result.answer.choice ? new Set(result.answer.choice) : new Set();
  const opts = body.type === 'fill' ? null
    : h(`ol.s-opts.${body.options.length <= 4 && Math.max(0, ...body.options.map((o) => [...o].length)) <= 12 ? 'cols-2' : 'cols-1'}`,
      { 'data-testid': 'options', class: result ? 'closed' : '' },
      body.options.map((text, i) => optionRow(text, i, result && key.has(i))));
  return [
    h('h1.s-stem', { 'data-testid': 'question-stem', class: result ? 'small' : '' },
      stemNodes(body.stem, result && result.answer ? result.answer.blanks : null)),
    opts || (result ? null : h('p.s-fill-hint', t('stage.fill_hint'))),
    result ? h('div.s-key', h('span.s-key-label', t('closed.answer')),
      h('span.s-key-value', { 'data-testid': 'correct-answer' }, keyText(body, result.answer))) : null,
    result && (result.explanation || result.source) ? h('div.s-explain', { 'data-testid': 'explanation' },
      result.explanation ? h('p', h('span.s-explain-label', t('closed.explanation')), result.explanation) : null,
      result.source ? h('p.s-source', t('closed.source_is', { text: result.source })) : null) : null,
  ];
}

/** The verdict entries of the question, by team. */
function verdictEntries(state, q) {
  const out = new Map();
  for (const e of (state.stage && state.stage.ledger) || []) {
    if (e.round_id === q.round_id && e.index === q.index && (VERDICT_REASONS.includes(e.reason) || e.reason === 'foul')) {
      out.set(`${e.team}:${e.reason === 'foul' ? 'foul' : 'verdict'}`, e);
    }
  }
  return out;
}

/** The buzz order: place, team, who pressed, +ms after the first; fouls marked; each team's verdict. */
function orderList(state, b, q) {
  const order = buzzOrder(b.order);
  const entries = verdictEntries(state, q);
  const decimals = decimalsOf(state);
  const verdicts = new Map(((b && b.judgements) || []).map((j) => [j.team, j]));
  return h('section.s-order', { 'data-testid': 'screen-buzz-order' },
    h('h2.s-side-title', t('stage.buzz_order')),
    order.length ? h('ol.s-order-list', order.map((x) => {
      const j = x.foul ? null : verdicts.get(x.team);
      const e = entries.get(`${x.team}:${x.foul ? 'foul' : 'verdict'}`);
      return h('li.s-order-row', {
        'data-testid': 'screen-buzz', class: [x.foul ? 'foul' : '', b.floor === x.team && !x.foul ? 'floor' : '', j ? j.verdict : ''].join(' '),
        dataset: { team: String(x.team), foul: String(!!x.foul), place: x.place == null ? '' : String(x.place), seq: String(x.seq) },
      },
      h('span.s-order-place', x.foul ? t('stage.foul') : String(x.place)),
      h('span.s-order-who', h('b', x.unit || unitOf(state, x.team)), x.name ? h('small', x.name) : null),
      h('span.s-order-gap', { 'data-testid': 'screen-buzz-gap' }, x.foul ? t('stage.buzz_foul_early') : x.place === 1 ? t('stage.first') : t('stage.after_ms', { ms: x.after_ms })),
      h('span.s-order-verdict', j ? t(`stage.verdict.${j.verdict}`) : '',
        j && j.verdict !== 'right' && state.round && state.round.kind === 'tiebreak' ? ` · ${t('stage.tiebreak_out')}` : null,
        e && e.delta ? h('em', ` ${signed(e.delta, decimals)}`) : null));
    })) : h('p.s-order-empty', t(b.phase === 'armed' ? 'stage.buzz_nobody_yet' : 'stage.buzz_when_armed')));
}

/** Whose turn it is (compulsory, wager): team, member, stake, countdown. */
function turnCard(state, b, round) {
  const team = b.floor;
  const turn = state.stage && state.stage.turn;
  const member = turn && turn.team === team && turn.member ? turn.member : null;
  const w = round.kind === 'wager' && state.stage && state.stage.wager;
  const pick = w && (w.picks || []).find((p) => p.team === team);
  return h('section.s-turn', { 'data-testid': 'screen-turn', dataset: { team: team == null ? '' : String(team) } },
    h('div.s-turn-label', t('stage.turn_label')),
    h('div.s-turn-unit', team == null ? '–' : unitOf(state, team)),
    member ? h('div.s-turn-member', t('stage.member_answers', { name: member.name })) : null,
    pick && pick.points != null ? h('div.s-turn-stake', { 'data-testid': 'screen-wager-stake' },
      t('stage.stake', { points: formatPoints(pick.points, decimalsOf(state)) })) : null);
}

/** After the question: who won it, or why it is void, or the verdict on the team whose turn it was. */
function verdictCard(state, b, q) {
  const result = q.result;
  const outcome = (result && result.outcome) || (b && b.outcome) || null;
  const js = (b && b.judgements) || [];
  const last = js[js.length - 1] || null;
  let tone = 'void';
  let title;
  let detail = '';
  const entries = verdictEntries(state, q);
  const decimals = decimalsOf(state);
  if (!isBuzzKind(state.round && state.round.kind) && last) {
    // 必答 and 风险题: the verdict on the team whose turn it was.
    tone = last.verdict === 'right' ? 'right' : 'wrong';
    title = `${unitOf(state, last.team)} ${t(`stage.verdict.${last.verdict}`)}`;
    const e = entries.get(`${last.team}:verdict`);
    detail = e && e.delta ? signed(e.delta, decimals) : '';
  } else if (outcome && outcome.result === 'won') {
    tone = 'right';
    title = t('stage.won_by', { unit: outcome.unit || unitOf(state, outcome.team) });
    const e = entries.get(`${outcome.team}:verdict`);
    detail = e && e.delta ? signed(e.delta, decimals) : '';
  } else if (outcome && outcome.result === 'void' && state.round && state.round.kind === 'tiebreak') {
    // A 加赛 question that took no place: the 加赛 is over (a wrong answer left one team), or goes on.
    const tb = state.stage && state.stage.tiebreak;
    title = t(tb && tb.finished ? 'stage.tiebreak_done' : 'stage.tiebreak_goes_on');
  } else if (outcome && outcome.result === 'void') {
    title = t(`stage.void.${outcome.reason}`);
  } else if (last) {
    tone = last.verdict === 'right' ? 'right' : 'wrong';
    title = `${unitOf(state, last.team)} ${t(`stage.verdict.${last.verdict}`)}`;
    const e = entries.get(`${last.team}:verdict`);
    detail = e && e.delta ? signed(e.delta, decimals) : '';
  } else {
    title = t('stage.closed');
  }
  return h('section.s-verdict', { 'data-testid': 'screen-verdict', class: tone, dataset: { outcome: outcome ? outcome.result : tone } },
    h('div.s-verdict-title', title),
    detail ? h('div.s-verdict-points', detail) : null);
}

/** The strip under the top bar: the 加赛's tied teams and places decided; the wager picks during a wager question. */
function stripFor(state, round) {
  const stage = state.stage || {};
  if (round.kind === 'tiebreak' && stage.tiebreak) return tiebreakStrip(state, stage.tiebreak);
  if (round.kind === 'wager' && stage.wager) return wagerStrip(state, stage.wager);
  return null;
}

/** What the 加赛 decides: the places the tied teams hold (podium), or the places that go on (a cut). */
function tiebreakTitle(tb) {
  if (tb.purpose === 'cut') return t('stage.tiebreak_for_cut');
  const n = (tb.teams || []).length;
  if (tb.first_place == null || !n) return t('stage.tiebreak_for_podium');
  return t('stage.tiebreak_for_places', { from: tb.first_place, to: tb.first_place + n - 1 });
}

function tiebreakStrip(state, tb) {
  const remaining = tb.remaining && tb.remaining.length ? tb.remaining : (tb.finished ? [] : tb.teams || []);
  return h('div.s-strip.s-tb-strip', { 'data-testid': 'screen-tiebreak' },
    h('span.s-strip-label', tiebreakTitle(tb)),
    h('span.s-strip-teams', (tb.teams || []).map((id) => h('span.s-chip', { class: remaining.includes(id) ? 'live' : 'done', dataset: { team: String(id) } }, unitOf(state, id)))),
    (tb.placings || []).length ? h('span.s-strip-placings', { 'data-testid': 'screen-tiebreak-placings' },
      tb.placings.map((p) => h('span.s-placing', t('stage.place_is', { n: p.place }), ' ', h('b', p.unit || unitOf(state, p.team)),
        p.shared ? ` ${t('stage.shared')}` : ''))) : null);
}

function wagerStrip(state, w) {
  const picks = new Map((w.picks || []).map((p) => [p.team, p]));
  const decimals = decimalsOf(state);
  const b = buzzerOf(state);
  const answering = b && b.phase === 'answering' ? b.floor : null;
  return h('div.s-strip', { 'data-testid': 'screen-wager-picks' },
    h('span.s-strip-label', t('stage.picks')),
    h('span.s-strip-teams', (w.order || []).map((o) => {
      const p = picks.get(o.team);
      const live = answering != null ? o.team === answering : !p && o.team === w.next_to_pick;
      return h('span.s-chip', { class: live ? 'live' : p ? 'done' : '', dataset: { team: String(o.team) } },
        o.unit || unitOf(state, o.team), ' ',
        h('b', !p ? '…' : p.points == null ? t('stage.pass') : formatPoints(p.points, decimals)));
    })));
}

export function stageQuestionView(state) {
  const round = state.round;
  const q = state.question;
  const mainEl = h('div.s-q-main.s-stage-main');
  const stripEl = h('div.s-strip-slot');
  const phaseEl = h('div.s-stage-phase-slot');
  const turnEl = h('div');
  const orderEl = h('div');
  const verdictEl = h('div');
  const side = h('aside.s-stage-side', phaseEl, turnEl, verdictEl, orderEl);
  const bar = standingsBar(state);
  const countdown = ring();
  const render = {
    main: part(mainEl), strip: part(stripEl), phase: part(phaseEl), turn: part(turnEl), order: part(orderEl), verdict: part(verdictEl),
  };
  // A 加赛 question is worth no points: no points in the top bar.
  const shown = round.kind === 'tiebreak' ? { ...q, question: { ...q.question, points: null } } : q;
  const el = h('section.s-stage', { 'data-testid': 'screen-stage', dataset: { kind: round.kind } },
    topBar(state, { question: shown, extra: kindPill(round) }),
    stripEl,
    h('div.s-stage-body', mainEl, side),
    bar.el);

  /** A long buzz order (many teams) makes the side column compact, then smaller still. */
  function fitSide() {
    side.classList.remove('compact', 'tight');
    if (side.scrollHeight > side.clientHeight + 1) side.classList.add('compact');
    if (side.scrollHeight > side.clientHeight + 1) side.classList.add('tight');
  }

  /** The question fits its column; a long explanation gets smaller type of its own (it has a height limit). */
  function fitMain() {
    fitText(mainEl, 0.45, 1.2);
    const explain = mainEl.querySelector('.s-explain');
    if (explain) fitText(explain, 0.5);
  }

  function update(s) {
    const cur = s.question;
    const b = buzzerOf(s);
    const settings = questionSettings(b, s.round);
    const phase = cur.state === 'closed' ? 'closed' : cur.state === 'skipped' ? 'skipped' : (b && b.phase) || 'opened';
    el.dataset.phase = phase;
    const buzz = isBuzzKind(round.kind);
    const lang = document.documentElement.lang;
    if (render.main(`${cur.state}|${!!cur.result}|${lang}`, () => questionMain(cur))) requestAnimationFrame(fitMain);
    render.strip(JSON.stringify([s.stage && s.stage.tiebreak, s.stage && s.stage.wager, b && b.phase, b && b.floor, lang]), () => stripFor(s, round));

    // The phase: listen / armed with the buzz window / the floor holder with the answer time / closed.
    let clock = null;
    if (phase === 'armed' && b.window_deadline) clock = { deadline: b.window_deadline, totalMs: (settings.buzz_window_seconds || 10) * 1000 };
    if (phase === 'answering' && b.floor != null && b.floor_deadline) clock = { deadline: b.floor_deadline, totalMs: (settings.answer_seconds || 10) * 1000 };
    const floorBuzz = b && b.floor != null ? buzzOrder(b.order).find((x) => x.team === b.floor && !x.foul) : null;
    const phaseSig = JSON.stringify([phase, b && b.floor, b && b.window, floorBuzz && floorBuzz.name, clock && clock.deadline, buzz, settings.foul_penalty,
      !buzz && s.stage && [s.stage.turn, s.stage.wager], lang]);
    render.phase(phaseSig, () => {
      countdown.set(clock);
      if (phase === 'closed') return null; // the verdict takes its place
      const title = {
        opened: buzz ? 'stage.buzz_listen' : 'stage.listen_turn', armed: 'stage.buzz_armed', closed: 'stage.closed', skipped: 'stage.skipped',
        answering: b && b.floor != null ? (buzz ? 'stage.floor' : 'stage.answering') : 'stage.judging',
      }[phase];
      if (!buzz && b && b.floor != null) {
        // 必答, 风险题: whose turn it is, with the answer time.
        return h('section.s-stage-phase.s-turn-phase', { 'data-testid': 'screen-stage-phase', dataset: { phase } },
          turnCard(s, b, round), clock ? countdown.el : null);
      }
      return h('section.s-stage-phase', { 'data-testid': 'screen-stage-phase', dataset: { phase } },
        h('div.s-stage-phase-text',
          h('div.s-stage-phase-title', t(title)),
          phase === 'answering' && buzz && b.floor != null ? h('div.s-floor', { 'data-testid': 'screen-floor', dataset: { team: String(b.floor) } },
            h('div.s-floor-unit', unitOf(s, b.floor)),
            floorBuzz && floorBuzz.name ? h('div.s-floor-name', floorBuzz.name) : null) : null,
          phase === 'opened' && buzz ? h('div.s-stage-phase-note', t('stage.buzz_early_note', { points: formatPoints(settings.foul_penalty ?? 10, decimalsOf(s)) })) : null),
        clock ? countdown.el : null);
    });
    // After a 必答 or 风险题 question: whose turn it was, beside the verdict.
    render.turn(JSON.stringify([!buzz && phase, b && b.judgements, s.stage && s.stage.turn, s.stage && s.stage.wager, lang]), () => {
      const last = b && (b.judgements || []).slice(-1)[0];
      return !buzz && b && b.floor == null && last ? turnCard(s, { ...b, floor: last.team }, round) : null;
    });
    render.order(JSON.stringify([buzz, b && b.order, b && b.floor, b && b.judgements, b && b.phase, (s.stage && s.stage.ledger || []).length, lang]),
      () => (buzz && b ? orderList(s, b, cur) : null));
    render.verdict(JSON.stringify([cur.state, cur.result && cur.result.outcome, b && b.judgements, (s.stage && s.stage.ledger || []).length,
      s.stage && s.stage.tiebreak && s.stage.tiebreak.finished, lang]),
      () => (cur.state === 'closed' ? verdictCard(s, b, cur) : null));
    requestAnimationFrame(fitSide);
    const turnTeam = !buzz && b ? b.floor : null;
    const tb = round.kind === 'tiebreak' && s.stage && s.stage.tiebreak;
    bar.update(s, { lit: buzz ? (b && b.floor) : turnTeam, tied: tb && !tb.finished ? (tb.remaining && tb.remaining.length ? tb.remaining : tb.teams) : null });
  }

  update(state);
  return {
    el,
    update,
    tick(now) { countdown.tick(now); bar.tick(state); },
    mounted() { fitMain(); fitSide(); countdown.tick(state.serverNow()); },
  };
}

// ---------------------------------------------------------------- between questions: the round's intro, wager picks

function rulesLine(state, round) {
  const st = questionSettings(null, round);
  const d = decimalsOf(state);
  const n = (x, dflt) => formatPoints(x ?? dflt, d);
  switch (round.kind) {
    case 'buzzer': return t('stage.rules_buzzer', { right: n(st.points, 10), wrong: n(st.wrong_penalty, 10), late: n(st.late_penalty, 10), foul: n(st.foul_penalty, 10) });
    case 'compulsory': return t('stage.rules_compulsory', { right: n(st.points, 10), wrong: n(st.wrong_penalty, 0), s: st.answer_seconds || 30 });
    case 'wager': return t('stage.rules_wager');
    case 'tiebreak': return t('stage.rules_tiebreak_buzz');
    default: return '';
  }
}

/** The big standings table of the intro and the end of a round. */
function standingsTable(state, { cut = null } = {}) {
  const rows = standingsOf(state.stage, state.leaderboard);
  const decimals = decimalsOf(state);
  const advanced = new Set((cut && cut.advanced) || []);
  const out = new Set((cut && cut.eliminated) || []);
  return h('ol.s-stage-table', { 'data-testid': 'screen-stage-board', class: rows.length > 8 ? 'many' : '' }, rows.map((r) => h('li', {
    'data-testid': 'screen-board-team',
    dataset: { team: String(r.team), unit: r.unit || '', place: String(r.place), active: String(r.active) },
    class: [r.active ? '' : 'out', advanced.has(r.team) ? 'advanced' : '', out.has(r.team) ? 'cut' : '', r.place <= 3 && r.active ? `p${r.place}` : ''].join(' '),
  },
  h('span.s-st-place', String(r.place)),
  h('span.s-st-unit', r.unit || unitOf(state, r.team)),
  cut ? h('span.s-st-tag', advanced.has(r.team) ? t('stage.advances') : out.has(r.team) ? t('stage.out') : t('stage.tied_at_cut')) : (r.active ? null : h('span.s-st-tag', t('stage.out'))),
  h('b.s-st-total', formatPoints(r.total, decimals)))));
}

/** The wager picking order, each team's pick, the team choosing now. */
function wagerPanel(state, w) {
  const picks = new Map((w.picks || []).map((p) => [p.team, p]));
  const decimals = decimalsOf(state);
  return h('section.s-wager', { 'data-testid': 'screen-wager-picks' },
    h('h2.s-side-title', t('stage.picking_order')),
    h('ol.s-wager-list', (w.order || []).map((o, i) => {
      const p = picks.get(o.team);
      return h('li', {
        'data-testid': 'screen-wager-row', class: [p ? 'done' : '', o.team === w.next_to_pick ? 'next' : ''].join(' '),
        dataset: { team: String(o.team), points: p ? String(p.points) : '' },
      },
      h('span.s-wager-n', String(i + 1)),
      h('span.s-wager-unit', o.unit || unitOf(state, o.team), o.decided_by_draw ? h('small', t('stage.by_draw')) : null),
      h('span.s-wager-total', formatPoints(o.total, decimals)),
      h('b.s-wager-pick', !p ? (o.team === w.next_to_pick ? t('stage.choosing') : '') : p.points == null ? t('stage.pass')
        : t('stage.points', { points: formatPoints(p.points, decimals) })));
    })),
    h('div.s-wager-options', t('stage.options', {
      list: (w.options || []).map((o) => t('stage.option', { points: formatPoints(o.points, decimals), d: o.difficulty })).join(t('stage.list_sep')),
    }), w.allow_pass ? ` · ${t('stage.pass_allowed')}` : ''));
}

function tiebreakPanel(state, tb) {
  const remaining = tb.remaining && tb.remaining.length ? tb.remaining : (tb.finished ? [] : tb.teams || []);
  return h('section.s-tb', { 'data-testid': 'screen-tiebreak' },
    h('h2.s-side-title', tiebreakTitle(tb)),
    h('div.s-tb-teams', (tb.teams || []).map((id) => h('span.s-chip.big', { class: remaining.includes(id) ? 'live' : 'done' }, unitOf(state, id)))),
    (tb.placings || []).length ? h('ol.s-tb-placings', { 'data-testid': 'screen-tiebreak-placings' }, tb.placings.map((p) => h('li',
      h('span', t('stage.place_is', { n: p.place })), h('b', p.unit || unitOf(state, p.team)), p.shared ? h('small', t('stage.shared')) : null)))
      : h('p.s-tb-note', t('stage.rules_tiebreak_buzz')),
    tb.finished ? h('p.s-tb-done', t('stage.tiebreak_done')) : null);
}

export function stageIntroView(state) {
  const round = state.round;
  const sideEl = h('div.s-stage-intro-side');
  const tableEl = h('div.s-stage-intro-table');
  const render = { side: part(sideEl), table: part(tableEl) };
  const el = h('section.s-stage-intro', { 'data-testid': 'screen-stage-intro', dataset: { kind: round.kind } },
    h('header.s-stage-intro-head',
      titleNamesRound(round) ? null : h('div.s-intro-no', t('round.of', { n: round.position + 1 })),
      h('h1.s-stage-intro-title', { 'data-testid': 'round-title' }, round.title),
      h('div.s-stage-intro-kind', kindPill(round), h('span', rulesLine(state, round)))),
    h('div.s-stage-intro-body', tableEl, sideEl));
  function update(s) {
    const stage = s.stage || {};
    const lang = document.documentElement.lang;
    render.table(JSON.stringify([stage.standings, stage.teams, s.leaderboard && s.leaderboard.teams, lang]), () => standingsTable(s));
    render.side(JSON.stringify([round.kind, stage.wager, stage.tiebreak, stage.turn, lang]), () => {
      if (round.kind === 'wager' && stage.wager) return wagerPanel(s, stage.wager);
      if (round.kind === 'tiebreak' && stage.tiebreak) return tiebreakPanel(s, stage.tiebreak);
      if (round.kind === 'compulsory' && stage.turn) {
        return h('section.s-turn', { 'data-testid': 'screen-turn', dataset: { team: String(stage.turn.team) } },
          h('div.s-turn-label', t('stage.first_turn')),
          h('div.s-turn-unit', stage.turn.unit || unitOf(s, stage.turn.team)),
          stage.turn.member ? h('div.s-turn-member', t('stage.member_answers', { name: stage.turn.member.name })) : null);
      }
      return h('div.s-intro-ready', t(s.question && s.question.round_id === round.id ? 'round.next_soon' : 'round.get_ready'));
    });
  }
  update(state);
  return { el, update };
}

// ---------------------------------------------------------------- after a round: the cut

export function stageEndView(state) {
  const round = state.round;
  const bodyEl = h('div.s-stage-end-body');
  const render = part(bodyEl);
  const el = h('section.s-stage-end', { 'data-testid': 'screen-stage-end' },
    h('header.s-board-head',
      h('h1', t('stage.standings_title')),
      h('span.s-board-sub', t('board.round_end', { round: roundLabel(round) })),
      h('span.spacer'),
      h('span.s-contest', state.contest.title)),
    bodyEl);
  function update(s) {
    const cut = ((s.stage && s.stage.cuts) || []).find((c) => c.round_id === round.id) || null;
    const lang = document.documentElement.lang;
    render(JSON.stringify([cut, s.stage && s.stage.standings, s.stage && s.stage.teams, s.stage && s.stage.tiebreak, lang]), () => [
      cut ? h('section.s-cut', { 'data-testid': 'screen-stage-cut', dataset: { advance: String(cut.advance) } },
        h('div.s-cut-title', t('stage.cut_title', { n: cut.advance })),
        h('div.s-cut-cols',
          h('div.s-cut-col.in', h('h2', t('stage.advance_list')),
            h('ul', { 'data-testid': 'screen-cut-advanced' }, (cut.advanced || []).map((id) => h('li', { dataset: { team: String(id) } }, unitOf(s, id))))),
          (cut.tied_at_cut || []).length && cut.decided_by === 'tiebreak_pending'
            ? h('div.s-cut-col.tied', h('h2', t('stage.tied_list', { n: cut.open_places })),
              h('ul', { 'data-testid': 'screen-cut-tied' }, cut.tied_at_cut.map((id) => h('li', { dataset: { team: String(id) } }, unitOf(s, id))))) : null,
          h('div.s-cut-col.out', h('h2', t('stage.out_list')),
            h('ul', { 'data-testid': 'screen-cut-eliminated' }, (cut.eliminated || []).map((id) => h('li', { dataset: { team: String(id) } }, unitOf(s, id)))))),
        cut.decided_by && cut.decided_by !== 'score' ? h('div.s-cut-by', t(`stage.decided_by.${cut.decided_by}`)) : null) : null,
      standingsTable(s, { cut }),
    ]);
  }
  update(state);
  return { el, update };
}

// ---------------------------------------------------------------- the end of a stage final: the teams' podium

export function stageFinalView(state) {
  const rows = standingsOf(state.stage, state.leaderboard).filter((r) => r.active || r.place <= 3);
  const decimals = decimalsOf(state);
  const byPlace = (n) => rows.filter((r) => r.place === n);
  const step = (n, slot) => {
    const teams = byPlace(n);
    if (!teams.length) return h('div.s-pod.empty', { class: `p${slot}` });
    return h('div.s-pod', { class: `p${slot} ${['', 'gold', 'silver', 'bronze'][n] || ''}`, 'data-testid': 'podium-place', dataset: { rank: String(n) } },
      h('div.s-pod-person',
        h('div.s-pod-medal', String(n)),
        teams.map((r) => h('div.s-pod-name', { 'data-testid': 'podium-team', dataset: { team: String(r.team) } }, r.unit || unitOf(state, r.team))),
        h('div.s-pod-score', formatPoints(teams[0].total, decimals), h('small', ` ${t('unit.points')}`))),
      h('div.s-pod-block', h('span', t(`final.place${n}`))));
  };
  const shown = state.stage && state.stage.standings;
  const el = h('section.s-final.s-stage-final', { 'data-testid': 'final' },
    h('header.s-final-head', h('div.s-final-contest', state.contest.title), h('h1', t('final.title'))),
    h('div.s-final-body',
      h('div.s-podium', { 'data-testid': 'podium' }, step(2, 2), step(1, 1), step(3, 3)),
      h('section.s-units-panel', h('h2', t('stage.final_standings')), standingsTable(state))),
    h('div.s-final-thanks', t('final.thanks')));
  return {
    el,
    // A correction after the end (an appeal): rebuild with the new standings.
    update(s) { return (s.stage && s.stage.standings) !== shown ? 'rebuild' : undefined; },
  };
}
