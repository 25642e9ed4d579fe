//! The contest actor: state, loading from the store, the command loop and the timers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use super::model::*;
use super::standings::Ranking;
use super::tick::{Counts, Pending, PhoneCounters, TICK};
use super::{Command, ParticipantRef};
use crate::bank::{Question, Response};
use crate::error::{AppError, AppResult};
use crate::paper::{Paper, PoolQuestion};
use crate::realtime::ContestHub;
use crate::scoring::{Scored, UnitScoring};
use crate::store::writer::AnswerWriter;
use crate::store::{Store, now_ms};

pub(super) struct ContestInfo {
    pub id: i64,
    pub bank_ids: Vec<String>,
    pub title: String,
    pub join_code: String,
    pub seed: u64,
    pub join_mode: JoinMode,
    pub unit_scoring: UnitScoring,
    pub state: ContestState,
}

#[derive(Clone)]
pub(super) struct LiveQuestion {
    pub uid: i64,
    pub option_order: Vec<usize>,
    pub state: QuestionState,
    pub opened_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub remaining_ms: Option<i64>,
    pub closed_at: Option<i64>,
}

pub(super) struct PaperState {
    pub paper: Paper,
    pub started_at: i64,
    pub deadline_at: i64,
    pub submitted_at: Option<i64>,
    pub auto_submitted: bool,
    /// The paper row is committed.
    pub start_durable: Arc<AtomicBool>,
    /// `submitted_at` is committed (meaningless while the paper is open).
    pub submit_durable: Arc<AtomicBool>,
}

pub(super) struct Round {
    pub id: i64,
    pub position: i64,
    pub title: String,
    pub kind: RoundKind,
    pub config: RoundConfig,
    pub state: RoundState,
    pub started_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Live rounds: the questions drawn for everyone.
    pub live: Vec<LiveQuestion>,
    /// Exam rounds: each participant's paper.
    pub papers: BTreeMap<i64, PaperState>,
}

pub(super) struct Participant {
    pub id: i64,
    pub name: String,
    pub badge: Option<String>,
    pub unit: String,
    pub session_id: Option<String>,
    pub joined_at: Option<i64>,
    pub tab_switches: u32,
    /// When the last tab switch was counted: a burst of switches within a short time counts once.
    pub last_tab_switch_at: i64,
}

