//! The contest engine. One owner task (the actor) per contest holds its live state: rounds, question clocks,
//! papers, answers. HTTP and WebSocket handlers send it commands and await replies; it publishes events
//! through the contest's [`ContestHub`]. Every state change is written to the store before it is announced,
//! so a restarted process rebuilds the same state (`actor::Actor::load`).

mod actor;
mod answers;
mod buzzer;
mod buzzer_log;
mod buzzer_views;
mod control;
mod engine;
mod exam;
mod live;
pub mod model;
mod people;
mod route;
pub mod seats;
mod stage;
mod stage_actions;
mod stage_rounds;
mod stage_views;
mod standings;
mod tick;
mod views;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::realtime::ContestHub;
use crate::store::Store;
use crate::store::writer::PendingCommit;

pub use answers::to_response;
pub use buzzer::buzz_clock_ms;
pub use engine::Engine;
pub use model::*;
pub use route::Request;
pub use stage_rounds::{RoundStage, RunSetup};

/// What an organizer can do to a running contest. One command type for every control button.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ControlAction {
    /// Start a round: the given one, or the next pending round.
    StartRound {
        #[serde(default)]
        round_id: Option<i64>,
    },
    /// Live: open the next question.
    Next,
    /// Live: close the open question now (it is scored).
    Close,
    /// Live: stop the clock of the open question.
    Pause,
    /// Live: restart the clock with the time that was left.
    Resume,
    /// Live: drop the open question (or the next pending one) without scoring it.
    Skip,
    /// End the running round: a live round closes its open question and skips the rest; an exam round
    /// submits every paper still open.
    EndRound,
    /// End the contest.
    Finish,
    /// Buzzer: arm the buzzer of the open question; the first buzz from now on takes the floor.
    Arm,
    /// Buzzer: the organizer's verdict on the floor holder's answer. `team`, when given, must be the team holding
    /// the floor (a second click meant for the same team then cannot judge the next one in line).
    Judge {
        correct: bool,
        #[serde(default)]
        team: Option<i64>,
    },
    /// Stage: take back a ledger entry by appending its reverse (the original stays, audited).
    Undo {
        entry: u64,
        #[serde(default)]
        note: String,
    },
    /// Stage: add (or, negative, subtract) points to a team, with a required note saying why.
    AdjustTeam { team: i64, delta: f64, note: String },
    /// 风险题: the pick of the team whose turn it is (`points`: one of the round's values, or null to pass when
    /// passing is allowed). A value opens the team's question at once.
    WagerPick {
        team: i64,
        #[serde(default)]
        points: Option<u32>,
    },
    /// 加赛: the last resort (no questions left): the recorded draw orders the teams still tied.
    Draw,
}

/// A participant's answer to one question, as sent by the client. Choices are *display* positions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerInput {
    pub round_id: i64,
    /// Position of the question in the live round, or in the participant's own paper for an exam.
    pub index: usize,
    /// Picked options by displayed position (0 = the first option shown).
    #[serde(default)]
    pub choice: Option<Vec<usize>>,
    /// Text for each blank of a fill question.
    #[serde(default)]
    pub blanks: Option<Vec<String>>,
}

/// The server's receipt for an answer: sent only after the answer is committed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerAck {
    pub round_id: i64,
    pub index: usize,
    pub received_at: i64,
    /// True when this exact answer had already been received; nothing changed.
    pub duplicate: bool,
}

/// A participant as the engine identifies them on every call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParticipantRef {
    pub participant_id: i64,
    pub session_id: String,
}

/// Who asks for a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Viewer {
    Organizer,
    Display,
    Participant(ParticipantRef),
}

/// An accepted answer waiting for its commit.
pub struct AcceptedAnswer {
    pub ack: AnswerAck,
    pub commit: Option<PendingCommit>,
}

type Reply<T> = oneshot::Sender<AppResult<T>>;

