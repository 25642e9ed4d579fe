//! Settings of the stage formats: one struct per format, each with serde defaults and a `validate()` that
//! names the offending field, like [`crate::scoring::ScoringRules`]. Points are whole points here; the rules
//! turn them into centi-points. Penalties are the points *subtracted* (a `wrong_penalty` of 10 means −10).

use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Points of one question or penalty.
const POINTS: RangeInclusive<u32> = 1..=1000;
const PENALTY: RangeInclusive<u32> = 0..=1000;
/// Question difficulty, as in the question banks.
const DIFFICULTY: RangeInclusive<u8> = 1..=5;

fn check(field: &str, value: u32, range: RangeInclusive<u32>) -> Result<(), String> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field} must be between {} and {}, got {value}",
            range.start(),
            range.end()
        ))
    }
}

fn ten() -> u32 {
    10
}
fn thirty() -> u32 {
    30
}
fn sixty() -> u32 {
    60
}
fn hundred() -> u32 {
    100
}
fn three() -> u32 {
    3
}

/// Who decides whether an answer is right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerBy {
    /// The team answers aloud; the organizer judges right or wrong.
    #[default]
    Judge,
    /// The team answers on its device; the engine checks the answer against the key.
    Device,
}

/// Which member's device answer counts for a team.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamAnswerRule {
    /// The first answer the server received from any member.
    #[default]
    FirstAnswer,
    /// Only the captain's answer (the captain's first one).
    CaptainOnly,
}

/// Contest-wide stage settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StageSettings {
    /// 基础分: every team starts with this many points (0..=100000).
    #[serde(default = "hundred")]
    pub base_score: u32,
    /// Which member's device answer counts for a team.
    #[serde(default)]
    pub team_answer: TeamAnswerRule,
    /// Places of the final standing that must not be shared (0..=10): a tie that covers one of them goes to a
    /// 加赛. 3 = first, second and third place must be distinct.
    #[serde(default = "three")]
    pub podium_places: u32,
}

impl Default for StageSettings {
    fn default() -> Self {
        StageSettings {
            base_score: hundred(),
            team_answer: TeamAnswerRule::default(),
            podium_places: three(),
        }
    }
}

impl StageSettings {
    pub fn validate(&self) -> Result<(), String> {
        check("base_score", self.base_score, 0..=100_000)?;
        check("podium_places", self.podium_places, 0..=10)
    }
}

/// Who answers a compulsory question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompulsoryMode {
    /// The team answers together (or the party is a single finalist).
    #[default]
    TeamCommon,
    /// One member answers: each team's members take their turns in seat order.
    IndividualBySeat,
}

/// 必答: each team in turn gets its own question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CompulsorySettings {
    #[serde(default)]
    pub mode: CompulsoryMode,
    /// Time to answer, 10..=60 seconds.
    #[serde(default = "thirty")]
    pub answer_seconds: u32,
    #[serde(default)]
    pub answer_by: AnswerBy,
    /// Points for a right answer (1..=1000).
    #[serde(default = "ten")]
    pub points: u32,
    /// Points subtracted for a wrong, incomplete or late answer (0..=1000).
    #[serde(default)]
    pub wrong_penalty: u32,
    /// Each new cycle starts one seat further (cycle 2 starts with the second team), so the first team does
    /// not always answer first.
    #[serde(default)]
    pub rotate_start: bool,
}

impl Default for CompulsorySettings {
    fn default() -> Self {
        CompulsorySettings {
            mode: CompulsoryMode::default(),
            answer_seconds: thirty(),
            answer_by: AnswerBy::default(),
            points: ten(),
            wrong_penalty: 0,
            rotate_start: false,
        }
    }
}

impl CompulsorySettings {
    pub fn validate(&self) -> Result<(), String> {
        check("answer_seconds", self.answer_seconds, 10..=60)?;
        check("points", self.points, POINTS)?;
        check("wrong_penalty", self.wrong_penalty, PENALTY)
    }
}

