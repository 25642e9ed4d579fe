// The participant phone app: session, live connection, screen switching. Screens are built from the latest
// state (snapshot + events, see state.js); a screen whose identity key did not change is updated in place so
// that typing, focus and scroll survive the frequent events of a contest.

import { createApi } from '/shared/api.js';
import { connectLive } from '/shared/live.js';
import { t, toggleLang, onLangChange, getLang } from '/shared/i18n.js';
import { h, mount, $, store } from '/shared/ui.js';
import './strings.js';
import { createOutbox } from './outbox.js';
import { createCalls } from './calls.js';
import { reduce, screenFor, pointValues } from './state.js';
import { notePoints, resetPoints, pointsPlaces } from './question.js';
import { joinScreen } from './join.js';
import { waitScreen, finalScreen } from './wait.js';
import { liveScreen } from './live.js';
import { examScreen } from './exam.js';
import { reviewScreen } from './review.js';
import { stageScreen } from './stage.js';
import { isStageRound } from '/shared/stage-state.js';

const SESSION_KEY = 'jingsai.play.session';
const main = $('#app');
const banner = $('.conn-banner');
const titleEl = $('#contest-title');

const params = new URLSearchParams(location.search);
const urlCode = (params.get('c') || params.get('code') || '').trim();

const app = {
  session: store.get(SESSION_KEY),
  state: null,
  conn: 'idle',
  live: null,
  outbox: null,
  /** Why the participant is back at the join form (translated note), if they were signed out. */
  signedOutReason: null,
  lang: getLang,
  serverNow: () => (app.live ? app.live.serverNow() : Date.now()),
  render,
  signIn,
  signOut,
  refresh,
};

app.api = createApi({
  token: () => (app.session ? app.session.token : null),
  onUnauthorized: (err) => signOut(err.code),
});
/** Answers and the exam paper: over the live socket when it is open, else over HTTP. */
app.calls = createCalls({
  api: app.api,
  live: () => app.live,
  onUnauthorized: (err) => signOut(err.code),
});

// ---------------------------------------------------------------------------------------------------------
// Session

function signIn(joined) {
  app.session = {
    token: joined.token,
    contest_id: joined.contest_id,
    participant_id: joined.participant_id,
    name: joined.name,
    unit: joined.unit,
    code: joined.code,
    title: joined.title,
    badge: joined.badge || null,
  };
  store.set(SESSION_KEY, app.session);
  app.signedOutReason = null;
  connect();
}

function signOut(code) {
  if (!app.session) return;
  const lastCode = app.session.code;
  app.lastBadge = app.session.badge || (app.state && app.state.me && app.state.me.badge) || null;
  if (app.live) app.live.close();
  if (app.outbox) app.outbox.stop();
  app.live = null;
  app.outbox = null;
  app.state = null;
  app.session = null;
  store.remove(SESSION_KEY);
  resetPoints();
  app.signedOutReason = code || 'token_expired';
  app.lastCode = lastCode;
  setBanner(null);
  render();
}

function connect() {
  const session = app.session;
  app.outbox = createOutbox({
    send: (body) => app.calls.answer(body),
    storageKey: `jingsai.play.outbox.${session.participant_id}`,
    onChange: () => scheduleRender(),
    onUnauthorized: (err) => signOut(err.code),
  });
  app.state = null;
  render();
  // A quick first state (and a quick answer if the token is no longer valid); the socket follows.
  app.api.get('/api/me').then((snap) => {
    if (app.session === session && !app.state) apply(snap);
  }).catch(() => { /* 401 signs out via onUnauthorized; otherwise the socket will bring the state */ });
  app.live = connectLive({
    token: session.token,
    onMessage: (msg) => { if (app.session === session) apply(msg); },
    onStatus: (status, msg) => { if (app.session === session) onStatus(status, msg); },
  });
}

function onStatus(status, msg) {
  app.conn = status;
  if (status === 'open') {
    setBanner(null);
    app.outbox.flush();
  } else if (status === 'replaced') {
    // The organizer moved the seat to another phone, or this phone joined again in another page.
    signOut(msg && msg.reason === 'seat_moved' ? 'seat_moved' : 'session_replaced');
  } else if (status === 'denied') {
    // Ask why (replaced or expired); onUnauthorized signs out with the server's reason.
    app.api.get('/api/me').then(() => signOut('token_expired')).catch((err) => {
      if (err.status !== 401) signOut('token_expired');
    });
  } else {
    setBanner(status === 'connecting' && !app.state ? t('conn.connecting') : t('conn.closed'));
  }
}

function setBanner(text) {
  banner.hidden = !text;
  banner.textContent = text || '';
  document.body.classList.toggle('offline', !!text);
}

