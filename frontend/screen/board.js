// Leaderboard (top 10 with rank-change arrows, the tie-break that ordered equal scores, and a smooth reorder from
// the previous leaderboard), unit standings, and the final podium.

import { t } from '/shared/i18n.js';
import { h, formatPoints, pointsDecimals } from '/shared/ui.js';
import { countUp, fitText } from './parts.js';

const ROWS = 10;
const REORDER_DELAY_MS = 700;

function medalClass(rank) {
  return rank === 1 ? 'gold' : rank === 2 ? 'silver' : rank === 3 ? 'bronze' : '';
}

/**
 * The rank change of `entry` since the previous leaderboard: ▲n / ▼n, "new" (not in the previous top), "–"
 * (same place), or nothing when there is no previous leaderboard to compare with.
 */
function arrow(entry, prevRanks, hadPrev) {
  const move = (cls, change, text, label = null) => h(`span.s-move.${cls}`,
    { 'data-testid': 'rank-change', dataset: { change }, ...(label ? { 'aria-label': label } : {}) }, text);
  if (!hadPrev) return move('none', 'none', '');
  const before = prevRanks.get(entry.participant_id);
  if (before == null) return move('new', 'new', t('board.new'), t('board.new_label'));
  const delta = before - entry.rank;
  if (delta > 0) return move('up', String(delta), `▲${delta}`);
  if (delta < 0) return move('down', String(delta), `▼${-delta}`);
  return move('same', '0', '–');
}

/**
 * Decimals for the answer times of a tie group: one, or as many (up to three) as it takes to tell apart times
 * that differ, so that "51.2 s" never stands above an equal-looking "51.2 s" that lost.
 */
function timeDecimals(group) {
  for (const d of [1, 2]) {
    const clash = group.some((e, i) => i > 0 && e.answer_time_ms !== group[i - 1].answer_time_ms
      && (e.answer_time_ms / 1000).toFixed(d) === (group[i - 1].answer_time_ms / 1000).toFixed(d));
    if (!clash) return d;
  }
  return 3;
}
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/**
 * What decided the order among equal scores, per participant: for every row whose score equals a neighbour's,
 * the value of the deciding criterion (answer time, finish time) and, on the rows a tie-break placed below the
 * one above, "tie" (or "tied" for a shared place). Rows with a score of their own get nothing. The criteria and
 * their order are the ranking's (docs/scoring.md); `decided_by` comes with every leaderboard entry.
 */
export function tieBreaks(top) {
  const out = new Map();
  let i = 0;
  while (i < top.length) {
    let j = i + 1;
    while (j < top.length && top[j].score === top[i].score) j++;
    if (j - i > 1) {
      const group = top.slice(i, j);
      const lower = new Set(group.slice(1).map((e) => e.decided_by));
      const decimals = timeDecimals(group);
      for (const e of group) {
        let value = '';
        if (lower.has('answer_time')) value = t('board.tb.time', { s: ((e.answer_time_ms ?? 0) / 1000).toFixed(decimals) });
        else if (lower.has('finish_time')) value = e.finished_at ? t('board.tb.finish', { time: clock(e.finished_at) }) : '';
        else if (e.decided_by === 'correct_count') value = t('board.tb.by_correct');
        const prefix = e.decided_by === 'tied' ? t('board.tb.tied')
          : (e !== group[0] && e.decided_by !== 'score') ? t('board.tb.tie') : '';
        const text = [prefix, value].filter(Boolean).join(' · ');
        if (text) out.set(e.participant_id, { text, by: e.decided_by });
      }
    }
    i = j;
  }
  return out;
}

function leaderRow(entry, move, decimals, tie = null) {
  const score = h('b.s-lb-score', formatPoints(entry.score, decimals));
  const rank = h('span.s-lb-rank', String(entry.rank));
  const row = h('li.s-lb-row', {
    'data-testid': 'leaderboard-row',
    dataset: { participant: String(entry.participant_id), rank: String(entry.rank), decidedBy: entry.decided_by || '' },
    class: medalClass(entry.rank),
  },
  rank,
  h('span.s-lb-who', h('span.s-lb-name', { title: entry.name || '' }, entry.name || ''), h('span.s-lb-unit', entry.unit || '')),
  h('span.s-lb-correct',
    h('span', t('board.correct', { n: entry.correct })),
    tie ? h('span.s-lb-tb', { 'data-testid': 'tie-break', dataset: { by: tie.by } }, tie.text) : null),
  score,
  move);
  return { row, score, rank };
}

const NAME_REM = 2.7;
const NAME_MIN_REM = 1.4;

/**
 * Long names: the unit beside the name gives way first (CSS); a name that still does not fit gets smaller type
 * (down to NAME_MIN_REM), and a unit that would show only in part is left out. Needs the rows in the document.
 */
