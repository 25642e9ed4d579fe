//! The stage round formats around the buzzer question: 必答 (compulsory), 风险题 (wager), 加赛 (tie-break) and
//! elimination between rounds. The rules are in `crate::stage`; this module decides who plays which question,
//! keeps each stage round's state document ([`RoundStage`], table `stage_rounds`) and announces it.
//!
//! **One question mechanism.** Every stage question runs on the buzzer machine ([`crate::stage::BuzzerQuestion`]
//! and `buzzer.rs`): a 抢答 or 加赛 question is armed and buzzed for; a 必答 or 风险题 question is *assigned*: it
//! opens with the floor already given to the team whose turn it is ([`BuzzerEvent::Assign`]), so the answer
//! timer, the organizer's judgement, device answers, the log, the replay after a restart and the frames are the
//! same for all four. What differs is recorded in the question's [`RunSetup`]: the teams it is played among, its
//! settings (points, penalties, timers) and its ledger reasons.
//!
//! **The state document.** Each stage round has one JSON document: the teams it admits, the setup of every
//! question it opened, the wager picks, the 加赛 state and the elimination cut after it. It is written in the
//! same transaction as the step that changes it (opening a question, a pick, a judgement that places a team in a
//! 加赛, the end of the round), before anything is announced, and read back at a restart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::actor::Actor;
use super::buzzer_log::{BuzzerRun, Cause, Step, event_row};
use super::model::*;
use super::stage::rule_error;
use crate::error::{AppError, AppResult};
use crate::stage::{
    BuzzerEvent, BuzzerOutcome, BuzzerQuestion, BuzzerSettings, CompulsoryMode, Contender, Cut, CutDecision,
    Draw, OnWrong, PickSlot, RuleError, ScoreKind, SeatedTeam, TeamId, Tiebreak, TiebreakEvent, TiedGroup,
    WagerPick, WagerRound, compulsory_turn, eliminate, pick_order, podium_cuts, rank_totals,
    ties_that_matter,
};
use crate::store::{StageWrite, now_ms};

/// How one stage question is played: among which teams, with which settings and ledger reasons, and for an
/// assigned question (必答, 风险题) the team it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct RunSetup {
    pub teams: Vec<TeamId>,
    pub settings: BuzzerSettings,
    pub kind: ScoreKind,
    pub assigned: Option<TeamId>,
    /// 必答 `individual_by_seat`: the seat (0-based, members by participant id) of the member who answers.
    #[serde(default)]
    pub member_seat: Option<u32>,
    /// 风险题: the value wagered.
    #[serde(default)]
    pub wager_points: Option<u32>,
}

impl RunSetup {
    pub fn question(&self) -> Result<BuzzerQuestion, RuleError> {
        match self.kind {
            ScoreKind::Buzzer => BuzzerQuestion::new(self.settings.clone(), self.teams.clone()),
            kind => BuzzerQuestion::assigned(self.settings.clone(), self.teams.clone(), kind),
        }
    }
}

/// A wager round's picks, in the picking order fixed when the round started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct WagerState {
    pub order: Vec<PickSlot>,
    pub round: WagerRound,
    /// The recorded draw that ordered equal totals.
    pub draw_seed: u64,
    /// For each pick, in order: the team and the question it got (None for a pass).
    pub questions: Vec<(TeamId, Option<usize>)>,
}

/// What a 加赛 decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub(super) enum TiebreakPurpose {
    /// The tie at the elimination cut after round `round_id`.
    Cut { round_id: i64 },
    /// A tie on a podium place of the final standing.
    Podium,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct TiebreakState {
    pub purpose: TiebreakPurpose,
    pub group: TiedGroup,
    pub cuts: Vec<u32>,
    pub state: Tiebreak,
    /// The seed of the draw that is the last resort.
    pub draw_seed: u64,
}

/// The state document of one stage round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct RoundStage {
    /// The teams the round admits (those not eliminated before it), in team order.
    pub teams: Vec<TeamId>,
    /// The setup of every question opened, by index in the round.
    #[serde(default)]
    pub setups: BTreeMap<usize, RunSetup>,
    #[serde(default)]
    pub wager: Option<WagerState>,
    #[serde(default)]
    pub tiebreak: Option<TiebreakState>,
    /// The elimination cut after the round (settled by a 加赛 when it was tied).
    #[serde(default)]
    pub cut: Option<Cut>,
}

/// A seed for a recorded draw of this round, from the contest seed (so an auditor can redo it).
fn draw_seed(contest_seed: u64, round_id: i64, salt: u64) -> u64 {
    crate::stage::Draw::new(contest_seed ^ salt).number(round_id)
}

impl Actor {
    /// The state document of round `r` (a default one for rounds without).
    pub(super) fn round_stage(&self, r: usize) -> Option<&RoundStage> {
        self.stage.rounds.get(&self.rounds[r].id)
    }

    pub(super) fn round_stage_json(stage: &RoundStage) -> String {
        serde_json::to_string(stage).expect("a round stage document serializes")
    }

