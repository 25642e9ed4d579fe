// Stage rounds (compulsory, buzzer, wager, tiebreak): the part of a client's state that the
// stage frames change, shared by the phone app and the big screen. A client keeps `question`, `buzzer` (the
// question's buzzer state) and `stage` (teams, standings, ledger, turn, wager, tiebreak, cuts) from its snapshot,
// and applies every later stage frame with reduceStage(). See docs/protocol.md, "Buzzer rounds".

/** Round kinds played between teams. */
export const STAGE_KINDS = ['compulsory', 'buzzer', 'wager', 'tiebreak'];

export const isStageRound = (round) => !!round && STAGE_KINDS.includes(round.kind);

/** Kinds in which teams buzz (the others open each question straight to the team whose turn it is). */
export const isBuzzKind = (kind) => kind === 'buzzer' || kind === 'tiebreak';

const sameQuestion = (a, b) => !!a && !!b && a.round_id === b.round_id && a.index === b.index;

/** A judgement is the same one again when team, verdict and time agree (a snapshot and a frame may overlap). */
const sameJudgement = (a, b) => a.team === b.team && a.verdict === b.verdict && a.at === b.at;

function ensureStage(s) {
  if (!s.stage) s.stage = { settings: null, teams: [], standings: [], ledger: [] };
  return s.stage;
}

/** Standings from a frame, keeping what the frame may not carry (place, active) from what is known. */
function mergeStandings(stage, standings) {
  const known = new Map((stage.standings || []).map((row) => [row.team, row]));
  const active = new Map((stage.teams || []).map((team) => [team.id, team.active]));
  return standings.map((row) => {
    const before = known.get(row.team) || {};
    return {
      ...row,
      place: row.place ?? (before.total === row.total ? before.place : undefined) ?? row.rank,
      active: row.active ?? active.get(row.team) ?? before.active ?? true,
    };
  });
}

/**
 * Apply one stage frame to `s` (mutated: `s.question`, `s.buzzer`, `s.stage`, and `s.leaderboard.teams` when the
 * client keeps a leaderboard). Returns true when the message was a stage frame. `question_open`,
 * `question_skipped` and `round_started` are handled too, for their stage part only: the caller applies their
 * general part as for any round.
 */
export function reduceStage(s, msg) {
  const b = s.buzzer;
  const forBuzzer = b && sameQuestion(b, msg);
  switch (msg.type) {
    case 'round_started':
      s.buzzer = null;
      if (s.stage) s.stage.turn = null;
      return false;
    case 'question_open':
      s.buzzer = msg.buzzer || null;
      if (msg.turn !== undefined && (msg.turn || s.stage)) ensureStage(s).turn = msg.turn;
      return false;
    case 'question_skipped':
      if (forBuzzer) Object.assign(b, { phase: 'skipped', window_deadline: null, floor_deadline: null });
      return false;
    case 'buzzer_armed':
      if (forBuzzer) {
        Object.assign(b, {
          phase: 'armed', window: msg.window, window_deadline: msg.deadline, eligible: msg.eligible || [],
          floor: null, floor_unit: null, floor_deadline: null,
        });
      }
      return true;
    case 'buzz_order':
      if (forBuzzer) Object.assign(b, { order: msg.order || [], queue: msg.queue || [], locked_out: msg.locked_out || [] });
      return true;
    case 'buzzer_floor':
      if (forBuzzer) {
        Object.assign(b, {
          phase: 'answering', floor: msg.team, floor_unit: msg.unit, floor_deadline: msg.deadline,
          queue: msg.queue || [], answered: msg.answered || b.answered || [], window_deadline: null,
        });
      }
      return true;
    case 'buzzer_judged':
      if (forBuzzer && msg.judgement) {
        const j = msg.judgement;
        b.judgements = b.judgements || [];
        if (!b.judgements.some((x) => sameJudgement(x, j))) b.judgements.push(j);
        if (j.verdict !== 'right' && !(b.answered || []).includes(j.team)) b.answered = [...(b.answered || []), j.team];
        // The judged team no longer holds the floor; the next buzzer_floor, buzzer_armed or buzzer_result follows.
        if (b.floor === j.team) Object.assign(b, { floor: null, floor_unit: null, floor_deadline: null });
      }
      return true;
    case 'buzzer_result': {
      const result = msg.result;
      if (!result) return true;
      if (forBuzzer) {
        Object.assign(b, {
          phase: 'closed', outcome: result.outcome, order: result.order || b.order, judgements: result.judgements || b.judgements,
          floor: null, floor_unit: null, floor_deadline: null, window_deadline: null,
        });
      }
      if (sameQuestion(s.question, result)) s.question = { ...s.question, state: 'closed', result };
      return true;
    }
    case 'team_scores': {
      const stage = ensureStage(s);
      stage.standings = mergeStandings(stage, msg.standings || []);
      if (!stage.teams || !stage.teams.length) {
        stage.teams = stage.standings.map((row) => ({ id: row.team, unit: row.unit, active: row.active }));
      }
      stage.ledger = stage.ledger || [];
      for (const entry of msg.entries || []) {
        if (stage.ledger.some((e) => e.id === entry.id)) continue;
        stage.ledger.push(entry);
        if (entry.undoes != null) {
          const undone = stage.ledger.find((e) => e.id === entry.undoes);
          if (undone) undone.undone_by = entry.id;
        }
      }
      if (s.leaderboard) s.leaderboard = { ...s.leaderboard, teams: msg.standings };
      return true;
    }
    case 'turn':
      ensureStage(s).turn = msg.turn || null;
      return true;
    case 'wager_order':
    case 'wager_pick':
      ensureStage(s).wager = msg.wager || null;
      return true;
    case 'tiebreak_update':
      ensureStage(s).tiebreak = msg.tiebreak || null;
      return true;
    case 'stage_cut': {
      const stage = ensureStage(s);
      const cut = { ...msg.cut, round_id: msg.cut && msg.cut.round_id != null ? msg.cut.round_id : msg.round_id };
      stage.cuts = [...(stage.cuts || []).filter((c) => c.round_id !== cut.round_id), cut];
      if (Array.isArray(msg.teams) && msg.teams.length) {
        stage.teams = msg.teams;
        const active = new Map(msg.teams.map((team) => [team.id, team.active]));
        stage.standings = (stage.standings || []).map((row) => ({ ...row, active: active.get(row.team) ?? row.active }));
      }
      if (Array.isArray(msg.standings) && msg.standings.length) stage.standings = mergeStandings(stage, msg.standings);
      return true;
    }
    default:
      return false;
  }
}

