// The big screen (projector). Read-only: it logs in with a display token, listens to the public live events
// and shows what the hall should see now. All state comes from the WebSocket snapshot and the events after it;
// which view is shown is a pure function of that state and the server clock (see pickView).

import { createApi } from '/shared/api.js';
import { connectLive } from '/shared/live.js';
import { t, toggleLang, onLangChange, applyI18n } from '/shared/i18n.js';
import { h, mount, $, store } from '/shared/ui.js';
import './strings.js';
import { lobbyView, introView, examView, messageView } from './lobby.js';
import { questionView, closedView, skippedView } from './question.js';
import { boardView, finalView } from './board.js';
import { stageQuestionView, stageIntroView, stageEndView, stageFinalView } from './stage.js';
import { reduceStage, isStageRound } from '/shared/stage-state.js';

const TOKEN_KEY = 'jingsai.screen.token';
/** How long the answer and distribution stay up before the leaderboard (server ms after closing). */
export const CLOSED_MS = 8000;
/** How long the leaderboard stays up after a round ends, before the lobby (for the next round) returns. */
const ROUND_END_MS = 25000;
/** How long "question skipped" stays up before the round intro returns. */
const SKIPPED_MS = 4000;

const state = {
  contest: null,
  joined: 0,
  roster: 0,
  units: [],             // [{unit, joined, total}] from lobby events
  rounds: [],
  round: null,
  question: null,        // live question view; .result once closed
  answered: null,        // {answered, joined} of the current question
  examProgress: null,    // {started, submitted, joined}
  leaderboard: null,
  prevBoard: null,       // the leaderboard before the latest one (for rank arrows and the reorder animation)
  buzzer: null,          // stage rounds: the current question's buzzer state
  stage: null,           // stage rounds: teams, standings, ledger, turn, wager, tie-break, cuts
  serverInfo: null,      // /api/server-info: offered addresses, the contest's chosen join address
  joinUrl: null,
  serverNow: () => Date.now(),
};

let current = null;      // {key, view}
let live = null;
let everConnected = false;

// ---------------------------------------------------------------- token

function takeToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    store.set(TOKEN_KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
    return fromUrl;
  }
  return store.get(TOKEN_KEY);
}

// ---------------------------------------------------------------- state updates

function boardSignature(board) {
  if (!board) return '';
  const top = (board.top || []).map((e) => `${e.participant_id}:${e.rank}:${e.score}`).join(',');
  const units = (board.units || []).map((u) => `${u.unit}:${u.rank}:${u.score}`).join(',');
  return `${top}|${units}`;
}

function boardsKey() { return state.contest ? `jingsai.screen.boards.${state.contest.id}` : null; }

/** Keep the current object when nothing changed, so views can compare by identity. */
function setBoard(board) {
  if (!board) return;
  if (state.leaderboard && boardSignature(board) === boardSignature(state.leaderboard)) return;
  if (state.leaderboard) state.prevBoard = state.leaderboard;
  state.leaderboard = board;
  // Remembered so that a reloaded screen still shows the moves of the latest leaderboard (see restoreBoards).
  if (boardsKey()) store.set(boardsKey(), { cur: state.leaderboard, prev: state.prevBoard });
}

/**
 * After a reload, the previous leaderboard is known only from what this screen stored: when the snapshot's
 * leaderboard is the one stored as current, the stored previous one is restored (the same moves as before the
 * reload). Otherwise there is no reliable previous leaderboard and the board shows no moves at all, never moves
 * against some older board.
 */
function restoreBoards(board) {
  const saved = store.get(boardsKey());
  state.leaderboard = null;
  state.prevBoard = null;
  if (board && saved && saved.cur && boardSignature(saved.cur) === boardSignature(board)) {
    state.leaderboard = board;
    state.prevBoard = saved.prev || null;
  } else {
    setBoard(board);
  }
}

function setRound(round) {
  if (!round) return;
  state.round = round;
  const i = state.rounds.findIndex((r) => r.id === round.id);
  if (i >= 0) state.rounds[i] = round; else state.rounds.push(round);
}

