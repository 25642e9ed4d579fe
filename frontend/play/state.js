// The participant's view of the contest: the latest snapshot with every later event applied to it. A (re)connect
// delivers a fresh snapshot, which replaces everything; events only patch it.

import { reduceStage, isStageRound } from '/shared/stage-state.js';

function sameQuestion(q, roundId, index) {
  return q && q.round_id === roundId && q.index === index;
}

function replaceRound(s, round) {
  if (!round) return;
  const i = s.rounds.findIndex((r) => r.id === round.id);
  if (i >= 0) s.rounds[i] = round; else s.rounds.push(round);
  if (!s.round || s.round.id === round.id || round.state === 'running') s.round = round;
}

/** Apply one server message to the state `s` (or build it from a snapshot). Returns the new state. */
export function reduce(s, msg) {
  if (msg.type === 'snapshot') {
    const { type, ...rest } = msg;
    return {
      ...rest, rounds: rest.rounds || [], me: rest.me || {}, exam: rest.exam || null, buzzer: rest.buzzer || null,
      stage: rest.stage || null,
      // The team's answers seen on this page (personal frames, not in snapshots): kept across a reconnect.
      teamAnswers: (s && s.teamAnswers) || {},
    };
  }
  if (!s) return s;
  // Stage frames (buzzer, scores, turns, wagers, tie-breaks, cuts); the stage part of the general ones.
  if (reduceStage(s, msg)) return s;
  switch (msg.type) {
    case 'lobby':
      s.joined_count = msg.joined_count;
      s.roster_count = msg.roster_count;
      break;
    case 'contest_state':
      s.contest.state = msg.state;
      if (msg.leaderboard) s.leaderboard = msg.leaderboard;
      break;
    case 'round_started':
      replaceRound(s, msg.round);
      s.round = msg.round;
      s.question = null;
      if (msg.round.kind === 'exam') s.exam = null;
      break;
    case 'round_finished':
      replaceRound(s, msg.round);
      if (msg.leaderboard) s.leaderboard = msg.leaderboard;
      break;
    case 'question_open':
      s.question = msg.question;
      break;
    case 'answer_count':
      if (sameQuestion(s.question, msg.round_id, msg.index)) {
        s.question.answered = msg.answered;
        s.question.joined = msg.joined;
      }
      break;
    case 'question_paused':
      if (sameQuestion(s.question, msg.round_id, msg.index)) {
        Object.assign(s.question, { state: 'paused', remaining_ms: msg.remaining_ms, deadline: null });
      }
      break;
    case 'question_resumed':
      if (sameQuestion(s.question, msg.round_id, msg.index)) {
        Object.assign(s.question, { state: 'open', remaining_ms: null, deadline: msg.deadline });
      }
      break;
    case 'question_skipped':
      if (sameQuestion(s.question, msg.round_id, msg.index)) s.question.state = 'skipped';
      break;
    case 'question_closed':
      if (msg.result && sameQuestion(s.question, msg.result.round_id, msg.result.index)) {
        s.question.state = 'closed';
        s.question.result = msg.result;
      }
      break;
    case 'my_result':
      if (sameQuestion(s.question, msg.round_id, msg.index)) {
        s.question.my_result = {
          answered: msg.answered, correct: msg.correct, points: msg.points, bonus: msg.bonus,
        };
      }
      // The outcome of a close carries the new place too (no separate `my_rank` at a close).
      if (msg.rank != null) {
        Object.assign(s.me, { rank: msg.rank, of: msg.of, score: msg.score, correct: msg.total_correct });
      }
      // The big screen's decimals (a phone gets no leaderboard at a close): points look the same on both.
      if (msg.board_decimals != null) s.boardDecimals = msg.board_decimals;
      break;
    case 'my_rank':
      Object.assign(s.me, { rank: msg.rank, of: msg.of, score: msg.score, correct: msg.correct });
      break;
    case 'leaderboard':
      s.leaderboard = msg.leaderboard;
      break;
    case 'paper_submitted':
      if (s.exam && s.exam.round_id === msg.round_id) {
        s.exam.submitted_at = msg.server_now || Date.now();
        s.exam.auto_submitted = !!msg.auto;
      }
      break;
    case 'exam_result':
      s.exam = msg.exam;
      break;
    case 'team_answer':
      // Team play: the device answer a member gave for the own team, with its verdict (to the team's members).
      s.teamAnswers = { ...(s.teamAnswers || {}), [`${msg.round_id}:${msg.index}`]: msg.judgement };
      break;
    case 'answer_sheet':
      // The organizer opened or closed the answer sheets: the phone asks for its sheet again (review.js).
      s.answerSheet = { visible: !!msg.visible, seq: ((s.answerSheet && s.answerSheet.seq) || 0) + 1 };
      break;
    default:
      break;
  }
  return s;
}

/** Which screen the state calls for, with an identity key (same key = update in place). */
export function screenFor(s) {
  if (!s) return { name: 'loading', key: 'loading' };
  if (s.contest.state === 'finished') return { name: 'final', key: 'final' };
  const round = s.round;
  if (isStageRound(round) && (round.state === 'running' || round.state === 'finished')) {
    const q = s.question && s.question.round_id === round.id ? s.question : null;
    if (round.state === 'finished') return { name: 'stage', key: `stage-end:${round.id}` };
    return { name: 'stage', key: `stage:${round.id}:${q ? q.index : '-'}` };
  }
  if (round && round.state === 'running') {
    if (round.kind === 'exam') return { name: 'exam', key: `exam:${round.id}` };
    const q = s.question;
    if (q && q.round_id === round.id) return { name: 'live', key: `live:${round.id}:${q.index}` };
    return { name: 'wait', key: `ready:${round.id}`, phase: 'ready' };
  }
  if (round && round.state === 'finished') {
    if (round.kind === 'exam' && s.exam && s.exam.started && s.exam.round_id === round.id) {
      return { name: 'review', key: `review:${round.id}` };
    }
    return { name: 'wait', key: `between:${round.id}`, phase: 'between' };
  }
  return { name: 'wait', key: 'lobby', phase: 'lobby' };
}

/**
 * Every score and point value the state holds: own score, the participants' scores on the board (not the units':
 * a mean may have a fraction where no one's score does), the question, the paper, the review.
 */
export function pointValues(s) {
  if (!s) return [];
  const out = [];
  const me = s.me || {};
  out.push(me.score);
  const board = s.leaderboard || {};
  for (const e of board.top || []) out.push(e.score);
  const q = s.question;
  if (q) {
    if (q.question) out.push(q.question.points);
    if (q.my_result) out.push(q.my_result.points, q.my_result.bonus);
  }
  const exam = s.exam;
  if (exam) {
    out.push(exam.score);
    for (const item of exam.questions || []) out.push(item.question && item.question.points, item.points_earned);
  }
  const review = s.review;
  if (review) {
    out.push(review.adjustment);
    for (const round of review.rounds || []) {
      for (const item of round.items || []) out.push(item.question && item.question.points, item.points, item.bonus);
    }
  }
  return out;
}