    /// Stage rounds before round `r`, in play order, with their documents.
    fn stage_rounds_before(&self, r: usize) -> impl Iterator<Item = (usize, &RoundStage)> {
        let position = self.rounds[r].position;
        let mut before: Vec<(usize, &RoundStage)> = (0..self.rounds.len())
            .filter(|&k| self.rounds[k].kind.is_stage() && self.rounds[k].position < position)
            .filter_map(|k| self.round_stage(k).map(|s| (k, s)))
            .collect();
        before.sort_by_key(|(k, _)| self.rounds[*k].position);
        before.into_iter()
    }

    /// The latest elimination cut before round `r`: (round index, cut).
    fn latest_cut_before(&self, r: usize) -> Option<(usize, &Cut)> {
        self.stage_rounds_before(r)
            .filter_map(|(k, s)| s.cut.as_ref().map(|c| (k, c)))
            .last()
    }

    /// The teams still in the contest when round `r` starts: those that advanced at the latest cut, or all.
    fn active_teams_for(&self, r: usize) -> Vec<TeamId> {
        match self.latest_cut_before(r) {
            Some((_, cut)) => {
                let mut teams = cut.advanced.clone();
                teams.sort_unstable();
                teams
            }
            None => self.stage.team_ids(),
        }
    }

    /// The teams still in the contest now (after every cut so far).
    pub(super) fn active_teams_now(&self) -> Vec<TeamId> {
        let last = self
            .stage
            .rounds
            .iter()
            .filter_map(|(id, s)| {
                let k = self.rounds.iter().position(|r| r.id == *id)?;
                s.cut.as_ref().map(|c| (self.rounds[k].position, c))
            })
            .max_by_key(|(position, _)| *position);
        match last {
            Some((_, cut)) if cut.decided_by != CutDecision::TiebreakPending => {
                let mut teams = cut.advanced.clone();
                teams.sort_unstable();
                teams
            }
            Some((_, cut)) => {
                let mut teams = cut.advanced.clone();
                teams.extend(&cut.tied_at_cut);
                teams.sort_unstable();
                teams
            }
            None => self.stage.team_ids(),
        }
    }

    /// The totals of `teams` from the ledger.
    fn totals_of(&self, teams: &[TeamId]) -> Vec<(TeamId, i64)> {
        let Some(ledger) = &self.stage.ledger else {
            return Vec::new();
        };
        teams
            .iter()
            .map(|&t| (t, ledger.total(t).unwrap_or(ledger.base_centi())))
            .collect()
    }

    /// The document a stage round starts with: the teams it admits; the picking order of a wager round; the
    /// tied group of a 加赛 (the tie at a pending cut, else a tie on a podium place).
    pub(super) fn initial_round_stage(&self, r: usize) -> AppResult<RoundStage> {
        let round = &self.rounds[r];
        let pending_cut = self
            .latest_cut_before(r)
            .filter(|(_, cut)| cut.decided_by == CutDecision::TiebreakPending);
        if round.kind != RoundKind::Tiebreak
            && let Some((k, cut)) = pending_cut
        {
            return Err(AppError::conflict(
                "cut_tied",
                format!(
                    "after round {} the teams {:?} are tied at the cut for {} place(s): play a 加赛 (tiebreak \
                     round) first",
                    self.rounds[k].position + 1,
                    self.units_of(&cut.tied_at_cut),
                    cut.open_places
                ),
            ));
        }
        let mut stage = RoundStage {
            teams: self.active_teams_for(r),
            ..RoundStage::default()
        };
        match round.kind {
            RoundKind::Wager => {
                let seed = draw_seed(self.contest.seed, round.id, 0x5747);
                let totals = self.totals_of(&stage.teams);
                let settings = &round.config.wager;
                let order = pick_order(settings.pick_order, &stage.teams, &totals, &Draw::new(seed))
                    .map_err(rule_error)?;
                let wager = WagerRound::new(settings.clone(), &order).map_err(rule_error)?;
                stage.wager = Some(WagerState {
                    order,
                    round: wager,
                    draw_seed: seed,
                    questions: Vec::new(),
                });
            }
            RoundKind::Tiebreak => {
                let used: Vec<String> = self
                    .rounds
                    .iter()
                    .filter(|other| other.position < round.position)
                    .flat_map(|other| other.live.iter().map(|q| q.uid.to_string()))
                    .collect();
                let seed = draw_seed(self.contest.seed, round.id, 0x5442);
                let (purpose, group, cuts) = match pending_cut {
                    Some((k, cut)) => {
                        let last = cut.first_tied_place + cut.tied_at_cut.len() as u32 - 1;
                        let group = TiedGroup {
                            teams: cut.tied_at_cut.clone(),
                            first_place: cut.first_tied_place,
                            last_place: last,
                        };
                        let purpose = TiebreakPurpose::Cut {
                            round_id: self.rounds[k].id,
                        };
                        (purpose, group, vec![cut.advance])
                    }
                    None => {
                        let group = self.podium_tie().ok_or_else(|| {
                            AppError::conflict(
                                "no_tie_to_break",
                                "no tie to break: no teams are tied at an elimination cut or on a podium place",
                            )
                        })?;
                        let cuts = podium_cuts(self.stage_settings().podium_places);
                        (TiebreakPurpose::Podium, group, cuts)
                    }
                };
                let state = Tiebreak::for_group(&group, cuts.clone(), used).map_err(rule_error)?;
                stage.teams = group.teams.clone();
                stage.tiebreak = Some(TiebreakState {
                    purpose,
                    group,
                    cuts,
                    state,
                    draw_seed: seed,
                });
            }
            _ => {}
        }
        Ok(stage)
    }