function unitsKey() { return state.contest ? `jingsai.screen.units.${state.contest.id}` : null; }

function onMessage(msg) {
  // Stage frames (buzzer, team scores, turns, wagers, tie-breaks, cuts), and the stage part of the general ones.
  if (msg.type !== 'snapshot' && reduceStage(state, msg)) {
    // A finished 加赛 settles places and who goes on: a fresh snapshot brings the teams' standing.
    if (msg.type === 'tiebreak_update' && msg.tiebreak && msg.tiebreak.finished && live) live.send({ type: 'snapshot' });
    refresh();
    return;
  }
  switch (msg.type) {
    case 'snapshot': {
      const sameContest = state.contest && state.contest.id === msg.contest.id;
      state.contest = msg.contest;
      state.joined = msg.joined_count;
      state.roster = msg.roster_count;
      state.rounds = msg.rounds || [];
      state.round = msg.round || null;
      const q = msg.question || null;
      if (!q || !state.question || q.round_id !== state.question.round_id || q.index !== state.question.index) {
        state.answered = null;
      }
      state.question = q;
      state.buzzer = msg.buzzer || null;
      state.stage = msg.stage || null;
      if (Array.isArray(msg.units)) state.units = msg.units;           // if the server ever sends them
      else if (!sameContest) state.units = store.get(unitsKey()) || [];
      if (msg.answer_count) state.answered = msg.answer_count;
      if (msg.exam_progress) state.examProgress = { ...msg.exam_progress, joined: msg.joined_count };
      if (!sameContest) restoreBoards(msg.leaderboard);
      else setBoard(msg.leaderboard);
      // On every (re)connect: the join address may have been changed meanwhile.
      loadJoinUrl();
      paintLang();
      break;
    }
    case 'lobby':
      state.joined = msg.joined_count;
      state.roster = msg.roster_count;
      if (Array.isArray(msg.units)) {
        state.units = msg.units;
        if (unitsKey()) store.set(unitsKey(), msg.units);
      }
      break;
    case 'contest_state':
      if (state.contest) state.contest = { ...state.contest, state: msg.state };
      setBoard(msg.leaderboard);
      break;
    case 'round_started':
      // The teams are fixed when the first stage round starts; only a snapshot brings them.
      if (isStageRound(msg.round) && !state.stage && live) live.send({ type: 'snapshot' });
      setRound(msg.round);
      state.question = null;
      state.answered = null;
      state.examProgress = msg.round.kind === 'exam' ? { started: 0, submitted: 0, joined: state.joined } : null;
      break;
    case 'round_finished':
      setRound(msg.round);
      setBoard(msg.leaderboard);
      break;
    case 'question_open':
      state.question = msg.question;
      state.answered = { answered: 0, joined: state.joined };
      break;
    case 'answer_count':
      if (sameQuestion(msg)) state.answered = { answered: msg.answered, joined: msg.joined };
      break;
    case 'question_paused':
      if (sameQuestion(msg)) {
        state.question = { ...state.question, state: 'paused', deadline: null, remaining_ms: msg.remaining_ms };
      }
      break;
    case 'question_resumed':
      if (sameQuestion(msg)) {
        state.question = { ...state.question, state: 'open', deadline: msg.deadline, remaining_ms: null };
      }
      break;
    case 'question_skipped':
      if (sameQuestion(msg)) {
        state.question = { ...state.question, state: 'skipped', skipped_at: msg.server_now ?? state.serverNow() };
      }
      break;
    case 'question_closed':
      if (sameQuestion(msg.result)) {
        state.question = { ...state.question, state: 'closed', result: msg.result };
        state.answered = { answered: msg.result.answered, joined: msg.result.joined };
      }
      break;
    case 'leaderboard':
      setBoard(msg.leaderboard);
      break;
    case 'join_base':
      // The organizer chose another join address in the console.
      state.serverInfo = { ...(state.serverInfo || {}), join_base_url: msg.join_base_url || null };
      setJoinUrl();
      break;
    case 'exam_progress':
      if (!state.round || state.round.id === msg.round_id) {
        state.examProgress = { started: msg.started, submitted: msg.submitted, joined: msg.joined };
      }
      break;
    default:
      return; // personal or organizer events never reach a display; ignore anything unknown
  }
  refresh();
}

