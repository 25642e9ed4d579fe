//! Stage contest formats for a final between teams: 必答 (compulsory by turn), 抢答 (buzzer), 风险题 (wager),
//! elimination, 加赛 (sudden-death tie-break) and team play, with a score ledger on top of a 基础分 (base score).
//!
//! This module is the pure rules layer: no I/O, no clock, no randomness of its own. Every function takes what
//! it needs (settings, the events in the order the server received them, a recorded draw seed) and returns a
//! result; the state machines ([`BuzzerQuestion`], [`Tiebreak`]) return a new state and leave the old one
//! untouched, so a rejected event never changes anything. Scores are integer centi-points ([`CENTI`] per point),
//! as in [`crate::scoring`]. `docs/stage-rules.md` describes the rules in plain words.

mod buzzer;
mod compulsory;
mod draw;
mod elimination;
mod ledger;
mod settings;
mod team;
mod tiebreak;
mod wager;

#[cfg(test)]
mod buzzer_tests;
#[cfg(test)]
mod random_tests;
#[cfg(test)]
mod tiebreak_tests;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::scoring::CENTI;
pub use buzzer::{
    Buzz, BuzzerEvent, BuzzerOutcome, BuzzerQuestion, Closure, Phase, ScoreKind, VoidReason,
    step as buzzer_step,
};
pub use compulsory::{CompulsoryTurn, SeatedTeam, compulsory_order, compulsory_turn, score_compulsory};
pub use draw::Draw;
pub use elimination::{Contender, Cut, CutDecision, eliminate};
pub use ledger::{Ledger, LedgerEntry, TeamStanding, rank_totals};
pub use settings::{
    AnswerBy, BuzzerSettings, CompulsoryMode, CompulsorySettings, CutTieRule, EliminationSettings, OnWrong,
    PickOrder, StageFormat, StageRoundSettings, StageSettings, TeamAnswerRule, TiebreakSettings, WagerOption,
    WagerSettings,
};
pub use team::{MemberAnswer, answer_of_member, counting_answer};
pub use tiebreak::{
    Placing, Tiebreak, TiebreakEvent, TiebreakOutcome, TiebreakResult, TiedGroup, podium_cuts,
    ties_that_matter,
};
pub use wager::{PickSlot, WagerPick, WagerRound, pick_order, wager_change};

/// A party of the stage contest: a team (unit) or a single finalist. The engine maps its own ids onto these.
pub type TeamId = i64;

/// The id of a ledger entry: 1, 2, 3, ... in the order entries were recorded.
pub type EntryId = u64;

/// Points to centi-points.
pub(crate) fn centi(points: u32) -> i64 {
    i64::from(points) * CENTI
}

/// At least one team, none twice.
pub(crate) fn check_teams(teams: &[TeamId]) -> Result<(), RuleError> {
    if teams.is_empty() {
        return Err(RuleError::NoTeams);
    }
    for (i, team) in teams.iter().enumerate() {
        if teams[..i].contains(team) {
            return Err(RuleError::DuplicateTeam { team: *team });
        }
    }
    Ok(())
}

/// How an answer was judged (by the organizer, or by the engine for an answer given on a device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Right,
    Wrong,
    /// Partly right: scored as wrong by every stage format.
    Incomplete,
    /// No answer within the answer time: scored as wrong (the buzzer has its own late penalty).
    Late,
}

/// Why a score changed. Each ledger entry carries exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    CompulsoryRight,
    /// Wrong, incomplete or late compulsory answer (worth the configured penalty, 0 by default).
    CompulsoryWrong,
    BuzzerRight,
    BuzzerWrong,
    BuzzerLate,
    /// A buzz before the buzzer was armed.
    Foul,
    WagerRight,
    /// Wrong, incomplete or late wager answer.
    WagerWrong,
    /// A manual correction by the organizer (with a note).
    Adjustment,
    /// Reverses the entry with this id.
    UndoOf(EntryId),
}