    fn units_of(&self, teams: &[TeamId]) -> Vec<String> {
        teams
            .iter()
            .map(|&t| self.stage.unit_of(t).unwrap_or("?").to_owned())
            .collect()
    }

    /// The first tie on a podium place among the teams still in, that no finished 加赛 has decided.
    fn podium_tie(&self) -> Option<TiedGroup> {
        let teams = self.active_teams_now();
        let standings = rank_totals(&self.totals_of(&teams));
        let cuts = podium_cuts(self.stage_settings().podium_places);
        ties_that_matter(&standings, &cuts)
            .into_iter()
            .find(|group| !self.decided_by_tiebreak(&group.teams))
    }

    /// `teams` were all placed by one finished podium 加赛 (with their totals unchanged since, it still holds).
    fn decided_by_tiebreak(&self, teams: &[TeamId]) -> bool {
        self.stage.rounds.values().any(|s| {
            s.tiebreak.as_ref().is_some_and(|t| {
                t.purpose == TiebreakPurpose::Podium
                    && t.state.result().is_some()
                    && teams.iter().all(|team| t.group.teams.contains(team))
            })
        })
    }

    /// Start a stage round: fix the teams, draw its questions, store its document, announce it.
    pub(super) async fn start_stage_round(&mut self, r: usize, now: i64) -> AppResult<()> {
        self.ensure_teams().await?;
        let stage = self.initial_round_stage(r)?;
        self.start_live_round(r, now).await?;
        let round_id = self.rounds[r].id;
        self.store
            .record_stage(
                self.contest.id,
                &StageWrite {
                    round_states: vec![(round_id, Self::round_stage_json(&stage))],
                    ..StageWrite::default()
                },
            )
            .await?;
        self.stage.rounds.insert(round_id, stage);
        self.publish_round_stage(r);
        Ok(())
    }

    /// After a restart: a running stage round whose document was not written (a crash right after its draw)
    /// gets the one it would have started with (the ledger has not changed since).
    pub(super) fn rebuild_missing_round_stage(&mut self) {
        for r in 0..self.rounds.len() {
            let round = &self.rounds[r];
            if round.kind.is_stage()
                && round.state != RoundState::Pending
                && !self.stage.rounds.contains_key(&round.id)
                && let Ok(stage) = self.initial_round_stage(r)
            {
                let id = round.id;
                self.stage.rounds.insert(id, stage);
            }
        }
    }

    /// The setup of a new question of round `r` for the teams of its document (抢答).
    fn buzzer_setup(&self, r: usize) -> RunSetup {
        let round = &self.rounds[r];
        let teams = self
            .round_stage(r)
            .map(|s| s.teams.clone())
            .unwrap_or_else(|| self.stage.team_ids());
        RunSetup {
            teams,
            settings: round.config.buzzer.clone(),
            kind: ScoreKind::Buzzer,
            assigned: None,
            member_seat: None,
            wager_points: None,
        }
    }

    /// The setup of question `i` when no document has one (a question opened before documents existed).
    pub(super) fn setup_of(&self, r: usize, i: usize) -> RunSetup {
        self.round_stage(r)
            .and_then(|s| s.setups.get(&i).cloned())
            .unwrap_or_else(|| self.buzzer_setup(r))
    }

    /// Open question `i` of stage round `r` with `setup`: one transaction stores the open state, the setup in the
    /// round's document and, for an assigned question, the assignment; then the frames go out.
    async fn open_stage_question(
        &mut self,
        r: usize,
        i: usize,
        setup: RunSetup,
        mut doc: RoundStage,
    ) -> AppResult<()> {
        let now = now_ms();
        let round_id = self.rounds[r].id;
        let mut run = BuzzerRun::new(setup.question().map_err(rule_error)?);
        let assign = setup
            .assigned
            .map(|team| Step::Rule(BuzzerEvent::Assign { team }));
        let mut outcomes = Vec::new();
        if let Some(step @ Step::Rule(event)) = &assign {
            let (next, out) = run.state.step(event).map_err(rule_error)?;
            run.advance(step, Some(next), &out, now, &Cause::by("rules"));
            outcomes = out;
        }
        doc.setups.insert(i, setup);
        let write = StageWrite {
            event: assign
                .as_ref()
                .map(|step| event_row(round_id, i, 1, step, now, &Cause::by("rules"))),
            open: Some((round_id, i as i64, now)),
            round_states: vec![(round_id, Self::round_stage_json(&doc))],
            ..StageWrite::default()
        };
        self.store.record_stage(self.contest.id, &write).await?;
        let q = &mut self.rounds[r].live[i];
        q.state = QuestionState::Open;
        q.opened_at = Some(now);
        q.deadline_at = None;
        q.remaining_ms = None;
        self.stage.runs.insert((round_id, i), run);
        self.stage.rounds.insert(round_id, doc);
        for organizer in [false, true] {
            let frame = json!({
                "type": "question_open",
                "server_now": now,
                "question": self.live_question_view(r, i, organizer),
                "buzzer": self.buzzer_state_view(r, i, organizer),
                "turn": self.turn_view(r, i),
            });
            let bytes = crate::realtime::encode(&frame);
            if organizer {
                self.hub.publish_organizer(bytes);
            } else {
                self.hub.publish(bytes);
            }
        }
        if let Some(step) = &assign {
            self.publish_buzzer_step(r, i, step, &outcomes, &[], false);
        }
        Ok(())
    }

