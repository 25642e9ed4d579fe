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
use serde_json::json;

use super::actor::Actor;
use super::buzzer_log::{BuzzerRun, Cause, Step, event_row};
use super::model::*;
use super::stage::rule_error;
use crate::error::{AppError, AppResult};
use crate::stage::{
    BuzzerEvent, BuzzerQuestion, BuzzerSettings, CompulsoryMode, Cut, CutDecision, Draw, OnWrong, PickSlot,
    RuleError, ScoreKind, SeatedTeam, TeamId, Tiebreak, TiebreakEvent, TiedGroup, WagerRound,
    compulsory_turn, pick_order, podium_cuts, rank_totals, ties_that_matter,
};
use crate::store::{StageWrite, now_ms};

/// How one stage question is played: among which teams, with which settings and ledger reasons, and for an
/// assigned question (必答, 风险题) the team it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSetup {
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
    /// The question's state when it opened (before any event of its log).
    pub fn question(&self) -> Result<BuzzerQuestion, RuleError> {
        match self.kind {
            ScoreKind::Buzzer => BuzzerQuestion::new(self.settings.clone(), self.teams.clone()),
            kind => BuzzerQuestion::assigned(self.settings.clone(), self.teams.clone(), kind),
        }
    }
}

/// A wager round's picks, in the picking order fixed when the round started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WagerState {
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
pub enum TiebreakPurpose {
    /// The tie at the elimination cut after round `round_id`.
    Cut { round_id: i64 },
    /// A tie on a podium place of the final standing.
    Podium,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TiebreakState {
    pub purpose: TiebreakPurpose,
    pub group: TiedGroup,
    pub cuts: Vec<u32>,
    pub state: Tiebreak,
    /// The seed of the draw that is the last resort.
    pub draw_seed: u64,
}

/// The state document of one stage round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoundStage {
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
pub(super) fn draw_seed(contest_seed: u64, round_id: i64, salt: u64) -> u64 {
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
    pub(super) fn totals_of(&self, teams: &[TeamId]) -> Vec<(TeamId, i64)> {
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

    /// `teams` (tied on their totals) were all placed by one finished 加赛: its places stand.
    fn decided_by_tiebreak(&self, teams: &[TeamId]) -> bool {
        let places: Vec<Option<(i64, u32)>> = teams.iter().map(|&t| self.tiebreak_place(t)).collect();
        let Some(Some((round, _))) = places.first().copied() else {
            return false;
        };
        places.iter().all(|p| p.is_some_and(|(r, _)| r == round))
    }

    /// The place a finished 加赛 gave `team` (the latest such 加赛): (its round id, place).
    pub(super) fn tiebreak_place(&self, team: TeamId) -> Option<(i64, u32)> {
        self.rounds
            .iter()
            .filter(|round| round.kind == RoundKind::Tiebreak)
            .filter_map(|round| {
                let tb = self.stage.rounds.get(&round.id)?.tiebreak.as_ref()?;
                let place = tb.state.result()?.placings.iter().find(|p| p.team == team)?.place;
                Some((round.position, round.id, place))
            })
            .max_by_key(|(position, _, _)| *position)
            .map(|(_, id, place)| (id, place))
    }

    /// Start a stage round: fix the teams, draw its questions, store its document, announce it.
    pub(super) async fn start_stage_round(&mut self, r: usize, now: i64) -> AppResult<()> {
        self.ensure_teams().await?;
        let stage = self.initial_round_stage(r)?;
        self.start_live_round(r, now).await?;
        self.store_round_stage(r, stage).await?;
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
    pub(super) async fn open_stage_question(
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
}

impl TiebreakState {
    pub(super) fn result_draw_seed(&self) -> Option<String> {
        self.state
            .result()
            .and_then(|r| r.draw_seed)
            .map(|s| s.to_string())
    }
}