export function fitNames(list) {
  if (!list || !list.isConnected) return;
  for (const row of list.querySelectorAll('.s-lb-row')) {
    const name = row.querySelector('.s-lb-name');
    const unit = row.querySelector('.s-lb-unit');
    if (!name) continue;
    unit.hidden = false;
    let size = NAME_REM;
    name.style.fontSize = '';
    while (name.scrollWidth > name.clientWidth + 1 && size > NAME_MIN_REM) {
      size = Math.max(NAME_MIN_REM, size - 0.1);
      name.style.fontSize = `${size.toFixed(1)}rem`;
    }
    if (unit.scrollWidth > unit.clientWidth + 1) unit.hidden = true;
  }
}

/**
 * The unit standings fit their panel: smaller type first (down to 0.55), then, for a long list, the leading
 * units and a last line "N more units" (the organizer's results have them all). Needs the list in the document.
 */
function fitUnitList(units) {
  const { list, rows } = units;
  if (!list.isConnected || !rows.length) return;
  list.replaceChildren(...rows);
  fitText(list, 0.55, 1.1);
  const over = () => list.scrollHeight > list.clientHeight + 1;
  for (let shown = rows.length - 1; shown > 0 && over(); shown--) {
    list.replaceChildren(...rows.slice(0, shown),
      h('li.s-un-row.s-un-more', { 'data-testid': 'unit-more' },
        h('span'), h('span.s-un-name', t('board.more_units', { n: rows.length - shown })), h('span')));
  }
}

/** Podium names: whole, on at most two lines; a long one gets smaller type. Needs the podium in the document. */
function fitPodiumNames(root) {
  for (const name of root.querySelectorAll('.s-pod-name')) {
    name.style.fontSize = '';
    const base = parseFloat(getComputedStyle(name).fontSize);
    const lineHeight = parseFloat(getComputedStyle(name).lineHeight) / base;
    let px = base;
    // Lines from the layout height (glyphs of bold CJK type reach a little beyond their line boxes).
    const fits = () => name.scrollWidth <= name.clientWidth + 1 && name.clientHeight <= 2.5 * lineHeight * px;
    while (!fits() && px > base * 0.45) {
      px *= 0.92;
      name.style.fontSize = `${px.toFixed(1)}px`;
    }
  }
}

/** Show a row with the rank it had (medal colour included) until it moves to its new place. */
function showRank(row, rankEl, rank) {
  rankEl.textContent = String(rank);
  row.classList.remove('gold', 'silver', 'bronze');
  const medal = medalClass(rank);
  if (medal) row.classList.add(medal);
}

const place = (row, pos) => { row.style.transform = `translateY(${pos * 100}%)`; };

/**
 * Fill `list` with the rows of `board`, starting from where they stood in `prev` and moving to their new
 * places (transform transitions), scores counting up.
 */
function renderLeaders(list, board, prev) {
  const top = (board && board.top) || [];
  // A board where nobody has scored yet (before the first question) is no reference for rank changes.
  const prevTop = (prev && prev.top && prev.top.some((e) => e.score !== 0 || e.correct > 0)) ? prev.top : [];
  const prevPos = new Map(prevTop.map((e, i) => [e.participant_id, i]));
  const prevById = new Map(prevTop.map((e) => [e.participant_id, e]));
  const prevRanks = new Map(prevTop.map((e) => [e.participant_id, e.rank]));
  const hadPrev = prevTop.length > 0;
  list.replaceChildren();
  if (!top.length) {
    list.append(h('li.s-lb-empty', t('board.empty')));
    return () => {};
  }
  const moves = [];
  const shown = top.slice(0, ROWS);
  // One number of decimals for the whole column (83.00 beside 114.01), the previous board's scores included
  // since rows count up from them.
  const decimals = pointsDecimals([...shown, ...prevTop].map((e) => e.score));
  const fmt = (v) => formatPoints(v, decimals);
  const ties = tieBreaks(shown);
  shown.forEach((entry, i) => {
    const { row, score, rank } = leaderRow(entry, arrow(entry, prevRanks, hadPrev), decimals, ties.get(entry.participant_id));
    const from = prevPos.has(entry.participant_id) ? prevPos.get(entry.participant_id) : ROWS + 0.5;
    place(row, from);
    if (!prevPos.has(entry.participant_id)) row.classList.add('incoming');
    list.append(row);
    const before = prevById.get(entry.participant_id);
    moves.push(() => {
      place(row, i);
      row.classList.remove('incoming');
      showRank(row, rank, entry.rank);
      if (before && before.score !== entry.score) countUp(score, before.score, entry.score, 1400, fmt);
    });
    if (before) {
      score.textContent = fmt(before.score);
      showRank(row, rank, before.rank);
    }
  });
  const kept = new Set(shown.map((e) => e.participant_id));
  for (const gone of prevTop.filter((e) => !kept.has(e.participant_id))) {
    const { row } = leaderRow(gone, h('span.s-move.down', '▼'), decimals);
    place(row, prevPos.get(gone.participant_id));
    list.append(row);
    row.removeAttribute('data-testid');
    moves.push(() => { place(row, ROWS + 0.5); row.classList.add('leaving'); });
  }
  return () => moves.forEach((m) => m());
}