    /// `next` in a stage round: 抢答 opens the next question for every team still in; 必答 gives the next
    /// question to the team whose turn it is; 加赛 asks the teams still tied; 风险题 refuses (a pick opens).
    pub(super) async fn open_next_stage_question(&mut self, r: usize) -> AppResult<()> {
        let kind = self.rounds[r].kind;
        if kind == RoundKind::Wager {
            return Err(AppError::conflict(
                "wager_pick_opens",
                "in a 风险题 round a team's pick opens its question: use wager_pick",
            ));
        }
        let i = self.next_pending_question(r)?;
        let mut doc = self
            .round_stage(r)
            .cloned()
            .ok_or_else(|| AppError::conflict("no_stage", "the round has no stage state"))?;
        let setup = match kind {
            RoundKind::Compulsory => self.compulsory_setup(r, &doc)?,
            RoundKind::Tiebreak => {
                let tb = doc
                    .tiebreak
                    .as_mut()
                    .ok_or_else(|| AppError::conflict("no_stage", "the 加赛 has no tied teams"))?;
                let uid = self.rounds[r].live[i].uid.to_string();
                let (next, _) = tb
                    .state
                    .step(&TiebreakEvent::Question { question: uid })
                    .map_err(rule_error)?;
                let teams = next.remaining().to_vec();
                tb.state = next;
                RunSetup {
                    teams,
                    settings: self.rounds[r].config.tiebreak.buzzer_settings(),
                    kind: ScoreKind::Buzzer,
                    assigned: None,
                    member_seat: None,
                    wager_points: None,
                }
            }
            _ => self.buzzer_setup(r),
        };
        self.open_stage_question(r, i, setup, doc).await
    }

    /// 必答: the team whose turn the next question is. Turns count the questions of the round that were played
    /// (closed); a skipped question gives the same team a new one.
    fn compulsory_setup(&self, r: usize, doc: &RoundStage) -> AppResult<RunSetup> {
        let round = &self.rounds[r];
        let settings = &round.config.compulsory;
        let played = round
            .live
            .iter()
            .filter(|q| q.state == QuestionState::Closed)
            .count();
        let seating: Vec<SeatedTeam> = doc
            .teams
            .iter()
            .map(|&team| SeatedTeam {
                team,
                members: self.members_of(team).len() as u32,
            })
            .collect();
        let turn = compulsory_turn(settings, &seating, played).map_err(rule_error)?;
        Ok(RunSetup {
            teams: doc.teams.clone(),
            settings: BuzzerSettings {
                points: settings.points,
                wrong_penalty: settings.wrong_penalty,
                late_penalty: settings.wrong_penalty,
                foul_penalty: 0,
                answer_seconds: settings.answer_seconds,
                buzz_window_seconds: 10,
                on_wrong: OnWrong::Void,
                answer_by: settings.answer_by,
            },
            kind: ScoreKind::Compulsory,
            assigned: Some(turn.team),
            member_seat: match settings.mode {
                CompulsoryMode::TeamCommon => None,
                CompulsoryMode::IndividualBySeat => turn.member_seat,
            },
            wager_points: None,
        })
    }

    /// A team's members in seat order (by participant id: the order of the imported roster).
    pub(super) fn members_of(&self, team: TeamId) -> Vec<i64> {
        let Some(unit) = self.stage.unit_of(team) else {
            return Vec::new();
        };
        self.participants
            .values()
            .filter(|p| p.unit == unit)
            .map(|p| p.id)
            .collect()
    }