function apply(msg) {
  if (msg.type === 'session_replaced') return; // onStatus('replaced') follows
  // Replies to this phone's own requests (calls.js) change nothing here; a late one, after its request gave up,
  // is simply dropped.
  const replies = ['pong', 'error', 'answer_ack', 'answer_error', 'exam_paper', 'exam_submitted', 'exam_error',
    'buzz_ack', 'buzz_error'];
  if (replies.includes(msg.type)) return;
  const before = app.state;
  app.state = reduce(app.state, msg.type ? msg : { ...msg, type: 'snapshot' });
  if (app.state && app.state.me && app.state.me.of == null && app.state.leaderboard) {
    app.state.me.of = app.state.leaderboard.participants;
  }
  if (msg.type === 'round_finished' && msg.round && msg.round.kind === 'exam') app.outbox.drop(msg.round.id);
  if (msg.type === 'round_started' && isStageRound(msg.round)) askForTeams();
  // A finished 加赛 settles places and who goes on: the teams' standing comes with a fresh snapshot.
  if (msg.type === 'tiebreak_update' && msg.tiebreak && msg.tiebreak.finished) askForTeams({ always: true });
  notePoints(pointValues(app.state), app.state && app.state.boardDecimals);
  if (before !== app.state || msg.type) scheduleRender();
}

/**
 * The teams are fixed when the first stage round starts, and only a snapshot says which one is this phone's (and
 * carries the stage object): ask for one once the round has started, unless it is known already (and after a
 * 加赛 has finished: who is still in). The phones of a hall ask within half a second of each other, not all at once.
 */
function askForTeams({ always = false } = {}) {
  const s = app.state;
  if (!always && s && s.stage && s.me && s.me.team != null) return;
  const session = app.session;
  setTimeout(() => {
    if (app.session !== session) return;
    if (!(app.live && app.live.send({ type: 'snapshot' }))) refresh().catch(() => {});
  }, Math.random() * 500);
}

/** A fresh snapshot over HTTP (e.g. the whole contest's review once it has finished). */
function refresh() {
  const session = app.session;
  return app.api.get('/api/me').then((snap) => {
    if (app.session === session) apply(snap);
    return snap;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Screens

let current = null; // { key, screen }
let renderQueued = false;

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(() => { renderQueued = false; render(); });
}

function pick() {
  if (!app.session) {
    const reason = app.signedOutReason;
    const code = urlCode || app.lastCode || '';
    return {
      key: `join|${reason}|${getLang()}`,
      make: () => joinScreen(app, {
        code, badge: app.lastBadge, note: reason ? t(`play.signed_out.${reason}`) : null,
      }),
    };
  }
  const which = screenFor(app.state);
  // A change of the decimals shown for points (once per session at most) rebuilds the screen, like a language.
  const key = `${which.key}|${getLang()}|${pointsPlaces()}`;
  switch (which.name) {
    case 'loading': return { key, make: loadingScreen };
    case 'wait': return { key, make: () => waitScreen(app, which.phase) };
    case 'live': return { key, make: () => liveScreen(app) };
    case 'exam': return { key, make: () => examScreen(app) };
    case 'review': return { key, make: () => reviewScreen(app) };
    case 'stage': return { key, make: () => stageScreen(app) };
    case 'final': return { key, make: () => finalScreen(app) };
    default: return { key, make: loadingScreen };
  }
}

function loadingScreen() {
  return {
    el: h('section.loading-screen', { 'data-testid': 'loading' },
      h('span.spinner.big', { 'aria-hidden': 'true' }), h('p', t('play.loading'))),
  };
}

function render() {
  const { key, make } = pick();
  updateChrome();
  if (current && current.key === key) {
    if (current.screen.update) current.screen.update();
    return;
  }
  if (current && current.screen.destroy) current.screen.destroy();
  const screen = make();
  const changedKind = !current || current.key.split(/[:|]/)[0] !== key.split(/[:|]/)[0];
  current = { key, screen };
  mount(main, screen.el);
  if (screen.update) screen.update();
  if (changedKind) window.scrollTo(0, 0);
  else if (key.startsWith('live:') || key.startsWith('stage:')) window.scrollTo({ top: 0, behavior: 'smooth' });
}

function updateChrome() {
  const title = (app.state && app.state.contest && app.state.contest.title) || (app.session && app.session.title) || '';
  titleEl.textContent = title || t('play.app_name');
  document.title = title ? `${title} · ${t('play.app_name')}` : t('play.app_name');
  const langBtn = $('[data-testid="lang-toggle"]');
  langBtn.textContent = t('lang.switch');
  langBtn.setAttribute('aria-label', t('play.switch_lang'));
  $('#brand-name').textContent = t('play.brand');
}

// ---------------------------------------------------------------------------------------------------------
// Tab switches: leaving the page while a round runs is reported (counted and shown to the organizer).

document.addEventListener('visibilitychange', () => {
  if (!document.hidden || !app.session || !app.state) return;
  const round = app.state.round;
  if (!round || round.state !== 'running' || app.state.contest.state !== 'running') return;
  if (!(app.live && app.live.send({ type: 'tab_switch' }))) {
    app.api.post('/api/tab-switch').catch(() => {});
  }
});

$('[data-testid="lang-toggle"]').addEventListener('click', () => toggleLang());
onLangChange(() => {
  if (current && current.screen.destroy) current.screen.destroy();
  current = null;
  render();
});

// ---------------------------------------------------------------------------------------------------------
// Start: with a stored session for this code (or no code in the URL), go straight in.

if (app.session && app.session.token && (!urlCode || urlCode === app.session.code)) {
  connect();
} else {
  if (app.session && urlCode && urlCode !== app.session.code) app.session = null; // a different contest
  render();
}