/// What happens to a buzzer question after a wrong or late answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnWrong {
    /// The next team that buzzed (in buzz order) gets the floor; when nobody else buzzed, the question is void.
    #[default]
    Pass,
    /// As `pass`, but when nobody else buzzed the buzzer opens again for the teams still in the question.
    Reopen,
    /// The question is void.
    Void,
}

/// 抢答: the organizer opens the question and arms the buzzer; the first buzz wins the floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BuzzerSettings {
    /// Points for a right answer (0..=1000; 0 for a round that only decides places, like a 加赛).
    #[serde(default = "ten")]
    pub points: u32,
    /// Points subtracted for a wrong answer (0..=1000).
    #[serde(default = "ten")]
    pub wrong_penalty: u32,
    /// Points subtracted when the floor holder does not answer in time (0..=1000).
    #[serde(default = "ten")]
    pub late_penalty: u32,
    /// Points subtracted for a buzz before the buzzer is armed (0..=1000). The team is also locked out of the
    /// question.
    #[serde(default = "ten")]
    pub foul_penalty: u32,
    /// Time the floor holder has to answer, 3..=120 seconds.
    #[serde(default = "ten")]
    pub answer_seconds: u32,
    /// Time after arming (or reopening) in which a buzz must come, 3..=300 seconds; none = the question is void.
    #[serde(default = "ten")]
    pub buzz_window_seconds: u32,
    #[serde(default)]
    pub on_wrong: OnWrong,
    #[serde(default)]
    pub answer_by: AnswerBy,
}

impl Default for BuzzerSettings {
    fn default() -> Self {
        BuzzerSettings {
            points: ten(),
            wrong_penalty: ten(),
            late_penalty: ten(),
            foul_penalty: ten(),
            answer_seconds: ten(),
            buzz_window_seconds: ten(),
            on_wrong: OnWrong::default(),
            answer_by: AnswerBy::default(),
        }
    }
}

impl BuzzerSettings {
    pub fn validate(&self) -> Result<(), String> {
        check("points", self.points, 0..=1000)?;
        check("wrong_penalty", self.wrong_penalty, PENALTY)?;
        check("late_penalty", self.late_penalty, PENALTY)?;
        check("foul_penalty", self.foul_penalty, PENALTY)?;
        check("answer_seconds", self.answer_seconds, 3..=120)?;
        check("buzz_window_seconds", self.buzz_window_seconds, 3..=300)
    }
}

/// One value a team can wager, and the difficulty of the question it gets for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WagerOption {
    pub points: u32,
    /// 1..=5, as in the question banks.
    pub difficulty: u8,
}

/// In which order teams pick their wager.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PickOrder {
    /// Highest current total first; equal totals by the recorded draw.
    #[default]
    HighToLow,
    /// Lowest current total first; equal totals by the recorded draw.
    LowToHigh,
    /// Seat order, whatever the totals.
    SeatOrder,
}

fn default_wager_options() -> Vec<WagerOption> {
    [(10, 1), (20, 2), (30, 3)]
        .into_iter()
        .map(|(points, difficulty)| WagerOption { points, difficulty })
        .collect()
}

/// 风险题: each team picks a value; it gains the value for a right answer and loses it otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WagerSettings {
    /// The values on offer (1..=10 options, distinct points 1..=1000, difficulty 1..=5).
    #[serde(default = "default_wager_options")]
    pub options: Vec<WagerOption>,
    #[serde(default)]
    pub pick_order: PickOrder,
    /// A team may decline to wager (it then gets no question and its score does not change).
    #[serde(default)]
    pub allow_pass: bool,
    /// Time to answer, 10..=300 seconds.
    #[serde(default = "sixty")]
    pub answer_seconds: u32,
    #[serde(default)]
    pub answer_by: AnswerBy,
}

impl Default for WagerSettings {
    fn default() -> Self {
        WagerSettings {
            options: default_wager_options(),
            pick_order: PickOrder::default(),
            allow_pass: false,
            answer_seconds: sixty(),
            answer_by: AnswerBy::default(),
        }
    }
}