    /// `wager_pick`: the organizer enters the pick of the team whose turn it is; a value opens its question (the
    /// first of the round's draw with the value's difficulty not used yet), a pass opens nothing.
    pub(super) async fn wager_pick(&mut self, r: usize, team: TeamId, points: Option<u32>) -> AppResult<()> {
        if let Some(i) = self.open_question_index(r) {
            return Err(AppError::conflict(
                "question_open",
                format!("question {} is still open: judge or close it first", i + 1),
            ));
        }
        let mut doc = self
            .round_stage(r)
            .cloned()
            .ok_or_else(|| AppError::conflict("no_stage", "the round has no stage state"))?;
        let wager = doc
            .wager
            .as_mut()
            .ok_or_else(|| AppError::conflict("not_a_wager_round", "this round has no picks"))?;
        let pick = match points {
            Some(points) => WagerPick::Value { points },
            None => WagerPick::Pass,
        };
        let option = wager.round.check_pick(team, pick).map_err(rule_error)?;
        let question = match option {
            Some(option) => {
                let round = &self.rounds[r];
                let i = round
                    .live
                    .iter()
                    .position(|q| {
                        q.state == QuestionState::Pending
                            && self
                                .questions
                                .get(&q.uid)
                                .is_some_and(|question| question.difficulty == option.difficulty)
                    })
                    .ok_or_else(|| {
                        AppError::conflict(
                            "no_question_of_difficulty",
                            format!(
                                "no question of difficulty {} is left in this round's draw for {} points; pick \
                                 another value, or give the round a blueprint with more questions of that \
                                 difficulty",
                                option.difficulty, option.points
                            ),
                        )
                    })?;
                Some((i, option))
            }
            None => None,
        };
        wager.round.pick(team, pick).map_err(rule_error)?;
        wager.questions.push((team, question.map(|(i, _)| i)));
        match question {
            Some((i, option)) => {
                let settings = &self.rounds[r].config.wager;
                let setup = RunSetup {
                    teams: doc.teams.clone(),
                    settings: BuzzerSettings {
                        points: option.points,
                        wrong_penalty: option.points,
                        late_penalty: option.points,
                        foul_penalty: 0,
                        answer_seconds: settings.answer_seconds,
                        buzz_window_seconds: 10,
                        on_wrong: OnWrong::Void,
                        answer_by: settings.answer_by,
                    },
                    kind: ScoreKind::Wager,
                    assigned: Some(team),
                    member_seat: None,
                    wager_points: Some(option.points),
                };
                self.open_stage_question(r, i, setup, doc).await?;
            }
            None => {
                let round_id = self.rounds[r].id;
                self.store
                    .record_stage(
                        self.contest.id,
                        &StageWrite {
                            round_states: vec![(round_id, Self::round_stage_json(&doc))],
                            ..StageWrite::default()
                        },
                    )
                    .await?;
                self.stage.rounds.insert(round_id, doc);
            }
        }
        self.publish_stage_frame(r, "wager_pick");
        Ok(())
    }

    /// `draw` in a 加赛 (the last resort, e.g. no questions left): the recorded draw orders the teams still tied.
    pub(super) async fn tiebreak_draw(&mut self, r: usize) -> AppResult<()> {
        if let Some(i) = self.open_question_index(r) {
            return Err(AppError::conflict(
                "question_open",
                format!("question {} is still open: judge or close it first", i + 1),
            ));
        }
        let mut doc = self
            .round_stage(r)
            .cloned()
            .ok_or_else(|| AppError::conflict("no_stage", "the round has no stage state"))?;
        let tb = doc
            .tiebreak
            .as_mut()
            .ok_or_else(|| AppError::conflict("not_a_tiebreak_round", "this round is no 加赛"))?;
        let (next, _) = tb
            .state
            .step(&TiebreakEvent::Draw { seed: tb.draw_seed })
            .map_err(rule_error)?;
        tb.state = next;
        let writes = self.tiebreak_writes(r, &doc)?;
        self.store
            .record_stage(
                self.contest.id,
                &StageWrite {
                    round_states: writes
                        .iter()
                        .map(|(id, s)| (*id, Self::round_stage_json(s)))
                        .collect(),
                    ..StageWrite::default()
                },
            )
            .await?;
        for (id, s) in writes {
            self.stage.rounds.insert(id, s);
        }
        self.invalidate_ranking();
        self.publish_stage_frame(r, "tiebreak_update");
        Ok(())
    }

    /// The documents to store after a 加赛 step: the round's own, and when it finished deciding a cut, the cut's
    /// round's with the cut settled.
    fn tiebreak_writes(&self, r: usize, doc: &RoundStage) -> AppResult<Vec<(i64, RoundStage)>> {
        let mut writes = vec![(self.rounds[r].id, doc.clone())];
        if let Some(tb) = &doc.tiebreak
            && let (Some(result), TiebreakPurpose::Cut { round_id }) = (tb.state.result(), tb.purpose)
            && let Some(mut cut_doc) = self.stage.rounds.get(&round_id).cloned()
            && let Some(cut) = &cut_doc.cut
            && cut.decided_by == CutDecision::TiebreakPending
        {
            cut_doc.cut = Some(cut.settle(result).map_err(rule_error)?);
            writes.push((round_id, cut_doc));
        }
        Ok(writes)
    }