pub(crate) enum Command {
    /// An organizer action, with the organizer's user name for the audit trail.
    Control(ControlAction, String, Reply<Value>),
    /// A phone's buzz: the time its socket read it (`buzz_clock_ms`) and the time the phone reported.
    Buzz {
        who: ParticipantRef,
        client_ms: Option<i64>,
        received_ms: i64,
        reply: Reply<Value>,
    },
    Answer(ParticipantRef, AnswerInput, Reply<AcceptedAnswer>),
    /// A commit failed after the answer was accepted: forget it so the client can resend.
    ForgetAnswer {
        participant_id: i64,
        round_id: i64,
        index: usize,
        received_at: i64,
    },
    ExamStart(ParticipantRef, Reply<exam::ExamReply>),
    ExamSubmit(ParticipantRef, Reply<exam::ExamReply>),
    Snapshot(Viewer, Reply<Value>),
    Joined {
        participant_id: i64,
        session_id: String,
    },
    /// The organizer approved a device change: `session_id` (held by no phone) replaces the old phone's session,
    /// whose sockets are told that the seat moved.
    SeatMoved {
        participant_id: i64,
        session_id: String,
    },
    /// A participant connection opened or closed.
    Presence(i64),
    /// Is this still the participant's current session? (Cheap: no snapshot is built.)
    CheckSession(ParticipantRef, Reply<()>),
    TabSwitch(ParticipantRef, Reply<u32>),
    /// The roster or the rounds changed in the store while the contest was in draft.
    Reload(Reply<()>),
    /// A bank this contest draws from was re-imported: reload the questions and rescore.
    ReloadQuestions(Reply<()>),
    Results(Reply<Value>),
    Breakdown(i64, Reply<Value>),
    Paper {
        round_id: i64,
        participant_id: i64,
        reply: Reply<Value>,
    },
    Adjust {
        participant_id: i64,
        delta_centi: i64,
        reason: String,
        by: String,
        reply: Reply<Value>,
    },
}

#[derive(Clone)]
pub struct ContestHandle {
    /// Where the contest's actor is: in this process, or (several instances) in the instance that owns the
    /// contest. Shared by every clone, so a takeover re-routes every open socket at once.
    route: Arc<std::sync::RwLock<Route>>,
    pub hub: Arc<ContestHub>,
    contest_id: i64,
    /// For what the organizer's snapshot adds from the store (pending device changes).
    store: Store,
}

/// Where a contest's commands go.
#[derive(Clone)]
pub(crate) enum Route {
    /// The actor runs in this process.
    Local(mpsc::Sender<Command>),
    /// Another instance owns the contest: commands cross over PostgreSQL (`crate::cluster`).
    Remote(Arc<crate::cluster::Link>),
}