impl From<crate::store::ParticipantRow> for Participant {
    fn from(p: crate::store::ParticipantRow) -> Self {
        Self {
            id: p.id,
            name: p.name,
            badge: p.badge,
            unit: p.unit,
            session_id: p.session_id,
            joined_at: p.joined_at,
            tab_switches: u32::try_from(p.tab_switches).unwrap_or(0),
            last_tab_switch_at: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct AnswerRecord {
    pub response: Response,
    pub received_at: i64,
    pub elapsed_ms: i64,
    /// Set by the answer writer when the row is committed. Only durable answers are scored or counted.
    pub durable: Arc<AtomicBool>,
    /// For a changed exam answer whose new version is not yet committed: the version on disk, restored if
    /// the change fails to commit.
    pub previous: Option<Box<AnswerRecord>>,
}

impl AnswerRecord {
    pub fn is_durable(&self) -> bool {
        self.durable.load(Ordering::Acquire)
    }
}

pub(super) struct Actor {
    pub store: Store,
    pub writer: AnswerWriter,
    pub hub: Arc<ContestHub>,
    pub contest: ContestInfo,
    pub rounds: Vec<Round>,
    pub participants: BTreeMap<i64, Participant>,
    /// Every question of the contest's banks, by uid.
    pub questions: HashMap<i64, Arc<Question>>,
    pub pool: Vec<PoolQuestion>,
    /// `pool` sorted and with its exclusion sets, made once per pool for the exam papers' draws.
    pub prepared: crate::paper::PreparedPool,
    /// (round, question uid) -> participant -> answer.
    pub answers: HashMap<(i64, i64), BTreeMap<i64, AnswerRecord>>,
    /// Scores of questions that have closed (live) or of papers whose round ended (exam).
    pub scored: HashMap<(i64, i64), BTreeMap<i64, Scored>>,
    pub adjustments: BTreeMap<i64, i64>,
    /// What changed since the last tick (published together at the tick).
    pub pending: Pending,
    /// Counters the participants have not been sent yet (they get them at a slower cadence than screens).
    pub phone_counters: PhoneCounters,
    /// Joined counts, maintained per join.
    pub counts: Counts,
    /// The ranking of the current scores, built once per change of scores (not per viewer).
    pub ranking: OnceLock<Arc<Ranking>>,
    /// A timer action failed (storage unavailable): retry it no earlier than this.
    pub timer_retry_at: Option<Instant>,
    /// Exam papers still open, by when they are due (deadline + grace): (due, round index, participant). The
    /// clock takes the earliest from here instead of looking at every paper on every command.
    pub exam_due: BTreeSet<(i64, usize, i64)>,
    /// Stage rounds: teams, the team ledger, buzzer questions (`stage.rs`, `buzzer.rs`).
    pub stage: super::stage::Stage,
}

/// What the actor's clock should do next.
enum Due {
    LiveClose {
        round: usize,
        index: usize,
    },
    ExamSubmit {
        round: usize,
        participant_id: i64,
    },
    ExamWindow {
        round: usize,
    },
    /// The open buzzer question's buzz window or answer time ran out.
    Buzzer {
        round: usize,
    },
}

impl Actor {
    /// Rebuild a contest's state from the store. `None` when the contest does not exist.
    pub async fn load(
        contest_id: i64,
        store: Store,
        writer: AnswerWriter,
        hub: Arc<ContestHub>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(row) = store.contest(contest_id).await? else {
            return Ok(None);
        };
        let bank_ids: Vec<String> = serde_json::from_str(&row.bank_ids)?;
        let contest = ContestInfo {
            id: row.id,
            bank_ids: bank_ids.clone(),
            title: row.title,
            join_code: row.join_code,
            seed: row.seed as u64,
            join_mode: JoinMode::parse(&row.join_mode).unwrap_or(JoinMode::Roster),
            unit_scoring: UnitScoring::parse(&row.unit_scoring).unwrap_or(UnitScoring::Sum),
            state: ContestState::parse(&row.state).unwrap_or(ContestState::Draft),
        };
        let mut actor = Self {
            store,
            writer,
            hub,
            contest,
            rounds: Vec::new(),
            participants: BTreeMap::new(),
            questions: HashMap::new(),
            pool: Vec::new(),
            prepared: crate::paper::PreparedPool::new(&[]),
            answers: HashMap::new(),
            scored: HashMap::new(),
            adjustments: BTreeMap::new(),
            pending: Pending::default(),
            phone_counters: PhoneCounters::default(),
            counts: Counts::default(),
            ranking: OnceLock::new(),
            timer_retry_at: None,
            exam_due: BTreeSet::new(),
            stage: Default::default(),
        };
        actor.load_questions().await?;
        actor.load_setup().await?;
        actor.load_stage().await?;
        for a in actor.store.answers_of_contest(contest_id).await? {
            let response: Response = serde_json::from_str(&a.response)?;
            actor
                .answers
                .entry((a.round_id, a.question_uid))
                .or_default()
                .insert(
                    a.participant_id,
                    AnswerRecord {
                        response,
                        received_at: a.received_at,
                        elapsed_ms: a.elapsed_ms,
                        durable: Arc::new(AtomicBool::new(true)),
                        previous: None,
                    },
                );
        }
        for adj in actor.store.adjustments(contest_id).await? {
            *actor.adjustments.entry(adj.participant_id).or_default() += adj.delta_centi;
        }
        actor.rescore();
        Ok(Some(actor))
    }

    /// The questions of the contest's banks, and the pool the drawer picks from.
    async fn load_questions(&mut self) -> anyhow::Result<()> {
        let mut questions = HashMap::new();
        let mut pool = Vec::new();
        for (uid, q) in self.store.questions_of_banks(&self.contest.bank_ids).await? {
            pool.push(PoolQuestion {
                uid,
                qtype: q.qtype,
                category: q.category.clone(),
                difficulty: q.difficulty,
                option_count: q.options.len(),
                links: crate::paper::DrawLinks::of(&q),
            });
            questions.insert(uid, Arc::new(q));
        }
        self.questions = questions;
        self.prepared = crate::paper::PreparedPool::new(&pool);
        self.pool = pool;
        Ok(())
    }

    /// Scores are never stored: they are recomputed from the raw answers and the questions' keys.
    fn rescore(&mut self) {
        self.scored.clear();
        self.invalidate_ranking();
        for r in 0..self.rounds.len() {
            match self.rounds[r].kind {
                RoundKind::Live => {
                    for i in 0..self.rounds[r].live.len() {
                        if self.rounds[r].live[i].state == QuestionState::Closed {
                            self.score_live_question(r, i);
                        }
                    }
                }
                RoundKind::Exam if self.rounds[r].state == RoundState::Finished => self.score_exam_round(r),
                // Stage rounds score teams, in the ledger: nothing to recompute.
                _ => {}
            }
        }
    }

    /// Rounds, live questions, papers and participants: everything an organizer may change before the start.
    async fn load_setup(&mut self) -> anyhow::Result<()> {
        let mut rounds = Vec::new();
        for row in self.store.rounds(self.contest.id).await? {
            let kind = RoundKind::parse(&row.kind).unwrap_or(RoundKind::Live);
            let mut round = Round {
                id: row.id,
                position: row.position,
                title: row.title,
                kind,
                config: serde_json::from_str(&row.config)?,
                state: RoundState::parse(&row.state).unwrap_or(RoundState::Pending),
                started_at: row.started_at,
                ends_at: row.ends_at,
                finished_at: row.finished_at,
                live: Vec::new(),
                papers: BTreeMap::new(),
            };
            for q in self.store.round_questions(row.id).await? {
                round.live.push(LiveQuestion {
                    uid: q.question_uid,
                    option_order: serde_json::from_str(&q.option_order)?,
                    state: QuestionState::parse(&q.state).unwrap_or(QuestionState::Pending),
                    opened_at: q.opened_at,
                    deadline_at: q.deadline_at,
                    remaining_ms: q.remaining_ms,
                    closed_at: q.closed_at,
                });
            }
            for p in self.store.papers(row.id).await? {
                round.papers.insert(
                    p.participant_id,
                    PaperState {
                        paper: serde_json::from_str(&p.items)?,
                        started_at: p.started_at,
                        deadline_at: p.deadline_at,
                        submitted_at: p.submitted_at,
                        auto_submitted: p.auto_submitted,
                        start_durable: Arc::new(AtomicBool::new(true)),
                        submit_durable: Arc::new(AtomicBool::new(true)),
                    },
                );
            }
            rounds.push(round);
        }
        self.rounds = rounds;
        self.exam_due = self
            .rounds
            .iter()
            .enumerate()
            .flat_map(|(r, round)| {
                let grace = i64::from(round.config.grace_ms);
                round
                    .papers
                    .iter()
                    .filter(|(_, p)| p.submitted_at.is_none())
                    .map(move |(pid, p)| (p.deadline_at + grace, r, *pid))
            })
            .collect();
        self.participants = self
            .store
            .participants(self.contest.id)
            .await?
            .into_iter()
            .map(|p| (p.id, Participant::from(p)))
            .collect();
        self.recount();
        self.invalidate_ranking();
        Ok(())
    }

    pub async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        crate::metrics::METRICS.open_contests.inc();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = self.next_due();
            let mut sleep_until = match &due {
                Some((at, _)) => Instant::now() + Duration::from_millis((*at - now_ms()).max(0) as u64),
                None => Instant::now() + Duration::from_secs(3600),
            };
            if let Some(retry_at) = self.timer_retry_at {
                sleep_until = sleep_until.max(retry_at);
            }
            tokio::select! {
                biased;
                command = rx.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                _ = tick.tick() => self.flush_pending(),
                _ = tokio::time::sleep_until(sleep_until) => {
                    if let Some((_, due)) = due {
                        match self.fire(due).await {
                            Ok(()) => self.timer_retry_at = None,
                            Err(e) => {
                                // Typically storage is unavailable: try again shortly instead of spinning.
                                tracing::error!(contest = self.contest.id, error = %e, "timer action failed; retrying in 1 s");
                                self.timer_retry_at = Some(Instant::now() + Duration::from_secs(1));
                            }
                        }
                    }
                }
            }
        }
        crate::metrics::METRICS.open_contests.dec();
    }

    /// The earliest pending deadline, if any.
    fn next_due(&self) -> Option<(i64, Due)> {
        let mut best: Option<(i64, Due)> = None;
        let mut consider = |at: i64, due: Due| {
            if best.as_ref().is_none_or(|(b, _)| at < *b) {
                best = Some((at, due));
            }
        };
        for (r, round) in self.rounds.iter().enumerate() {
            if round.state != RoundState::Running {
                continue;
            }
            let grace = i64::from(round.config.grace_ms);
            match round.kind {
                RoundKind::Live => {
                    for (index, q) in round.live.iter().enumerate() {
                        if q.state == QuestionState::Open
                            && let Some(deadline) = q.deadline_at
                        {
                            consider(deadline + grace, Due::LiveClose { round: r, index });
                        }
                    }
                }
                RoundKind::Exam => {
                    if let Some(ends_at) = round.ends_at {
                        consider(ends_at + grace, Due::ExamWindow { round: r });
                    }
                }
                _ => {
                    if let Some((at, _)) = self.buzzer_due(r) {
                        consider(at, Due::Buzzer { round: r });
                    }
                }
            }
        }
        // The earliest open paper of a running exam round (papers of other rounds are all handed in).
        if let Some(&(due, round, participant_id)) = self
            .exam_due
            .iter()
            .find(|(_, r, _)| self.rounds[*r].state == RoundState::Running)
        {
            consider(
                due,
                Due::ExamSubmit {
                    round,
                    participant_id,
                },
            );
        }
        best
    }

    async fn fire(&mut self, due: Due) -> AppResult<()> {
        match due {
            Due::LiveClose { round, index } => self.close_live_question(round, index, true).await,
            Due::ExamSubmit {
                round,
                participant_id,
            } => self.submit_paper(round, participant_id, true).await.map(|_| ()),
            Due::ExamWindow { round } => self.finish_exam_round(round).await,
            Due::Buzzer { round } => self.catch_up_timers(round, now_ms()).await,
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Control(action, by, reply) => {
                let detail = serde_json::to_value(&action).unwrap_or_default();
                let result = self.control(action, &by).await;
                let outcome = match &result {
                    Ok(_) => "ok",
                    Err(e) => e.code,
                };
                self.audit(&by, &detail, outcome).await;
                let _ = reply.send(result);
            }
            Command::Buzz {
                who,
                client_ms,
                received_ms,
                reply,
            } => {
                let result = self.buzz(&who, client_ms, received_ms).await;
                let _ = reply.send(result);
            }
            Command::Answer(who, input, reply) => {
                let result = self.answer(&who, input).await;
                let accepted = result.as_ref().is_ok_and(|a| !a.ack.duplicate);
                let _ = reply.send(result);
                if accepted {
                    self.after_answer(who.participant_id).await;
                }
            }
            Command::ForgetAnswer {
                participant_id,
                round_id,
                index,
                received_at,
            } => self.forget_answer(participant_id, round_id, index, received_at),
            Command::ExamStart(who, reply) => {
                let result = self.exam_start(&who).await;
                let _ = reply.send(result);
            }
            Command::ExamSubmit(who, reply) => {
                let result = self.exam_submit(&who).await;
                let _ = reply.send(result);
            }
            Command::Snapshot(viewer, reply) => {
                let _ = reply.send(self.snapshot(&viewer));
            }
            Command::Joined {
                participant_id,
                session_id,
            } => self.on_joined(participant_id, session_id).await,
            Command::SeatMoved {
                participant_id,
                session_id,
            } => self.on_seat_moved(participant_id, session_id),
            Command::Presence(participant_id) => self.mark_participant(participant_id),
            Command::CheckSession(who, reply) => {
                let _ = reply.send(self.check_session(&who).map(|_| ()));
            }
            Command::TabSwitch(who, reply) => {
                let result = self.tab_switch(&who).await;
                let _ = reply.send(result);
            }
            Command::Reload(reply) => {
                let result = self.load_setup().await.map_err(AppError::from);
                if result.is_ok() {
                    self.publish_both(self.lobby_event());
                    self.hub
                        .publish_organizer(crate::realtime::encode(&serde_json::json!({
                            "type": "participants",
                            "participants": self.participants_status(),
                        })));
                }
                let _ = reply.send(result);
            }
            Command::ReloadQuestions(reply) => {
                let result = self.load_questions().await.map_err(AppError::from);
                if result.is_ok() {
                    self.rescore();
                    self.publish_leaderboard();
                    self.send_personal_ranks();
                }
                let _ = reply.send(result);
            }
            Command::Results(reply) => {
                let _ = reply.send(Ok(self.results_view()));
            }
            Command::Breakdown(pid, reply) => {
                let _ = reply.send(self.breakdown_view(pid));
            }
            Command::Paper {
                round_id,
                participant_id,
                reply,
            } => {
                let _ = reply.send(self.paper_audit(round_id, participant_id));
            }
            Command::Adjust {
                participant_id,
                delta_centi,
                reason,
                by,
                reply,
            } => {
                let result = self.adjust(participant_id, delta_centi, reason, by).await;
                let _ = reply.send(result);
            }
        }
    }

    /// Check that a participant's token still names their current session.
    pub fn check_session(&self, who: &ParticipantRef) -> AppResult<&Participant> {
        let p = self
            .participants
            .get(&who.participant_id)
            .ok_or_else(|| AppError::not_found("participant"))?;
        if p.session_id.as_deref() != Some(who.session_id.as_str()) {
            return Err(AppError::unauthorized(
                "session_replaced",
                "this participant logged in on another device; this session has ended",
            ));
        }
        Ok(p)
    }

    pub fn running_round(&self) -> Option<usize> {
        self.rounds.iter().position(|r| r.state == RoundState::Running)
    }

    pub fn round_index(&self, round_id: i64) -> AppResult<usize> {
        self.rounds
            .iter()
            .position(|r| r.id == round_id)
            .ok_or_else(|| AppError::not_found("round"))
    }

    pub fn question(&self, uid: i64) -> AppResult<Arc<Question>> {
        self.questions
            .get(&uid)
            .cloned()
            .ok_or_else(|| AppError::internal(format!("question {uid} missing from the contest's banks")))
    }

    pub fn joined_count(&self) -> usize {
        self.counts.joined
    }
}