    /// Before a buzzer step of round `r` question `i` is stored: in a 加赛, the tie-break state after the step's
    /// outcomes (a right answer takes the best place left, a wrong one the worst, a void asks for another
    /// question), as documents to store with the step. Empty when nothing changes.
    pub(super) fn tiebreak_followup(
        &self,
        r: usize,
        step: &Step,
        outcomes: &[BuzzerOutcome],
    ) -> AppResult<Vec<(i64, RoundStage)>> {
        if self.rounds[r].kind != RoundKind::Tiebreak {
            return Ok(Vec::new());
        }
        let Some(mut doc) = self.round_stage(r).cloned() else {
            return Ok(Vec::new());
        };
        let Some(tb) = doc.tiebreak.as_mut() else {
            return Ok(Vec::new());
        };
        let mut events: Vec<TiebreakEvent> = outcomes.iter().filter_map(TiebreakEvent::from_buzzer).collect();
        if matches!(step, Step::Close) && tb.state.current_question().is_some() {
            events.push(TiebreakEvent::Void);
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        for event in events {
            if tb.state.result().is_some()
                || (event != TiebreakEvent::Void && tb.state.current_question().is_none())
            {
                // Decided already (the last wrong answer placed everyone): later outcomes change nothing.
                continue;
            }
            if event == TiebreakEvent::Void && tb.state.current_question().is_none() {
                continue;
            }
            let (next, _) = tb.state.step(&event).map_err(rule_error)?;
            tb.state = next;
        }
        self.tiebreak_writes(r, &doc)
    }

    /// After a committed buzzer step: the tie-break documents it carried take effect; when the 加赛 is decided
    /// while its question is still open, that question ends (nothing is left to play for).
    pub(super) fn apply_round_stages(&mut self, docs: Vec<(i64, RoundStage)>) -> bool {
        let changed = !docs.is_empty();
        for (id, doc) in docs {
            self.stage.rounds.insert(id, doc);
        }
        if changed {
            self.invalidate_ranking();
        }
        changed
    }

    /// A 加赛 that is decided, with its question still open: the question to close.
    pub(super) fn decided_tiebreak_open_question(&self, r: usize) -> Option<usize> {
        let tb = self.round_stage(r)?.tiebreak.as_ref()?;
        tb.state.result()?;
        self.open_question_index(r)
    }

    /// End of a stage round: with elimination, the cut (from the ledger totals of the teams it admitted).
    pub(super) async fn cut_after_round(&mut self, r: usize) -> AppResult<()> {
        let Some(settings) = self.rounds[r].config.elimination.clone() else {
            return Ok(());
        };
        let round_id = self.rounds[r].id;
        let Some(mut doc) = self.round_stage(r).cloned() else {
            return Ok(());
        };
        if doc.cut.is_some() {
            return Ok(());
        }
        let cut = self.compute_cut(r, &doc, &settings)?;
        doc.cut = Some(cut);
        self.store
            .record_stage(
                self.contest.id,
                &StageWrite {
                    round_states: vec![(round_id, Self::round_stage_json(&doc))],
                    ..StageWrite::default()
                },
            )
            .await?;
        self.stage.rounds.insert(round_id, doc);
        self.invalidate_ranking();
        self.publish_stage_frame(r, "stage_cut");
        Ok(())
    }

    fn compute_cut(
        &self,
        r: usize,
        doc: &RoundStage,
        settings: &crate::stage::EliminationSettings,
    ) -> AppResult<Cut> {
        let round_id = self.rounds[r].id;
        let ledger = self
            .stage
            .ledger
            .as_ref()
            .ok_or_else(|| AppError::conflict("no_stage", "no stage ledger"))?;
        // The round's own entries (still in force) give the score before it, for `previous_round_score`.
        let mut this_round: BTreeMap<TeamId, i64> = BTreeMap::new();
        for entry in ledger.effective() {
            let index = usize::try_from(entry.id).unwrap_or(0).saturating_sub(1);
            if self.stage.meta.get(index).and_then(|m| m.round_id) == Some(round_id) {
                *this_round.entry(entry.team).or_default() += entry.delta_centi;
            }
        }
        let contenders: Vec<Contender> = self
            .totals_of(&doc.teams)
            .into_iter()
            .map(|(team, total)| Contender {
                team,
                score_centi: total,
                previous_centi: total - this_round.get(&team).copied().unwrap_or(0),
            })
            .collect();
        let seed = draw_seed(self.contest.seed, round_id, 0x454c);
        eliminate(settings, &contenders, &Draw::new(seed)).map_err(rule_error)
    }

    /// After a restart: an eliminating round that finished without its cut stored gets it now (the ledger has
    /// not changed since, unless by an undo or an adjustment, which the organizer made knowingly).
    pub(super) fn rebuild_missing_cuts(&mut self) {
        for r in 0..self.rounds.len() {
            let round = &self.rounds[r];
            if round.state != RoundState::Finished || !round.kind.is_stage() {
                continue;
            }
            let Some(settings) = round.config.elimination.clone() else {
                continue;
            };
            let id = round.id;
            if let Some(doc) = self.stage.rounds.get(&id).cloned()
                && doc.cut.is_none()
                && let Ok(cut) = self.compute_cut(r, &doc, &settings)
            {
                let mut doc = doc;
                doc.cut = Some(cut);
                self.stage.rounds.insert(id, doc);
            }
        }
    }

    /// Read the stored documents (after the teams and the ledger, before the buzzer questions are replayed).
    pub(super) async fn load_round_stages(&mut self) -> anyhow::Result<()> {
        self.stage.rounds.clear();
        for (round_id, data) in self.store.stage_round_states(self.contest.id).await? {
            let doc: RoundStage = serde_json::from_str(&data)
                .map_err(|e| anyhow::anyhow!("the stage state of round {round_id} is unreadable: {e}"))?;
            self.stage.rounds.insert(round_id, doc);
        }
        self.rebuild_missing_round_stage();
        self.rebuild_missing_cuts();
        Ok(())
    }

    // ----- views -----

    /// 必答: whose turn question `i` is: `{index, team, unit, member_seat, member}`; null for other questions.
    pub(super) fn turn_view(&self, r: usize, i: usize) -> Value {
        let setup = self.round_stage(r).and_then(|s| s.setups.get(&i));
        let Some(setup) = setup.filter(|s| s.kind == ScoreKind::Compulsory) else {
            return Value::Null;
        };
        let Some(team) = setup.assigned else {
            return Value::Null;
        };
        let member = setup.member_seat.and_then(|seat| {
            let members = self.members_of(team);
            let pid = *members.get(seat as usize)?;
            let p = self.participants.get(&pid)?;
            Some(json!({"participant_id": pid, "name": p.name}))
        });
        json!({
            "index": i,
            "team": team,
            "unit": self.stage.unit_of(team),
            "member_seat": setup.member_seat,
            "member": member,
        })
    }

    fn wager_view(&self, r: usize) -> Value {
        let Some(w) = self.round_stage(r).and_then(|s| s.wager.as_ref()) else {
            return Value::Null;
        };
        let settings = &self.rounds[r].config.wager;
        json!({
            "round_id": self.rounds[r].id,
            "options": settings.options,
            "allow_pass": settings.allow_pass,
            "order": w.order.iter().map(|slot| json!({
                "team": slot.team,
                "unit": self.stage.unit_of(slot.team),
                "total": super::standings::centi_to_points(slot.total_centi),
                "decided_by_draw": slot.decided_by_draw,
            })).collect::<Vec<_>>(),
            "picks": w.questions.iter().map(|&(team, index)| json!({
                "team": team,
                "unit": self.stage.unit_of(team),
                "points": match w.round.pick_of(team) {
                    Some(WagerPick::Value { points }) => json!(points),
                    _ => Value::Null,
                },
                "index": index,
            })).collect::<Vec<_>>(),
            "next_to_pick": w.round.next_to_pick(),
            "draw_seed": w.draw_seed.to_string(),
        })
    }

    fn tiebreak_view(&self, r: usize) -> Value {
        let Some(tb) = self.round_stage(r).and_then(|s| s.tiebreak.as_ref()) else {
            return Value::Null;
        };
        let placings: Vec<Value> = match tb.state.result() {
            Some(result) => result
                .placings
                .iter()
                .map(|p| json!({"team": p.team, "unit": self.stage.unit_of(p.team), "place": p.place, "shared": p.shared}))
                .collect(),
            None => tb
                .state
                .placed()
                .into_iter()
                .map(|(team, place)| json!({"team": team, "unit": self.stage.unit_of(team), "place": place, "shared": false}))
                .collect(),
        };
        json!({
            "round_id": self.rounds[r].id,
            "purpose": match tb.purpose { TiebreakPurpose::Cut { .. } => "cut", TiebreakPurpose::Podium => "podium" },
            "cut_round_id": match tb.purpose { TiebreakPurpose::Cut { round_id } => Some(round_id), TiebreakPurpose::Podium => None },
            "teams": tb.group.teams,
            "first_place": tb.group.first_place,
            "cuts": tb.cuts,
            "remaining": tb.state.remaining(),
            "placings": placings,
            "finished": tb.state.result().is_some(),
            "draw_seed": tb.result_draw_seed(),
        })
    }

    fn cut_view(&self, round_id: i64, cut: &Cut) -> Value {
        json!({
            "round_id": round_id,
            "advance": cut.advance,
            "advanced": cut.advanced,
            "eliminated": cut.eliminated,
            "tied_at_cut": cut.tied_at_cut,
            "open_places": cut.open_places,
            "first_tied_place": cut.first_tied_place,
            "decided_by": cut.decided_by,
        })
    }

    /// Every cut so far, in play order.
    pub(super) fn cuts_view(&self) -> Value {
        let mut cuts: Vec<(i64, Value)> = self
            .rounds
            .iter()
            .filter_map(|round| {
                let cut = self.stage.rounds.get(&round.id)?.cut.as_ref()?;
                Some((round.position, self.cut_view(round.id, cut)))
            })
            .collect();
        cuts.sort_by_key(|(position, _)| *position);
        json!(cuts.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
    }

    /// The round-kind parts of the stage view for the running (or last) stage round.
    pub(super) fn stage_round_views(&self, view: &mut Value) {
        let current = self.running_round().or_else(|| {
            self.rounds
                .iter()
                .enumerate()
                .filter(|(_, r)| r.kind.is_stage() && r.state == RoundState::Finished)
                .max_by_key(|(_, r)| r.position)
                .map(|(k, _)| k)
        });
        let Some(r) = current.filter(|&r| self.rounds[r].kind.is_stage()) else {
            return;
        };
        view["round_id"] = json!(self.rounds[r].id);
        view["round_kind"] = json!(self.rounds[r].kind);
        if self.rounds[r].kind == RoundKind::Compulsory {
            let i = self
                .open_question_index(r)
                .or_else(|| self.rounds[r].live.iter().rposition(|q| q.opened_at.is_some()));
            view["turn"] = i.map_or(Value::Null, |i| self.turn_view(r, i));
        }
        view["wager"] = self.wager_view(r);
        let tiebreak = self
            .rounds
            .iter()
            .enumerate()
            .filter(|(_, round)| round.kind == RoundKind::Tiebreak && round.state != RoundState::Pending)
            .max_by_key(|(_, round)| round.position)
            .map(|(k, _)| self.tiebreak_view(k));
        view["tiebreak"] = tiebreak.unwrap_or(Value::Null);
    }

    /// A frame with the round's stage view part named by `kind` (`wager_order`, `wager_pick`,
    /// `tiebreak_update`, `stage_cut`), the same bytes to everyone.
    pub(super) fn publish_stage_frame(&self, r: usize, kind: &str) {
        let round_id = self.rounds[r].id;
        let mut frame = json!({"type": kind, "round_id": round_id, "server_now": now_ms()});
        match kind {
            "wager_order" | "wager_pick" => frame["wager"] = self.wager_view(r),
            "tiebreak_update" => frame["tiebreak"] = self.tiebreak_view(r),
            "stage_cut" => {
                if let Some(cut) = self.round_stage(r).and_then(|s| s.cut.as_ref()) {
                    frame["cut"] = self.cut_view(round_id, cut);
                }
                frame["teams"] = self.stage_teams_view();
                frame["standings"] = self.team_standings_view();
            }
            _ => {}
        }
        self.publish_both(frame);
    }

    /// At a round's start: its picking order or tied teams.
    fn publish_round_stage(&self, r: usize) {
        match self.rounds[r].kind {
            RoundKind::Wager => self.publish_stage_frame(r, "wager_order"),
            RoundKind::Tiebreak => self.publish_stage_frame(r, "tiebreak_update"),
            _ => {}
        }
    }

    /// `[{id, unit, active}]`.
    pub(super) fn stage_teams_view(&self) -> Value {
        let active = self.active_teams_now();
        json!(
            self.stage
                .teams
                .iter()
                .map(|t| json!({"id": t.id, "unit": t.unit, "active": active.contains(&t.id)}))
                .collect::<Vec<_>>()
        )
    }

    /// Final places of the teams: the teams still in first (by total, ties on a podium place in the order a
    /// finished 加赛 placed them), then the teams eliminated at the latest cut, and so on back. Teams with equal
    /// totals that no 加赛 separated share a place. Returns (team, total, place, active), best first.
    pub(super) fn team_places(&self) -> Vec<(TeamId, i64, u32, bool)> {
        let Some(ledger) = &self.stage.ledger else {
            return Vec::new();
        };
        let active = self.active_teams_now();
        // Groups: the teams still in, then each cut's eliminated teams, latest cut first.
        let mut groups: Vec<Vec<TeamId>> = vec![active.clone()];
        let mut cuts: Vec<(i64, &Cut)> = self
            .rounds
            .iter()
            .filter_map(|round| Some((round.position, self.stage.rounds.get(&round.id)?.cut.as_ref()?)))
            .collect();
        cuts.sort_by_key(|(position, _)| std::cmp::Reverse(*position));
        for (_, cut) in cuts {
            let out: Vec<TeamId> = cut
                .eliminated
                .iter()
                .copied()
                .filter(|t| !groups.iter().any(|g| g.contains(t)))
                .collect();
            groups.push(out);
        }
        let placed: Vec<TeamId> = groups.iter().flatten().copied().collect();
        let rest: Vec<TeamId> = ledger
            .teams()
            .iter()
            .copied()
            .filter(|t| !placed.contains(t))
            .collect();
        groups.push(rest);
        let tiebreak_place = |team: TeamId| -> Option<u32> {
            self.stage.rounds.values().find_map(|s| {
                let tb = s.tiebreak.as_ref()?;
                if tb.purpose != TiebreakPurpose::Podium {
                    return None;
                }
                let result = tb.state.result()?;
                result.placings.iter().find(|p| p.team == team).map(|p| p.place)
            })
        };
        let mut out = Vec::new();
        for group in groups {
            let mut rows: Vec<(TeamId, i64, Option<u32>)> = group
                .iter()
                .map(|&t| {
                    (
                        t,
                        ledger.total(t).unwrap_or(ledger.base_centi()),
                        tiebreak_place(t),
                    )
                })
                .collect();
            rows.sort_by_key(|&(team, total, tb)| (std::cmp::Reverse(total), tb.unwrap_or(u32::MAX), team));
            let start = out.len();
            for (i, &(team, total, tb)) in rows.iter().enumerate() {
                let place = match out.last() {
                    Some(&(_, above_total, above_place, _))
                        if i > 0 && above_total == total && (tb.is_none() || rows[i - 1].2 == tb) =>
                    {
                        above_place
                    }
                    _ => (start + i + 1) as u32,
                };
                out.push((team, total, place, active.contains(&team)));
            }
        }
        out
    }
}

impl TiebreakState {
    fn result_draw_seed(&self) -> Option<String> {
        self.state
            .result()
            .and_then(|r| r.draw_seed)
            .map(|s| s.to_string())
    }
}