impl WagerSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.options.is_empty() || self.options.len() > 10 {
            return Err(format!(
                "options must list 1 to 10 values, got {}",
                self.options.len()
            ));
        }
        let mut seen = BTreeSet::new();
        for option in &self.options {
            check("options.points", option.points, POINTS)?;
            if !DIFFICULTY.contains(&option.difficulty) {
                return Err(format!(
                    "options.difficulty must be between 1 and 5, got {}",
                    option.difficulty
                ));
            }
            if !seen.insert(option.points) {
                return Err(format!("options lists {} points twice", option.points));
            }
        }
        check("answer_seconds", self.answer_seconds, 10..=300)
    }

    /// The option worth `points`.
    pub fn option(&self, points: u32) -> Option<WagerOption> {
        self.options.iter().copied().find(|o| o.points == points)
    }
}

/// How a tie across the elimination cut is decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CutTieRule {
    /// The tied teams play a 加赛 for the places left.
    #[default]
    TiebreakRound,
    /// Every tied team advances (more than N advance).
    KeepAllTied,
    /// The higher previous-round score advances; still tied = the recorded draw.
    PreviousRoundScore,
    /// The recorded draw.
    Draw,
}

/// Elimination after a round: the top `advance` teams go on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EliminationSettings {
    /// How many advance (1..=1000).
    pub advance: u32,
    #[serde(default)]
    pub tie_rule: CutTieRule,
}

impl EliminationSettings {
    pub fn validate(&self) -> Result<(), String> {
        check("advance", self.advance, 1..=1000)
    }
}

/// 加赛: sudden death by buzzer among exactly the tied teams. Scores do not change; only places are decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TiebreakSettings {
    /// Time the floor holder has to answer, 3..=120 seconds.
    #[serde(default = "ten")]
    pub answer_seconds: u32,
    /// Time after arming in which a buzz must come, 3..=300 seconds; none = another question.
    #[serde(default = "ten")]
    pub buzz_window_seconds: u32,
    /// After a wrong answer (that team is out): the next buzzer, the buzzer again, or another question.
    #[serde(default)]
    pub on_wrong: OnWrong,
    #[serde(default)]
    pub answer_by: AnswerBy,
}

impl Default for TiebreakSettings {
    fn default() -> Self {
        TiebreakSettings {
            answer_seconds: ten(),
            buzz_window_seconds: ten(),
            on_wrong: OnWrong::default(),
            answer_by: AnswerBy::default(),
        }
    }
}

impl TiebreakSettings {
    pub fn validate(&self) -> Result<(), String> {
        self.buzzer_settings().validate()
    }

    /// The buzzer settings of one tie-break question: no points, no penalties (a foul still locks the team
    /// out of that question).
    pub fn buzzer_settings(&self) -> BuzzerSettings {
        BuzzerSettings {
            points: 0,
            wrong_penalty: 0,
            late_penalty: 0,
            foul_penalty: 0,
            answer_seconds: self.answer_seconds,
            buzz_window_seconds: self.buzz_window_seconds,
            on_wrong: self.on_wrong,
            answer_by: self.answer_by,
        }
    }
}

/// The format of a stage round, with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StageFormat {
    Compulsory(CompulsorySettings),
    Buzzer(BuzzerSettings),
    Wager(WagerSettings),
    Tiebreak(TiebreakSettings),
}

impl StageFormat {
    pub fn validate(&self) -> Result<(), String> {
        match self {
            StageFormat::Compulsory(s) => s.validate(),
            StageFormat::Buzzer(s) => s.validate(),
            StageFormat::Wager(s) => s.validate(),
            StageFormat::Tiebreak(s) => s.validate(),
        }
    }
}

/// A stage round: its format and, optionally, who advances after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StageRoundSettings {
    pub format: StageFormat,
    #[serde(default)]
    pub elimination: Option<EliminationSettings>,
}

impl StageRoundSettings {
    pub fn validate(&self) -> Result<(), String> {
        self.format.validate()?;
        match &self.elimination {
            Some(e) => e.validate().map_err(|m| format!("elimination: {m}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