function sameQuestion(msg) {
  const q = state.question;
  return !!q && !!msg && q.round_id === msg.round_id && q.index === msg.index;
}

// ---------------------------------------------------------------- join URL

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;
const isLoopbackUrl = (url) => { try { return LOOPBACK_HOST.test(new URL(url).hostname); } catch { return false; } };

/**
 * The join base when the organizer chose none: the public URL, else this page's own address, or the server's
 * first LAN address when the page runs on loopback (phones cannot reach "localhost"). The console's join card
 * applies the same rule (console/share.js), so both show the same link.
 */
export function defaultJoinBase(info, origin = location.origin) {
  if (info && info.public_url) return info.public_url;
  if (!isLoopbackUrl(origin)) return origin;
  const urls = (info && Array.isArray(info.lan_urls)) ? info.lan_urls : [];
  return urls.find((u) => !isLoopbackUrl(u)) || urls[0] || origin;
}

function setJoinUrl() {
  if (!state.contest) return;
  const info = state.serverInfo;
  const base = (info && info.join_base_url) || defaultJoinBase(info);
  state.joinUrl = `${base.replace(/\/$/, '')}/?c=${encodeURIComponent(state.contest.join_code)}`;
  // The small join line of the in-game views (the lobby redraws its QR code in its update).
  for (const el of document.querySelectorAll('.s-foot-url')) el.textContent = state.joinUrl.replace(/^https?:\/\//, '');
}

/** Ask the server for its addresses and the contest's chosen join address, then show the join link. */
async function loadJoinUrl() {
  if (!state.contest) return;
  try {
    state.serverInfo = await api.get('/api/server-info');
  } catch { /* keep what is known; the page's own address is the fallback */ }
  setJoinUrl();
  refresh();
}

// ---------------------------------------------------------------- which view

function allRoundsFinished() {
  return state.rounds.length > 0 && state.rounds.every((r) => r.state === 'finished');
}

export function pickView(now) {
  if (!state.contest) return { key: 'loading' };
  // The podium only once the organizer finished the contest: after the last round a tie-break may follow.
  if (state.contest.state === 'finished') return { key: state.stage ? 'stage-final' : 'final' };
  const r = state.round;
  if (r && r.state === 'running' && isStageRound(r)) return stageKey(r, now);
  if (r && r.state === 'finished' && isStageRound(r)) return { key: `stage-end:${r.id}` };
  if (r && r.state === 'running') {
    if (r.kind === 'exam') return { key: `exam:${r.id}` };
    const q = state.question;
    if (q && q.round_id === r.id) {
      if (q.state === 'open' || q.state === 'paused') return { key: `question:${r.id}:${q.index}` };
      if (q.state === 'closed' && q.result) {
        const closedAt = q.result.closed_at ?? 0;
        if (now < closedAt + CLOSED_MS) return { key: `closed:${r.id}:${q.index}` };
        return { key: `board:${r.id}:${q.index}` };
      }
      if (q.state === 'skipped' && q.skipped_at && now < q.skipped_at + SKIPPED_MS) {
        return { key: `skipped:${r.id}:${q.index}` };
      }
    }
    return { key: `intro:${r.id}` };
  }
  // The end-of-round leaderboard; after the last round it stays up until the contest is finished (or a
  // tie-break round starts) rather than announcing a next round that may never come.
  if (r && r.state === 'finished' && (allRoundsFinished() || (r.finished_at && now < r.finished_at + ROUND_END_MS))) {
    return { key: `roundend:${r.id}` };
  }
  return { key: 'lobby' };
}

/**
 * A stage round: its question (open, then closed with the verdict and the key until the next one), else the round's
 * intro. In a wager round the picking comes back a little after each question closed, while teams still pick.
 */
function stageKey(r, now) {
  const q = state.question;
  if (!q || q.round_id !== r.id) return { key: `stage-intro:${r.id}` };
  const wager = state.stage && state.stage.wager;
  if (r.kind === 'wager' && q.state !== 'open' && wager && wager.next_to_pick != null) {
    const since = q.state === 'closed' && q.result ? q.result.closed_at : q.skipped_at;
    if (!since || now >= since + CLOSED_MS) return { key: `stage-intro:${r.id}` };
  }
  return { key: `stage-q:${r.id}:${q.index}` };
}

function build(key) {
  const kind = key.split(':')[0];
  switch (kind) {
    case 'loading': return messageView({ title: t('screen.loading'), spinner: true });
    case 'lobby': return lobbyView(state);
    case 'intro': return introView(state);
    case 'exam': return examView(state);
    case 'question': return questionView(state);
    case 'closed': return closedView(state);
    case 'skipped': return skippedView(state);
    case 'board': return boardView(state, {
      subtitle: state.question ? t('board.after', { n: state.question.index + 1 }) : '',
    });
    case 'roundend': return boardView(state, { subtitle: t('board.round_end', { round: state.round.title }) });
    case 'final': return finalView(state);
    case 'stage-q': return stageQuestionView(state);
    case 'stage-intro': return stageIntroView(state);
    case 'stage-end': return stageEndView(state);
    case 'stage-final': return stageFinalView(state);
    default: return messageView({ title: key });
  }
}

const stage = $('#stage');

function show(key) {
  if (current && current.view.destroy) current.view.destroy();
  const view = build(key);
  view.el.classList.add('view', 'view-enter');
  mount(stage, view.el);
  current = { key, view };
  if (view.mounted) requestAnimationFrame(() => view.mounted());
}

/** Re-pick the view after a state change: rebuild on a new view, else let the view update in place. */
function refresh() {
  const { key } = pickView(state.serverNow());
  if (!current || current.key !== key) show(key);
  else if (current.view.update && current.view.update(state) === 'rebuild') show(key);
}

function frame() {
  if (current && !current.key.startsWith('message')) {
    const { key } = pickView(state.serverNow());
    if (key !== current.key) show(key);
    else if (current.view.tick) current.view.tick(state.serverNow());
  }
  requestAnimationFrame(frame);
}

// ---------------------------------------------------------------- chrome: language, connection banner

const langButton = $('#lang');
function paintLang() {
  langButton.textContent = t('lang.switch');
  document.title = `${state.contest ? state.contest.title + ' · ' : ''}${t('screen.title')}`;
}
langButton.addEventListener('click', (e) => { toggleLang(); if (e.detail > 0) langButton.blur(); });
onLangChange(() => {
  paintLang();
  if (current && current.rebuild) current.rebuild();
  else if (current) show(current.key);
});

const banner = $('#conn');
function onStatus(status) {
  if (status === 'open') {
    everConnected = true;
    banner.hidden = true;
  } else if (status === 'denied') {
    banner.hidden = true;
    stopWithMessage('screen.denied.title', 'screen.denied.body');
  } else if (everConnected) {
    banner.textContent = t(status === 'connecting' ? 'conn.connecting' : 'conn.closed');
    banner.hidden = false;
  }
}

function stopWithMessage(titleKey, bodyKey) {
  if (live) live.close();
  const view = messageView({ titleKey, bodyKey });
  view.el.classList.add('view', 'view-enter');
  mount(stage, view.el);
  current = { key: `message:${titleKey}`, view, rebuild: () => stopWithMessage(titleKey, bodyKey) };
}

// ---------------------------------------------------------------- start

const token = takeToken();
const api = createApi({ token: () => token });
applyI18n(document);
paintLang();

if (!token) {
  stopWithMessage('screen.no_token.title', 'screen.no_token.body');
} else {
  show('loading');
  live = connectLive({ token, onMessage, onStatus, probe: '/api/server-info' });
  state.serverNow = live.serverNow;
  requestAnimationFrame(frame);
  window.addEventListener('resize', () => { if (current && current.view.mounted) current.view.mounted(); });
}
