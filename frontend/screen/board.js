// Leaderboard (top 10 with rank-change arrows and a smooth reorder from the previous leaderboard), unit
// standings, and the final podium.

import { t } from '/shared/i18n.js';
import { h, formatPoints } from '/shared/ui.js';
import { countUp, fitText } from './parts.js';

const ROWS = 10;
const REORDER_DELAY_MS = 700;

function medalClass(rank) {
  return rank === 1 ? 'gold' : rank === 2 ? 'silver' : rank === 3 ? 'bronze' : '';
}

function arrow(entry, prevRanks, hadPrev) {
  if (!hadPrev) return h('span.s-move.none', { 'data-testid': 'rank-change', dataset: { change: 'none' } }, '');
  const before = prevRanks.get(entry.participant_id);
  if (before == null) {
    return h('span.s-move.up', { 'data-testid': 'rank-change', dataset: { change: 'new' }, 'aria-label': 'up' }, '▲');
  }
  const delta = before - entry.rank;
  if (delta > 0) return h('span.s-move.up', { 'data-testid': 'rank-change', dataset: { change: String(delta) } }, `▲${delta}`);
  if (delta < 0) return h('span.s-move.down', { 'data-testid': 'rank-change', dataset: { change: String(delta) } }, `▼${-delta}`);
  return h('span.s-move.same', { 'data-testid': 'rank-change', dataset: { change: '0' } }, '–');
}

function leaderRow(entry, move) {
  const score = h('b.s-lb-score', formatPoints(entry.score));
  const rank = h('span.s-lb-rank', String(entry.rank));
  const row = h('li.s-lb-row', {
    'data-testid': 'leaderboard-row',
    dataset: { participant: String(entry.participant_id), rank: String(entry.rank) },
    class: medalClass(entry.rank),
  },
  rank,
  h('span.s-lb-who', h('span.s-lb-name', entry.name || ''), h('span.s-lb-unit', entry.unit || '')),
  h('span.s-lb-correct', t('board.correct', { n: entry.correct })),
  score,
  move);
  return { row, score, rank };
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
  top.slice(0, ROWS).forEach((entry, i) => {
    const { row, score, rank } = leaderRow(entry, arrow(entry, prevRanks, hadPrev));
    const from = prevPos.has(entry.participant_id) ? prevPos.get(entry.participant_id) : ROWS + 0.5;
    place(row, from);
    if (!prevPos.has(entry.participant_id)) row.classList.add('incoming');
    list.append(row);
    const before = prevById.get(entry.participant_id);
    moves.push(() => {
      place(row, i);
      row.classList.remove('incoming');
      showRank(row, rank, entry.rank);
      if (before && before.score !== entry.score) countUp(score, before.score, entry.score, 1400, formatPoints);
    });
    if (before) {
      score.textContent = formatPoints(before.score);
      showRank(row, rank, before.rank);
    }
  });
  const kept = new Set(top.slice(0, ROWS).map((e) => e.participant_id));
  for (const gone of prevTop.filter((e) => !kept.has(e.participant_id))) {
    const { row } = leaderRow(gone, h('span.s-move.down', '▼'));
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
  const growers = [];
  const rows = units.map((u) => {
    const fill = h('span.s-un-fill');
    growers.push(() => { fill.style.width = `${max > 0 ? (u.score / max) * 100 : 0}%`; });
    return h('li.s-un-row', { 'data-testid': final ? 'final-unit-row' : 'unit-row', dataset: { unit: u.unit, rank: String(u.rank) }, class: medalClass(u.rank) },
      h('span.s-un-rank', String(u.rank)),
      h('span.s-un-name', u.unit),
      h('span.s-un-bar', fill),
      h('b.s-un-score', formatPoints(u.score)));
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
  return { panel, list, grow };
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
      fitText(units.list, 0.4, 1.1);
      play(board, prev);
    },
    mounted() { fitText(units.list, 0.4, 1.1); },
    destroy() { clearTimeout(timer); },
  };
}

// ---------------------------------------------------------------- final podium

function podiumStep(entry, slot) {
  if (!entry) return h('div.s-pod.empty', { class: `p${slot}` });
  return h('div.s-pod', { class: `p${slot} ${medalClass(entry.rank)}`, 'data-testid': 'podium-place', dataset: { rank: String(entry.rank), participant: String(entry.participant_id) } },
    h('div.s-pod-person',
      h('div.s-pod-medal', String(entry.rank)),
      h('div.s-pod-name', entry.name || ''),
      h('div.s-pod-unit', entry.unit || ''),
      h('div.s-pod-score', formatPoints(entry.score), h('small', ` ${t('unit.points')}`))),
    h('div.s-pod-block', h('span', t(`final.place${Math.min(3, entry.rank)}`))));
}

export function finalView(state) {
  const shown = state.leaderboard;
  const board = shown || { top: [], units: [] };
  const top = board.top || [];
  const units = unitsPanel(board, { final: true });
  const el = h('section.s-final', { 'data-testid': 'final' },
    h('header.s-final-head',
      h('div.s-final-contest', state.contest.title),
      h('h1', t('final.title'))),
    h('div.s-final-body',
      h('div.s-podium', { 'data-testid': 'podium' },
        podiumStep(top[1], 2), podiumStep(top[0], 1), podiumStep(top[2], 3)),
      units.panel),
    h('div.s-final-thanks', t('final.thanks')));
  let timer = null;
  return {
    el,
    mounted() {
      fitText(units.list, 0.4, 1.1);
      clearTimeout(timer);
      timer = setTimeout(units.grow, 1800);
    },
    // A late adjustment after finishing: ask the app for a rebuild when the standings changed.
    update(s) { return s.leaderboard && s.leaderboard !== shown ? 'rebuild' : undefined; },
    destroy() { clearTimeout(timer); },
  };
}