/// One score change produced by a rule, to be recorded in the [`Ledger`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ScoreChange {
    pub team: TeamId,
    /// Centi-points; may be 0 (a wrong answer with no penalty is still a recorded judgement).
    pub delta_centi: i64,
    pub reason: Reason,
}

/// An event or input the rules refuse. Nothing changes when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, ToSchema)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum RuleError {
    #[error("no teams given")]
    NoTeams,
    #[error("team {team} is listed twice")]
    DuplicateTeam { team: TeamId },
    #[error("team {team} is not part of this")]
    UnknownTeam { team: TeamId },
    #[error("team {team} has no members")]
    NoMembers { team: TeamId },
    #[error("the settings are invalid: {message}")]
    InvalidSettings { message: String },
    // Buzzer.
    #[error("the question is closed")]
    QuestionClosed,
    #[error("the buzzer is already armed")]
    AlreadyArmed,
    #[error("this question belongs to the team whose turn it is: nobody buzzes")]
    NoBuzzing,
    #[error(
        "buzz out of order: server time {server_ms} ms, sequence {seq} is not after the last buzz \
         ({last_server_ms} ms, sequence {last_seq})"
    )]
    BuzzOutOfOrder {
        server_ms: i64,
        seq: u64,
        last_server_ms: i64,
        last_seq: u64,
    },
    #[error("team {team} has already buzzed on this question")]
    AlreadyBuzzed { team: TeamId },
    #[error("team {team} is locked out of this question (buzzed before the buzzer was armed)")]
    LockedOut { team: TeamId },
    #[error("team {team} has already answered this question")]
    AlreadyAnswered { team: TeamId },
    #[error("nobody holds the floor")]
    NobodyHoldsFloor,
    #[error("team {holder} holds the floor, not team {team}")]
    NotFloorHolder { holder: TeamId, team: TeamId },
    #[error("no buzz window is open")]
    NoOpenBuzzWindow,
    #[error("buzz window {window} is over; the open one is {current}")]
    StaleBuzzWindow { window: u32, current: u32 },
    // Wager.
    #[error("it is team {expected}'s turn to pick, not team {team}'s")]
    NotYourTurn { expected: TeamId, team: TeamId },
    #[error("every team has picked")]
    AllPicked,
    #[error("team {team} has already picked")]
    AlreadyPicked { team: TeamId },
    #[error("{points} is not one of the wager values")]
    NotAWagerValue { points: u32 },
    #[error("passing is not allowed in this round")]
    PassNotAllowed,
    #[error("team {team} has not picked a value")]
    NoPick { team: TeamId },
    #[error("team {team} passed and has no question")]
    Passed { team: TeamId },
    #[error("team {team}'s wager answer is already scored")]
    AlreadyScored { team: TeamId },
    #[error("no total given for team {team}")]
    MissingTotal { team: TeamId },
    // Elimination and tie-break.
    #[error("the tie-break order does not match the teams tied at the cut")]
    TiebreakMismatch,
    #[error("nothing to settle: no tie across the cut")]
    NoTieAtCut,
    #[error("the tie does not cover a place that matters")]
    NoTieToBreak,
    #[error("the tie-break is finished")]
    TiebreakFinished,
    #[error("a tie-break question is in progress")]
    QuestionInProgress,
    #[error("no tie-break question is in progress")]
    NoQuestion,
    #[error("question {question} has already been used")]
    QuestionAlreadyUsed { question: String },
    #[error("team {team} is not in the tie-break (or already has its place)")]
    NotInTiebreak { team: TeamId },
    // Ledger.
    #[error("no ledger entry {entry}")]
    UnknownEntry { entry: EntryId },
    #[error("entry {entry} is already undone by entry {by}")]
    AlreadyUndone { entry: EntryId, by: EntryId },
    #[error("entry {entry} is an undo; record the judgement again instead")]
    CannotUndoUndo { entry: EntryId },
    #[error("an undo entry is only made by undoing an entry")]
    UndoNotRecordable,
    #[error("an adjustment needs a note saying why")]
    EmptyNote,
    #[error("ledger entry {entry} is out of sequence")]
    EntryOutOfSequence { entry: EntryId },
}