function unitRows(board, { final = false } = {}) {
  const units = (board && board.units) || [];
  const max = Math.max(0, ...units.map((u) => u.score));
  const decimals = pointsDecimals(units.map((u) => u.score));
  const growers = [];
  const rows = units.map((u) => {
    const fill = h('span.s-un-fill');
    growers.push(() => { fill.style.width = `${max > 0 ? (u.score / max) * 100 : 0}%`; });
    return h('li.s-un-row', { 'data-testid': final ? 'final-unit-row' : 'unit-row', dataset: { unit: u.unit, rank: String(u.rank) }, class: medalClass(u.rank) },
      h('span.s-un-rank', String(u.rank)),
      h('span.s-un-name', { title: u.unit }, u.unit),
      h('span.s-un-bar', fill),
      h('b.s-un-score', formatPoints(u.score, decimals)));
  });
  return { rows, grow: () => growers.forEach((g) => g()) };
}

function unitsPanel(board, opts = {}) {
  const mean = board && board.unit_scoring === 'mean';
  const { rows, grow } = unitRows(board, opts);
  const list = h('ol.s-un-list', rows);
  list.classList.toggle('many', rows.length > 10);
  const panel = h('section.s-units-panel', { 'data-testid': opts.final ? 'final-units' : 'unit-standings' },
    h('h2', t(opts.final ? 'final.units' : 'board.units'), h('small', t(mean ? 'board.units_mean' : 'board.units_sum'))),
    list);
  return { panel, list, rows, grow };
}

// ---------------------------------------------------------------- leaderboard view

export function boardView(state, { subtitle = '' } = {}) {
  let board = state.leaderboard;
  const list = h('ol.s-lb-list', { 'data-testid': 'leaderboard' });
  let units = unitsPanel(board);
  const left = h('section.s-lb-panel', list);
  const el = h('section.s-board', { 'data-testid': 'board' },
    h('header.s-board-head',
      h('h1', t('board.title')),
      subtitle ? h('span.s-board-sub', subtitle) : null,
      h('span.spacer'),
      h('span.s-contest', state.contest.title)),
    h('div.s-board-body', left, units.panel));

  let timer = null;
  const play = (b, prev) => {
    const go = renderLeaders(list, b, prev);
    fitNames(list);
    clearTimeout(timer);
    timer = setTimeout(() => { go(); units.grow(); }, REORDER_DELAY_MS);
  };
  play(board, state.prevBoard);

  return {
    el,
    update(s) {
      if (s.leaderboard === board) return;
      const prev = board;
      board = s.leaderboard;
      const next = unitsPanel(board);
      units.panel.replaceWith(next.panel);
      units = next;
      fitUnitList(units);
      play(board, prev);
    },
    mounted() { fitUnitList(units); fitNames(list); },
    destroy() { clearTimeout(timer); },
  };
}

// ---------------------------------------------------------------- final podium

function podiumStep(entry, slot, decimals) {
  if (!entry) return h('div.s-pod.empty', { class: `p${slot}` });
  return h('div.s-pod', { class: `p${slot} ${medalClass(entry.rank)}`, 'data-testid': 'podium-place', dataset: { rank: String(entry.rank), participant: String(entry.participant_id) } },
    h('div.s-pod-person',
      h('div.s-pod-medal', String(entry.rank)),
      h('div.s-pod-name', { title: entry.name || '' }, entry.name || ''),
      h('div.s-pod-unit', entry.unit || ''),
      h('div.s-pod-score', formatPoints(entry.score, decimals), h('small', ` ${t('unit.points')}`))),
    h('div.s-pod-block', h('span', t(`final.place${Math.min(3, entry.rank)}`))));
}

export function finalView(state) {
  const shown = state.leaderboard;
  const board = shown || { top: [], units: [] };
  const top = board.top || [];
  const decimals = pointsDecimals(top.slice(0, 3).map((e) => e.score));
  const units = unitsPanel(board, { final: true });
  const el = h('section.s-final', { 'data-testid': 'final' },
    h('header.s-final-head',
      h('div.s-final-contest', state.contest.title),
      h('h1', t('final.title'))),
    h('div.s-final-body',
      h('div.s-podium', { 'data-testid': 'podium' },
        podiumStep(top[1], 2, decimals), podiumStep(top[0], 1, decimals), podiumStep(top[2], 3, decimals)),
      units.panel),
    h('div.s-final-thanks', t('final.thanks')));
  let timer = null;
  return {
    el,
    mounted() {
      fitUnitList(units);
      fitPodiumNames(el);
      clearTimeout(timer);
      timer = setTimeout(units.grow, 1800);
    },
    // A late adjustment after finishing: ask the app for a rebuild when the standings changed.
    update(s) { return s.leaderboard && s.leaderboard !== shown ? 'rebuild' : undefined; },
    destroy() { clearTimeout(timer); },
  };
}