// ------------------------------------------------------------------------------------------------ selectors

export function teamUnit(stage, id) {
  if (id == null) return '';
  const team = stage && (stage.teams || []).find((x) => x.id === id);
  if (team) return team.unit;
  const row = stage && (stage.standings || []).find((x) => x.team === id);
  return row ? row.unit : '';
}

export function teamActive(stage, id) {
  const team = stage && (stage.teams || []).find((x) => x.id === id);
  return !team || team.active !== false;
}

/** The standings to show: from the stage object, else from the leaderboard's `teams`; ordered by place. */
export function standingsOf(stage, leaderboard = null) {
  const rows = (stage && stage.standings && stage.standings.length ? stage.standings : (leaderboard && leaderboard.teams)) || [];
  const active = new Map(((stage && stage.teams) || []).map((team) => [team.id, team.active]));
  return rows
    .map((row) => ({ ...row, place: row.place ?? row.rank, active: row.active ?? active.get(row.team) ?? true }))
    .sort((a, b) => (a.active === b.active ? 0 : a.active ? -1 : 1) || a.place - b.place || a.team - b.team);
}

/** The cut that eliminated `team`, if any: `{cut, round}`. */
export function eliminationOf(stage, rounds, team) {
  for (const cut of (stage && stage.cuts) || []) {
    if ((cut.eliminated || []).includes(team)) {
      return { cut, round: (rounds || []).find((r) => r.id === cut.round_id) || null };
    }
  }
  return null;
}

/**
 * The rules of the current question: the buzzer state's settings, else the round's settings of its kind (a
 * compulsory or wager question carries them in its round).
 */
export function questionSettings(buzzer, round) {
  const fromRound = round ? (round[round.kind] || (round.config && round.config[round.kind]) || {}) : {};
  return { ...fromRound, ...((buzzer && buzzer.settings) || {}) };
}

/** Buzzes with the gap to the first regular buzz (`after_ms`; fouls have none) and their place (`place`). */
export function buzzOrder(order) {
  const regular = (order || []).filter((x) => !x.foul);
  const first = regular.length ? regular[0].server_ms : null;
  return (order || []).map((x) => ({
    ...x,
    place: x.foul ? null : regular.indexOf(x) + 1,
    after_ms: x.foul || first == null ? null : x.server_ms - first,
  }));
}

/** Whether `team` plays question `b` (a 加赛 question is for the tied teams only; eliminated teams are out). */
export function inQuestion(b, team) {
  if (!b || team == null) return false;
  if (!Array.isArray(b.eligible)) return true;
  return b.eligible.includes(team) || (b.locked_out || []).includes(team) || (b.answered || []).includes(team)
    || (b.order || []).some((x) => x.team === team);
}

/**
 * Where `team` stands in the buzzer question `b`:
 * 'won' | 'floor' | 'queued' (with `position`, 1 = next) | 'judging' (buzzed, its place not known yet) | 'fouled' |
 * 'answered' (wrong or late) | 'ineligible' (not in this question: a tie-break among other teams, or eliminated) |
 * 'free' (may still buzz) | 'closed'.
 */
export function teamBuzzStatus(b, team) {
  if (!b || team == null) return { status: 'free' };
  const outcome = b.outcome;
  if (outcome && outcome.result === 'won' && outcome.team === team) return { status: 'won' };
  const buzz = (b.order || []).find((x) => x.team === team && !x.foul) || null;
  const judgement = [...(b.judgements || [])].reverse().find((j) => j.team === team) || null;
  if ((b.locked_out || []).includes(team)) return { status: 'fouled', buzz: (b.order || []).find((x) => x.team === team) };
  if (judgement && judgement.verdict !== 'right') return { status: 'answered', judgement, buzz };
  if (b.phase === 'closed' || b.phase === 'skipped') return { status: 'closed', buzz };
  if (b.floor === team) return { status: 'floor', buzz };
  const position = (b.queue || []).indexOf(team);
  if (position >= 0) return { status: 'queued', position: position + 1, buzz };
  if (buzz) return { status: 'judging', buzz };
  if (!inQuestion(b, team)) return { status: 'ineligible' };
  return { status: 'free' };
}
