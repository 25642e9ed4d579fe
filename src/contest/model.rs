//! Contest and round definitions: what an organizer configures and what the store keeps.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::paper::Blueprint;
use crate::scoring::{ScoringRules, UnitScoring};
use crate::stage::{
    BuzzerSettings, CompulsorySettings, EliminationSettings, StageSettings, TiebreakSettings, WagerSettings,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinMode {
    /// Participants log in with their badge number (警号) from the imported roster.
    Roster,
    /// Anyone with the join code enters a name and unit.
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContestState {
    Draft,
    Running,
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// Host-paced: the organizer opens each question; everyone answers it at once.
    Live,
    /// Self-paced: each participant gets an own paper and a time limit.
    Exam,
    /// Stage 抢答: teams (the contest's units) buzz for each question the organizer opens and arms; scores go to
    /// the team ledger (`docs/stage-rules.md`).
    Buzzer,
    /// Stage 必答: each team in turn gets its own question (no buzzing); judged or answered on its device.
    Compulsory,
    /// Stage 风险题: each team picks a value (and with it a difficulty), then answers its own question.
    Wager,
    /// Stage 加赛: sudden death by buzzer among exactly the tied teams, for the places that matter.
    Tiebreak,
}

impl RoundKind {
    /// A stage round: played between teams, scored in the team ledger on top of the base score.
    pub fn is_stage(self) -> bool {
        matches!(
            self,
            RoundKind::Buzzer | RoundKind::Compulsory | RoundKind::Wager | RoundKind::Tiebreak
        )
    }

    /// A stage round whose questions teams buzz for (抢答, 加赛).
    pub fn is_buzzed(self) -> bool {
        matches!(self, RoundKind::Buzzer | RoundKind::Tiebreak)
    }

    /// The organizer opens its questions one by one from one draw for everyone (live and stage rounds).
    pub fn is_host_paced(self) -> bool {
        !matches!(self, RoundKind::Exam)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    Pending,
    Running,
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionState {
    Pending,
    Open,
    Paused,
    Closed,
    Skipped,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

text_enum!(JoinMode { Roster => "roster", Open => "open" });
text_enum!(ContestState { Draft => "draft", Running => "running", Finished => "finished" });
text_enum!(RoundKind {
    Live => "live", Exam => "exam", Buzzer => "buzzer", Compulsory => "compulsory", Wager => "wager",
    Tiebreak => "tiebreak"
});
text_enum!(RoundState { Pending => "pending", Running => "running", Finished => "finished" });
text_enum!(QuestionState {
    Pending => "pending", Open => "open", Paused => "paused", Closed => "closed", Skipped => "skipped"
});
text_enum!(UnitScoring { Sum => "sum", Mean => "mean" });

/// A round's settings. Live rounds use the question clock; exam rounds the paper time limit and window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoundConfig {
    /// Which questions the round draws. A live round draws once for everyone; an exam round per participant.
    pub blueprint: Blueprint,
    #[serde(default)]
    pub scoring: ScoringRules,
    /// Live: seconds each question stays open.
    #[serde(default = "default_question_seconds")]
    pub question_seconds: u32,
    /// Live and exam: answers arriving up to this long after the deadline are still accepted.
    #[serde(default = "default_grace_ms")]
    pub grace_ms: u32,
    /// Live: close a question as soon as every joined participant has answered.
    #[serde(default = "yes")]
    pub close_when_all_answered: bool,
    /// Exam: seconds each participant has from the moment they open the paper.
    #[serde(default = "default_time_limit_seconds")]
    pub time_limit_seconds: u32,
    /// Exam: seconds the round stays open after it starts; `None` keeps it open until the organizer ends it.
    /// A paper's deadline is its start plus the time limit, clipped by the window.
    #[serde(default)]
    pub window_seconds: Option<u32>,
    /// Stage rounds: the contest-wide stage settings (base score, team answer rule, podium places). Every stage
    /// round of a contest must carry the same (checked when rounds are created).
    #[serde(default)]
    pub stage: StageSettings,
    /// Buzzer rounds: points, penalties, timers, what a wrong answer does, who judges.
    #[serde(default)]
    pub buzzer: BuzzerSettings,
    /// 必答 rounds: who answers, the answer time, points, penalty, who judges.
    #[serde(default)]
    pub compulsory: CompulsorySettings,
    /// 风险题 rounds: the values on offer (each with its difficulty), the picking order, passing, answer time.
    #[serde(default)]
    pub wager: WagerSettings,
    /// 加赛 rounds: the buzzer timers, what a wrong answer does, who judges (no points: places only).
    #[serde(default)]
    pub tiebreak: TiebreakSettings,
    /// Stage rounds: after the round only the best `advance` teams go on; `tie_rule` decides a tie at the cut.
    #[serde(default)]
    pub elimination: Option<EliminationSettings>,
}

fn default_question_seconds() -> u32 {
    20
}
fn default_grace_ms() -> u32 {
    500
}
fn default_time_limit_seconds() -> u32 {
    30 * 60
}
fn yes() -> bool {
    true
}

impl RoundConfig {
    pub fn validate(&self, kind: RoundKind) -> Result<(), String> {
        self.scoring.validate()?;
        if self.blueprint.quotas.is_empty() {
            return Err("the blueprint needs at least one quota".into());
        }
        if self.blueprint.quotas.iter().any(|q| q.count == 0) {
            return Err("every quota needs a count of at least 1".into());
        }
        match kind {
            RoundKind::Live if !(3..=3600).contains(&self.question_seconds) => {
                Err("question_seconds must be between 3 and 3600".into())
            }
            RoundKind::Exam if !(5..=86_400).contains(&self.time_limit_seconds) => {
                Err("time_limit_seconds must be between 5 and 86400".into())
            }
            RoundKind::Exam
                if self
                    .window_seconds
                    .is_some_and(|w| !(5..=7 * 86_400).contains(&w)) =>
            {
                Err("window_seconds must be between 5 and 604800".into())
            }
            _ if self.grace_ms > 10_000 => Err("grace_ms must be at most 10000".into()),
            kind if kind.is_stage() => {
                self.stage.validate().map_err(|m| format!("stage: {m}"))?;
                if let Some(e) = &self.elimination {
                    e.validate().map_err(|m| format!("elimination: {m}"))?;
                    if kind == RoundKind::Tiebreak {
                        return Err("elimination: a 加赛 round decides places; it cannot eliminate".into());
                    }
                }
                match kind {
                    RoundKind::Buzzer => self.buzzer.validate().map_err(|m| format!("buzzer: {m}")),
                    RoundKind::Compulsory => {
                        self.compulsory.validate().map_err(|m| format!("compulsory: {m}"))
                    }
                    RoundKind::Wager => self.wager.validate().map_err(|m| format!("wager: {m}")),
                    _ => self.tiebreak.validate().map_err(|m| format!("tiebreak: {m}")),
                }
            }
            _ if self.elimination.is_some() => {
                Err("elimination applies to stage rounds (必答, 抢答, 风险题) only".into())
            }
            _ => Ok(()),
        }
    }

    pub fn question_ms(&self) -> i64 {
        i64::from(self.question_seconds) * 1000
    }
}

/// Every stage round of a contest must carry the same `stage` settings: the ledger, the base score and the teams
/// belong to the contest, not to one round. `rounds` in position order; the error names the first that differs.
pub fn check_stage_settings<'a>(
    rounds: impl IntoIterator<Item = (RoundKind, &'a RoundConfig)>,
) -> Result<(), String> {
    let mut first: Option<(usize, &StageSettings)> = None;
    for (i, (kind, config)) in rounds.into_iter().enumerate() {
        if !kind.is_stage() {
            continue;
        }
        match first {
            None => first = Some((i, &config.stage)),
            Some((n, stage)) if *stage != config.stage => {
                return Err(format!(
                    "round {}: its stage settings differ from those of round {}; every stage round of a contest \
                     shares one base score, team answer rule and podium",
                    i + 1,
                    n + 1
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
