// The organizer's live view of one contest: the latest snapshot, updated by WebSocket events. The contest page
// owns one of these while it is open, so every tab (setup, run, results) sees the same, current state.

import { connectLive } from '/shared/live.js';
import { api, session } from './common.js';
import { applyStageFrame, stageQuestionOpened, stageQuestionSkipped } from './stage-state.js';

/**
 * createContestLive(id) → ctx
 *   ctx.snap      latest organizer snapshot (contest, rounds, round, question, participants, round_questions,
 *                 device_requests, and in stage rounds `buzzer` and `stage`, …)
 *   ctx.progress  progress of the open question ({round_id, index, answered, joined, missing}); the server sends
 *                 counts and the ids that answered since its last tick, and `missing` is derived here from the
 *                 participant list, so no event ever carries the whole list
 *   ctx.conn      'connecting' | 'open' | 'closed' | 'denied' | 'replaced'
 *   ctx.on(fn)    fn(kind, msg) after every change; returns an unsubscribe function
 */
export function createContestLive(id) {
  const listeners = new Set();
  const ctx = {
    id,
    snap: null,
    progress: null,
    /** Ids that answered the open question (from the snapshot, then from each `progress` delta). */
    answered: new Set(),
    examProgress: null,
    conn: 'connecting',
    error: null,
    on(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    serverNow: () => Date.now(),
    /** Run a control action; the new state arrives as a snapshot. */
    async control(action, extra = {}) {
      const snap = await api.post(`/api/contests/${id}/control`, { action, ...extra });
      // The response is the state right after the action: show it at once, then resync over the socket so that
      // any event which overtook the response is applied in order again.
      apply({ ...snap, type: 'snapshot' });
      requestSnapshot();
      return snap;
    },
    /** Ask for a fresh snapshot (over the socket when it is open, else over HTTP). */
    async resync() {
      if (requestSnapshot()) return;
      try {
        apply({ ...(await api.get(`/api/contests/${id}`)), type: 'snapshot' });
      } catch (err) {
        ctx.error = err;
        emit('error', err);
      }
    },
    close() {
      clearTimeout(snapshotTimer);
      live.close();
    },
  };

  // The server answers a socket's snapshot requests within its frame budget (a burst, then about one a second)
  // and drops the rest. A request that got no snapshot is asked again, so a quick run of actions (a host on the
  // keyboard) never leaves the console on a state that an overtaking frame changed, nor a new round unlisted.
  const SNAPSHOT_RETRY_MS = 1500;
  let snapshotTimer = null;
  function requestSnapshot() {
    clearTimeout(snapshotTimer);
    if (!live.send({ type: 'snapshot' })) return false;
    snapshotTimer = setTimeout(() => { snapshotTimer = null; ctx.resync(); }, SNAPSHOT_RETRY_MS);
    return true;
  }

  function emit(kind, msg) {
    for (const fn of listeners) fn(kind, msg);
  }

  function roundIndex(roundId) {
    return ctx.snap ? ctx.snap.rounds.findIndex((r) => r.id === roundId) : -1;
  }

  function setRound(round) {
    const s = ctx.snap;
    const i = roundIndex(round.id);
    if (i >= 0) s.rounds[i] = round;
    s.round = round;
  }

  function setQuestionState(roundId, index, state) {
    const s = ctx.snap;
    if (s.round && s.round.id === roundId && Array.isArray(s.round_questions)) {
      const q = s.round_questions.find((x) => x.index === index);
      if (q) q.state = state;
    }
    if (s.question && s.question.round_id === roundId && s.question.index === index) s.question.state = state;
  }

  /** Joined participants who have not answered the open question, as the console lists them. */
  function missingList() {
    const list = (ctx.snap && ctx.snap.participants) || [];
    const missing = [];
    for (const p of list) {
      if (p.joined && !ctx.answered.has(p.id)) missing.push({ id: p.id, name: p.name, unit: p.unit });
      if (missing.length >= 500) break;
    }
    return missing;
  }

  /** Merge changed participants into the list, by id. */
  function mergeParticipants(changed) {
    const s = ctx.snap;
    if (!Array.isArray(s.participants)) s.participants = [];
    const at = new Map(s.participants.map((p, i) => [p.id, i]));
    for (const p of changed) {
      const i = at.get(p.id);
      if (i === undefined) { at.set(p.id, s.participants.length); s.participants.push(p); } else s.participants[i] = p;
    }
    if (ctx.progress) ctx.progress = { ...ctx.progress, missing: missingList() };
  }

  function apply(msg) {
    const s = ctx.snap;
    if (msg.type === 'snapshot') {
      clearTimeout(snapshotTimer);
      const contest = { ...(s && s.contest), ...msg.contest };
      ctx.snap = { ...msg, contest };
      // Every organizer snapshot carries the pending device changes; keep the last list if one ever does not.
      if (!Array.isArray(msg.device_requests)) ctx.snap.device_requests = (s && s.device_requests) || [];
      if (msg.exam_progress) ctx.examProgress = { ...ctx.examProgress, ...msg.exam_progress };
      // Progress is not part of the snapshot (unless a newer server adds question.progress): keep the last
      // progress event while it belongs to the same question.
      const q = msg.question;
      const same = q && ctx.progress && ctx.progress.round_id === q.round_id && ctx.progress.index === q.index;
      if (q && q.progress) {
        ctx.answered = new Set(q.progress.answered_ids || []);
        ctx.progress = { round_id: q.round_id, index: q.index, ...q.progress };
      } else if (!same) {
        ctx.answered = new Set();
        ctx.progress = null;
      }
      emit('snapshot', msg);
      return;
    }
    if (!s) return;
    switch (msg.type) {
      case 'lobby':
        s.joined_count = msg.joined_count;
        s.roster_count = msg.roster_count;
        s.units = msg.units;
        break;
      case 'participants':
        s.participants = msg.participants;
        if (ctx.progress) ctx.progress = { ...ctx.progress, missing: missingList() };
        break;
      case 'participants_delta':
        mergeParticipants(msg.participants || []);
        break;
      case 'device_requests':
        // The whole list of pending device changes (seats.js shows it).
        s.device_requests = msg.requests || [];
        break;
      case 'contest_state':
        s.contest.state = msg.state;
        if (msg.leaderboard) s.leaderboard = msg.leaderboard;
        break;
      case 'round_started':
        // The new round's questions come with the snapshot asked for below; the last round's are no longer current
        // (unless a snapshot of the new round, the control response, came first).
        if (!s.round || s.round.id !== msg.round.id) s.round_questions = [];
        setRound(msg.round);
        s.question = null;
        ctx.progress = null;
        ctx.examProgress = msg.round.kind === 'exam' ? { started: 0, submitted: 0 } : null;
        ctx.resync(); // for the round's question list
        break;
      case 'question_open':
        s.question = msg.question;
        setQuestionState(msg.question.round_id, msg.question.index, msg.question.state);
        ctx.progress = null;
        ctx.answered = new Set();
        stageQuestionOpened(s, msg);
        break;
      case 'progress': {
        const same = ctx.progress && ctx.progress.round_id === msg.round_id && ctx.progress.index === msg.index;
        if (!same) ctx.answered = new Set();
        for (const id of msg.answered_ids || []) ctx.answered.add(id);
        ctx.progress = { ...msg, missing: missingList() };
        break;
      }
      case 'question_paused':
        if (s.question && s.question.index === msg.index) {
          s.question.state = 'paused';
          s.question.remaining_ms = msg.remaining_ms;
        }
        setQuestionState(msg.round_id, msg.index, 'paused');
        break;
      case 'question_resumed':
        if (s.question && s.question.index === msg.index) {
          s.question.state = 'open';
          s.question.deadline = msg.deadline;
          s.question.remaining_ms = null;
        }
        setQuestionState(msg.round_id, msg.index, 'open');
        break;
      case 'question_skipped':
        setQuestionState(msg.round_id, msg.index, 'skipped');
        stageQuestionSkipped(s, msg);
        break;
      case 'question_closed':
        setQuestionState(msg.result.round_id, msg.result.index, 'closed');
        if (s.question && s.question.round_id === msg.result.round_id && s.question.index === msg.result.index) {
          s.question.result = msg.result;
        }
        break;
      case 'leaderboard':
        s.leaderboard = msg.leaderboard;
        break;
      case 'round_finished':
        setRound(msg.round);
        if (msg.leaderboard) s.leaderboard = msg.leaderboard;
        ctx.resync();
        break;
      case 'exam_progress':
        ctx.examProgress = { started: msg.started, submitted: msg.submitted, joined: msg.joined };
        break;
      default:
        // Stage rounds (compulsory, buzzer, wager, tiebreak): stage-state.js keeps `buzzer` and `stage` current.
        if (!applyStageFrame(s, msg, () => ctx.resync())) return;
    }
    emit(msg.type, msg);
  }

  const live = connectLive({
    token: session.token,
    contest: id,
    onMessage: apply,
    onStatus: (status) => { ctx.conn = status; emit('conn', status); },
  });
  ctx.serverNow = live.serverNow;
  return ctx;
}
