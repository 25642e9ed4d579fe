//! The actions of stage rounds beyond opening a question: a team's 风险题 pick, the 加赛's steps (after each
//! judged question, and the draw that is the last resort), and the elimination cut when a round ends. Each
//! stores the changed round documents in one transaction before anything is announced.

use std::collections::BTreeMap;

use super::actor::Actor;
use super::buzzer_log::Step;
use super::model::*;
use super::stage::rule_error;
use super::stage_rounds::{RoundStage, RunSetup, TiebreakPurpose, draw_seed};
use crate::error::{AppError, AppResult};
use crate::stage::{
    BuzzerOutcome, BuzzerSettings, Contender, Cut, CutDecision, Draw, OnWrong, ScoreKind, TeamId,
    TiebreakEvent, WagerPick, eliminate,
};
use crate::store::StageWrite;

impl Actor {
    /// `wager_pick`: the organizer enters the pick of the team whose turn it is; a value opens its question (the
    /// first of the round's draw with the value's difficulty not used yet), a pass opens nothing.
    pub(super) async fn wager_pick(&mut self, r: usize, team: TeamId, points: Option<u32>) -> AppResult<()> {
        let mut doc = self.idle_round_stage(r)?;
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
                self.store_round_stage(r, doc).await?;
            }
        }
        self.publish_stage_frame(r, "wager_pick");
        Ok(())
    }

    /// `draw` in a 加赛 (the last resort, e.g. no questions left): the recorded draw orders the teams still tied.
    pub(super) async fn tiebreak_draw(&mut self, r: usize) -> AppResult<()> {
        let mut doc = self.idle_round_stage(r)?;
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
        let round_id = self.rounds[r].id;
        let cut_rounds: Vec<i64> = writes
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| *id != round_id)
            .collect();
        for (id, s) in writes {
            self.stage.rounds.insert(id, s);
        }
        self.invalidate_ranking();
        self.publish_stage_frame(r, "tiebreak_update");
        self.publish_settled_cuts(&cut_rounds);
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
        let Some(mut doc) = self.round_stage(r).cloned() else {
            return Ok(());
        };
        if doc.cut.is_some() {
            return Ok(());
        }
        let cut = self.compute_cut(r, &doc, &settings)?;
        doc.cut = Some(cut);
        self.store_round_stage(r, doc).await?;
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

    /// A 加赛 question was skipped: it decided nothing, so the 加赛 needs another question.
    pub(super) async fn tiebreak_question_dropped(&mut self, r: usize) -> AppResult<()> {
        let Some(mut doc) = self.round_stage(r).cloned() else {
            return Ok(());
        };
        let Some(tb) = doc.tiebreak.as_mut() else {
            return Ok(());
        };
        if tb.state.result().is_some() || tb.state.current_question().is_none() {
            return Ok(());
        }
        let (next, _) = tb.state.step(&TiebreakEvent::Void).map_err(rule_error)?;
        tb.state = next;
        self.store_round_stage(r, doc).await?;
        Ok(())
    }

    /// A 加赛 settled the cut of these rounds: announce each cut again (`stage_cut`), now decided.
    pub(super) fn publish_settled_cuts(&self, round_ids: &[i64]) {
        for id in round_ids {
            if let Some(k) = self.rounds.iter().position(|round| round.id == *id) {
                self.publish_stage_frame(k, "stage_cut");
            }
        }
    }

    /// A 风险题 question `i` was skipped (a bad question): the team that wagered keeps its pick and gets the next
    /// question of the same difficulty, with the same value at stake. When the draw has none left, the team stays
    /// without a question (the organizer may `adjust_team`).
    pub(super) async fn wager_question_dropped(&mut self, r: usize, i: usize) -> AppResult<()> {
        let Some(mut doc) = self.round_stage(r).cloned() else {
            return Ok(());
        };
        let Some(setup) = doc.setups.get(&i).cloned() else {
            return Ok(());
        };
        let difficulty = self
            .questions
            .get(&self.rounds[r].live[i].uid)
            .map(|q| q.difficulty);
        let next = self.rounds[r].live.iter().position(|q| {
            q.state == QuestionState::Pending
                && self.questions.get(&q.uid).map(|question| question.difficulty) == difficulty
        });
        let Some(wager) = doc.wager.as_mut() else {
            return Ok(());
        };
        let Some(slot) = wager.questions.iter_mut().find(|(_, index)| *index == Some(i)) else {
            return Ok(());
        };
        let Some(j) = next else {
            return Ok(());
        };
        slot.1 = Some(j);
        self.open_stage_question(r, j, setup, doc).await?;
        self.publish_stage_frame(r, "wager_pick");
        Ok(())
    }

    /// The round's document for an action that needs no question open (a pick, the draw).
    fn idle_round_stage(&self, r: usize) -> AppResult<RoundStage> {
        if let Some(i) = self.open_question_index(r) {
            return Err(AppError::conflict(
                "question_open",
                format!("question {} is still open: judge or close it first", i + 1),
            ));
        }
        self.round_stage(r)
            .cloned()
            .ok_or_else(|| AppError::conflict("no_stage", "the round has no stage state"))
    }

    /// Store round `r`'s changed document alone (one transaction), then make it the current one.
    pub(super) async fn store_round_stage(&mut self, r: usize, doc: RoundStage) -> AppResult<()> {
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
        Ok(())
    }
}