async fn call<T>(tx: &mpsc::Sender<Command>, make: impl FnOnce(Reply<T>) -> Command) -> AppResult<T> {
    let (reply, wait) = oneshot::channel();
    tx.send(make(reply))
        .await
        .map_err(|_| AppError::unavailable("the contest engine stopped"))?;
    wait.await
        .map_err(|_| AppError::unavailable("the contest engine stopped"))?
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> AppResult<T> {
    serde_json::from_value(value).map_err(AppError::internal)
}

impl ContestHandle {
    pub(crate) fn route(&self) -> Route {
        self.route.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_route(&self, route: Route) {
        *self.route.write().unwrap_or_else(|e| e.into_inner()) = route;
    }

    pub fn contest_id(&self) -> i64 {
        self.contest_id
    }

    /// A command for the actor, wherever it runs; `remote` is the same command for another instance.
    async fn value(&self, make: impl FnOnce(Reply<Value>) -> Command, remote: Request) -> AppResult<Value> {
        match self.route() {
            Route::Local(tx) => call(&tx, make).await,
            Route::Remote(link) => link.request(self.contest_id, remote).await,
        }
    }

    /// A command whose reply nobody waits for.
    async fn tell(&self, command: Command, remote: Request) {
        match self.route() {
            Route::Local(tx) => {
                let _ = tx.send(command).await;
            }
            Route::Remote(link) => link.tell(self.contest_id, remote),
        }
    }

    /// Run an organizer action (`by`: the organizer, for the audit trail); the reply is the organizer's snapshot
    /// right after it.
    pub async fn control(&self, action: ControlAction, by: &str) -> AppResult<Value> {
        let by = by.to_owned();
        let remote = Request::Control {
            action: action.clone(),
            by: by.clone(),
        };
        let snapshot = self.value(|r| Command::Control(action, by, r), remote).await?;
        self.for_organizer(snapshot).await
    }

    /// Hand a buzz to the engine now, in the order the socket read it; the returned receiver gets the outcome
    /// (`{round_id, index, team, server_ms, seq, result, position}`) once the buzz is committed. Awaiting the
    /// reply apart from handing over keeps the socket's receive order without holding the socket up.
    pub async fn send_buzz(
        &self,
        who: ParticipantRef,
        client_ms: Option<i64>,
        received_ms: i64,
    ) -> AppResult<oneshot::Receiver<AppResult<Value>>> {
        let (reply, wait) = oneshot::channel();
        match self.route() {
            Route::Local(tx) => tx
                .send(Command::Buzz {
                    who,
                    client_ms,
                    received_ms,
                    reply,
                })
                .await
                .map_err(|_| AppError::unavailable("the contest engine stopped"))?,
            Route::Remote(link) => {
                // Sent now, in this socket's order; the reply arrives later.
                let pending = link.send(
                    self.contest_id,
                    Request::Buzz {
                        who,
                        client_ms,
                        received_ms,
                    },
                );
                tokio::spawn(async move {
                    let _ = reply.send(pending.await);
                });
            }
        }
        Ok(wait)
    }

    /// Submit an answer and wait until it is durable. Only then is it acknowledged.
    pub async fn answer(&self, who: ParticipantRef, input: AnswerInput) -> AppResult<AnswerAck> {
        self.answer_with_ref(who, input, None).await
    }

    /// As [`Self::answer`], for an answer frame of a socket: the personal `answer_ack` echoes the frame's `ref`.
    pub async fn answer_with_ref(
        &self,
        who: ParticipantRef,
        input: AnswerInput,
        reference: Option<Value>,
    ) -> AppResult<AnswerAck> {
        let participant_id = who.participant_id;
        let received = std::time::Instant::now();
        let ack = match self.route() {
            Route::Local(tx) => {
                let verdict = route::submit_answer(&tx, who, input).await?;
                route::durable(&tx, participant_id, route::verdict(verdict).await?).await?
            }
            Route::Remote(link) => parse(link.send(self.contest_id, Request::Answer { who, input }).await?)?,
        };
        let event = views::answer_ack_event(&ack, reference.as_ref());
        self.hub.send_personal(participant_id, event);
        crate::metrics::METRICS
            .answer_ack_seconds
            .observe(received.elapsed().as_secs_f64());
        Ok(ack)
    }

    /// Open the participant's paper; answers once the paper is on disk.
    pub async fn exam_start(&self, who: ParticipantRef) -> AppResult<Value> {
        self.exam(who, true).await
    }

    /// Hand in the participant's paper; answers once the hand-in is on disk.
    pub async fn exam_submit(&self, who: ParticipantRef) -> AppResult<Value> {
        self.exam(who, false).await
    }

    async fn exam(&self, who: ParticipantRef, start: bool) -> AppResult<Value> {
        let participant_id = who.participant_id;
        let (view, frame) = match self.route() {
            Route::Local(tx) => route::exam_committed(&tx, who, start).await?,
            Route::Remote(link) => {
                let reply = link
                    .request(self.contest_id, Request::Exam { who, start })
                    .await?;
                route::exam_from_wire(reply)?
            }
        };
        if let Some(frame) = frame {
            self.hub.send_personal(participant_id, frame);
        }
        Ok(view)
    }

    pub async fn snapshot(&self, viewer: Viewer) -> AppResult<Value> {
        let organizer = matches!(viewer, Viewer::Organizer);
        let remote = Request::Snapshot {
            viewer: viewer.clone(),
        };
        let snapshot = self.value(|r| Command::Snapshot(viewer, r), remote).await?;
        if organizer {
            self.for_organizer(snapshot).await
        } else {
            Ok(snapshot)
        }
    }

    /// Complete an organizer snapshot with what lives outside the actor: `device_requests`, the pending device
    /// changes. A socket subscribes before it asks for its snapshot, and every change of the list is published
    /// after it is stored, so a console that (re)connects has the list at once and misses no later change.
    async fn for_organizer(&self, mut snapshot: Value) -> AppResult<Value> {
        snapshot["device_requests"] = seats::device_requests(&self.store, self.contest_id).await?;
        Ok(snapshot)
    }

    pub async fn joined(&self, participant_id: i64, session_id: String) {
        let remote = Request::Joined {
            participant_id,
            session_id: session_id.clone(),
        };
        self.tell(
            Command::Joined {
                participant_id,
                session_id,
            },
            remote,
        )
        .await;
    }

    /// The seat moved to another phone: end the current phone's session now (see [`Command::SeatMoved`]).
    pub async fn seat_moved(&self, participant_id: i64, session_id: String) {
        let remote = Request::SeatMoved {
            participant_id,
            session_id: session_id.clone(),
        };
        self.tell(
            Command::SeatMoved {
                participant_id,
                session_id,
            },
            remote,
        )
        .await;
    }

    /// A participant connection opened or closed.
    pub async fn presence_changed(&self, participant_id: i64) {
        let remote = Request::Presence {
            participant_id,
            connected: self.hub.is_connected_here(participant_id),
        };
        self.tell(Command::Presence(participant_id), remote).await;
    }

    /// Refuse a replaced session (401 `session_replaced`) without building a snapshot.
    pub async fn check_session(&self, who: ParticipantRef) -> AppResult<()> {
        match self.route() {
            Route::Local(tx) => call(&tx, |r| Command::CheckSession(who, r)).await,
            Route::Remote(link) => link
                .request(self.contest_id, Request::CheckSession { who })
                .await
                .map(drop),
        }
    }

    pub async fn tab_switch(&self, who: ParticipantRef) -> AppResult<u32> {
        match self.route() {
            Route::Local(tx) => call(&tx, |r| Command::TabSwitch(who, r)).await,
            Route::Remote(link) => parse(link.request(self.contest_id, Request::TabSwitch { who }).await?),
        }
    }

    pub async fn reload(&self) -> AppResult<()> {
        match self.route() {
            Route::Local(tx) => call(&tx, Command::Reload).await,
            Route::Remote(link) => link.request(self.contest_id, Request::Reload).await.map(drop),
        }
    }

    /// A bank this contest draws from was re-imported: reload the questions and rescore.
    pub async fn reload_questions(&self) -> AppResult<()> {
        match self.route() {
            Route::Local(tx) => call(&tx, Command::ReloadQuestions).await,
            Route::Remote(link) => link
                .request(self.contest_id, Request::ReloadQuestions)
                .await
                .map(drop),
        }
    }

    pub async fn results(&self) -> AppResult<Value> {
        self.value(Command::Results, Request::Results).await
    }

    pub async fn breakdown(&self, participant_id: i64) -> AppResult<Value> {
        self.value(
            |r| Command::Breakdown(participant_id, r),
            Request::Breakdown { participant_id },
        )
        .await
    }

    pub async fn paper(&self, round_id: i64, participant_id: i64) -> AppResult<Value> {
        self.value(
            |reply| Command::Paper {
                round_id,
                participant_id,
                reply,
            },
            Request::Paper {
                round_id,
                participant_id,
            },
        )
        .await
    }

    pub async fn adjust(
        &self,
        participant_id: i64,
        delta_centi: i64,
        reason: String,
        by: String,
    ) -> AppResult<Value> {
        let remote = Request::Adjust {
            participant_id,
            delta_centi,
            reason: reason.clone(),
            by: by.clone(),
        };
        self.value(
            |reply| Command::Adjust {
                participant_id,
                delta_centi,
                reason,
                by,
                reply,
            },
            remote,
        )
        .await
    }
}
