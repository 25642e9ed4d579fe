// The stage part of the organizer's live state: applies the frames of stage rounds (docs/protocol.md "Buzzer
// rounds") to the snapshot's `buzzer` state and `stage` object, so the stage panel always draws from one place.
// A reconnect brings a whole snapshot, which replaces both; these functions only keep them current in between.

/** Round kinds played between teams on a stage (scored in the team ledger). */
export const STAGE_KINDS = ['compulsory', 'buzzer', 'wager', 'tiebreak'];

export const isStageKind = (kind) => STAGE_KINDS.includes(kind);

/** Kinds whose questions are won by buzzing (the organizer arms the buzzer). */
export const BUZZ_KINDS = ['buzzer', 'tiebreak'];

/** The buzzer state of question (round_id, index), when the snapshot holds that question's. */
function buzzerOf(s, roundId, index) {
  const b = s.buzzer;
  return b && b.round_id === roundId && b.index === index ? b : null;
}

/** A `question_open` of a stage round carries the question's buzzer state (and, in a compulsory round, whose turn it is). */
export function stageQuestionOpened(s, msg) {
  if (msg.buzzer) s.buzzer = msg.buzzer;
  if (msg.turn !== undefined && s.stage) s.stage.turn = msg.turn;
}

/** A skipped stage question: its buzzer state ends in phase `skipped`. */
export function stageQuestionSkipped(s, msg) {
  const b = buzzerOf(s, msg.round_id, msg.index);
  if (b) {
    b.phase = 'skipped';
    b.floor = null;
    b.floor_unit = null;
  }
}

/** Mark the ledger entries that the new `undo_of` entries take back. */
function applyEntries(stage, entries) {
  if (!Array.isArray(stage.ledger)) stage.ledger = [];
  const byId = new Map(stage.ledger.map((e) => [e.id, e]));
  for (const entry of entries) {
    if (byId.has(entry.id)) continue;
    stage.ledger.push(entry);
    byId.set(entry.id, entry);
  }
  for (const entry of entries) {
    if (entry.undoes == null) continue;
    const undone = byId.get(entry.undoes);
    if (undone) undone.undone_by = entry.id;
  }
  stage.ledger.sort((a, b) => a.id - b.id);
}

/** Keep the standings' `active` flags in step with the teams (a `stage_cut` eliminates some). */
function syncActive(stage) {
  if (!Array.isArray(stage.teams) || !Array.isArray(stage.standings)) return;
  const active = new Map(stage.teams.map((t) => [t.id, t.active !== false]));
  for (const row of stage.standings) if (active.has(row.team)) row.active = active.get(row.team);
}

/**
 * Apply one stage frame to the snapshot `s`. Returns true when the frame was a stage frame (handled), false for
 * any other type. `resync()` is called when the frame refers to state the snapshot does not hold yet.
 */
export function applyStageFrame(s, msg, resync) {
  switch (msg.type) {
    case 'buzzer_armed': {
      const b = buzzerOf(s, msg.round_id, msg.index);
      if (!b) { resync(); return true; }
      b.phase = 'armed';
      b.window = msg.window;
      b.window_deadline = msg.deadline;
      b.eligible = msg.eligible || b.eligible;
      b.floor = null;
      b.floor_unit = null;
      b.floor_deadline = null;
      return true;
    }
    case 'buzz_order': {
      const b = buzzerOf(s, msg.round_id, msg.index);
      if (!b) { resync(); return true; }
      b.order = msg.order || [];
      b.queue = msg.queue || [];
      b.locked_out = msg.locked_out || [];
      return true;
    }
    case 'buzzer_floor': {
      const b = buzzerOf(s, msg.round_id, msg.index);
      if (!b) { resync(); return true; }
      b.phase = 'answering';
      b.floor = msg.team;
      b.floor_unit = msg.unit;
      b.floor_deadline = msg.deadline;
      b.window_deadline = null;
      b.queue = msg.queue || [];
      b.answered = msg.answered || b.answered || [];
      return true;
    }
    case 'buzzer_judged': {
      const b = buzzerOf(s, msg.round_id, msg.index);
      if (!b) { resync(); return true; }
      b.judgements = [...(b.judgements || []), msg.judgement];
      // The floor holder has answered; what follows (floor, reopening or result) comes in the next frame.
      if (b.floor === msg.judgement.team) {
        b.floor = null;
        b.floor_unit = null;
        b.floor_deadline = null;
      }
      if (msg.judgement.verdict !== 'right' && !(b.answered || []).includes(msg.judgement.team)) {
        b.answered = [...(b.answered || []), msg.judgement.team];
      }
      return true;
    }
    case 'buzzer_result': {
      const r = msg.result;
      const b = buzzerOf(s, msg.round_id, msg.index);
      if (b) {
        b.phase = 'closed';
        b.outcome = r.outcome;
        b.order = r.order || b.order;
        b.judgements = r.judgements || b.judgements;
        b.floor = null;
        b.floor_unit = null;
        b.floor_deadline = null;
        b.window_deadline = null;
      }
      if (s.question && s.question.round_id === msg.round_id && s.question.index === msg.index) {
        s.question.state = 'closed';
        s.question.result = r;
      }
      if (s.round && s.round.id === msg.round_id && Array.isArray(s.round_questions)) {
        const q = s.round_questions.find((x) => x.index === msg.index);
        if (q) q.state = 'closed';
      }
      return true;
    }
    case 'team_scores': {
      if (!s.stage) { resync(); return true; }
      s.stage.standings = msg.standings || s.stage.standings;
      applyEntries(s.stage, msg.entries || []);
      syncActive(s.stage);
      if (s.leaderboard) s.leaderboard.teams = s.stage.standings;
      return true;
    }
    case 'wager_order':
    case 'wager_pick':
      if (!s.stage) { resync(); return true; }
      s.stage.wager = msg.wager;
      return true;
    case 'tiebreak_update':
      if (!s.stage) { resync(); return true; }
      s.stage.tiebreak = msg.tiebreak;
      return true;
    case 'stage_cut': {
      if (!s.stage) { resync(); return true; }
      const cuts = (s.stage.cuts || []).filter((c) => c.round_id !== msg.round_id);
      s.stage.cuts = [...cuts, { round_id: msg.round_id, ...msg.cut }];
      if (Array.isArray(msg.teams)) s.stage.teams = msg.teams;
      if (Array.isArray(msg.standings) && msg.standings.length) {
        s.stage.standings = msg.standings;
        if (s.leaderboard) s.leaderboard.teams = msg.standings;
      }
      syncActive(s.stage);
      return true;
    }
    case 'turn':
      if (!s.stage) { resync(); return true; }
      s.stage.turn = msg.turn;
      return true;
    default:
      return false;
  }
}
