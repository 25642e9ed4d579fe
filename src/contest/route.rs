//! A contest's commands when several instances share one PostgreSQL (`crate::cluster`): the instance that owns
//! the contest runs its actor; the others send it [`Request`]s and get the same replies a local caller gets.
//! [`ContestHandle::execute`] is the owner's side; the other side is in `ContestHandle`'s methods.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{
    AcceptedAnswer, AnswerAck, AnswerInput, Command, ContestHandle, ControlAction, ParticipantRef, Route,
    Viewer, call,
};
use crate::error::{AppError, AppResult};

/// A command from another instance, as it crosses PostgreSQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Control {
        action: ControlAction,
        by: String,
    },
    Buzz {
        who: ParticipantRef,
        client_ms: Option<i64>,
        received_ms: i64,
    },
    Answer {
        who: ParticipantRef,
        input: AnswerInput,
    },
    /// Open (`start`) or hand in the participant's exam paper.
    Exam {
        who: ParticipantRef,
        start: bool,
    },
    Snapshot {
        viewer: Viewer,
    },
    Joined {
        participant_id: i64,
        session_id: String,
    },
    SeatMoved {
        participant_id: i64,
        session_id: String,
    },
    /// A participant's sockets on the sending instance: whether any is open now.
    Presence {
        participant_id: i64,
        connected: bool,
    },
    /// Every participant connected to the sending instance (after the owner changed, or a listener reconnected).
    PresenceAll {
        participants: Vec<i64>,
    },
    CheckSession {
        who: ParticipantRef,
    },
    TabSwitch {
        who: ParticipantRef,
    },
    Reload,
    ReloadQuestions,
    Results,
    Breakdown {
        participant_id: i64,
    },
    Paper {
        round_id: i64,
        participant_id: i64,
    },
    Adjust {
        participant_id: i64,
        delta_centi: i64,
        reason: String,
        by: String,
    },
}

/// The rest of a request's work, after the part that must happen in arrival order.
pub type Pending = Pin<Box<dyn Future<Output = AppResult<Value>> + Send>>;

impl ContestHandle {
    /// Run a request from instance `from` on this (owning) instance's actor. Every request is handed to the
    /// actor before this returns, so requests reach it in the order they arrived (a join before the snapshot
    /// that follows it, a socket's buzzes in order); the returned future waits for the reply (and for an
    /// answer's or a paper's commit). `None` when the contest's actor is not here.
    pub(crate) async fn execute(&self, from: u64, request: Request) -> Option<Pending> {
        let Route::Local(tx) = self.route() else {
            return None;
        };
        Some(match self.submit(&tx, from, request).await {
            Ok(pending) => pending,
            Err(e) => Box::pin(async move { Err(e) }),
        })
    }

    async fn submit(&self, tx: &mpsc::Sender<Command>, from: u64, request: Request) -> AppResult<Pending> {
        fn reply<T: Serialize + Send + 'static>(wait: oneshot::Receiver<AppResult<T>>) -> Pending {
            Box::pin(async move {
                let value = wait
                    .await
                    .map_err(|_| AppError::unavailable("the contest engine stopped"))??;
                serde_json::to_value(value).map_err(AppError::internal)
            })
        }
        let done: Pending = Box::pin(async { Ok(Value::Null) });
        Ok(match request {
            Request::Answer { who, input } => {
                let participant_id = who.participant_id;
                let wait = submit_answer(tx, who, input).await?;
                let tx = tx.clone();
                Box::pin(async move {
                    let ack = durable(&tx, participant_id, verdict(wait).await?).await?;
                    serde_json::to_value(ack).map_err(AppError::internal)
                })
            }
            Request::Buzz {
                who,
                client_ms,
                received_ms,
            } => reply(
                submit(tx, |reply| Command::Buzz {
                    who,
                    client_ms,
                    received_ms,
                    reply,
                })
                .await?,
            ),
            Request::Exam { who, start } => {
                let wait = if start {
                    submit(tx, |r| Command::ExamStart(who, r)).await?
                } else {
                    submit(tx, |r| Command::ExamSubmit(who, r)).await?
                };
                Box::pin(async move {
                    let exam = wait
                        .await
                        .map_err(|_| AppError::unavailable("the contest engine stopped"))??;
                    let (view, frame) = exam_durable(exam, start).await?;
                    let frame = frame.map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
                    Ok(json!({"view": view, "frame": frame}))
                })
            }
            Request::Control { action, by } => reply(submit(tx, |r| Command::Control(action, by, r)).await?),
            Request::Snapshot { viewer } => reply(submit(tx, |r| Command::Snapshot(viewer, r)).await?),
            Request::Joined {
                participant_id,
                session_id,
            } => {
                tell(
                    tx,
                    Command::Joined {
                        participant_id,
                        session_id,
                    },
                )
                .await?;
                done
            }
            Request::SeatMoved {
                participant_id,
                session_id,
            } => {
                tell(
                    tx,
                    Command::SeatMoved {
                        participant_id,
                        session_id,
                    },
                )
                .await?;
                done
            }
            Request::Presence {
                participant_id,
                connected,
            } => {
                self.hub.set_remote(participant_id, from, connected);
                tell(tx, Command::Presence(participant_id)).await?;
                done
            }
            Request::PresenceAll { participants } => {
                self.hub.replace_remote(from, &participants);
                for participant_id in participants {
                    tell(tx, Command::Presence(participant_id)).await?;
                }
                done
            }
            Request::CheckSession { who } => reply(submit(tx, |r| Command::CheckSession(who, r)).await?),
            Request::TabSwitch { who } => reply(submit(tx, |r| Command::TabSwitch(who, r)).await?),
            Request::Reload => reply(submit(tx, Command::Reload).await?),
            Request::ReloadQuestions => reply(submit(tx, Command::ReloadQuestions).await?),
            Request::Results => reply(submit(tx, Command::Results).await?),
            Request::Breakdown { participant_id } => {
                reply(submit(tx, |r| Command::Breakdown(participant_id, r)).await?)
            }
            Request::Paper {
                round_id,
                participant_id,
            } => reply(
                submit(tx, |reply| Command::Paper {
                    round_id,
                    participant_id,
                    reply,
                })
                .await?,
            ),
            Request::Adjust {
                participant_id,
                delta_centi,
                reason,
                by,
            } => reply(
                submit(tx, |reply| Command::Adjust {
                    participant_id,
                    delta_centi,
                    reason,
                    by,
                    reply,
                })
                .await?,
            ),
        })
    }
}

/// Hand a command to the actor; the receiver gets its reply.
async fn submit<T>(
    tx: &mpsc::Sender<Command>,
    make: impl FnOnce(oneshot::Sender<AppResult<T>>) -> Command,
) -> AppResult<oneshot::Receiver<AppResult<T>>> {
    let (reply, wait) = oneshot::channel();
    tell(tx, make(reply)).await?;
    Ok(wait)
}

async fn tell(tx: &mpsc::Sender<Command>, command: Command) -> AppResult<()> {
    tx.send(command)
        .await
        .map_err(|_| AppError::unavailable("the contest engine stopped"))
}

/// Hand an answer to the actor (in the caller's order); the receiver gets the actor's verdict.
pub(super) async fn submit_answer(
    tx: &mpsc::Sender<Command>,
    who: ParticipantRef,
    input: AnswerInput,
) -> AppResult<oneshot::Receiver<AppResult<AcceptedAnswer>>> {
    let (reply, wait) = oneshot::channel();
    tx.send(Command::Answer(who, input, reply))
        .await
        .map_err(|_| AppError::unavailable("the contest engine stopped"))?;
    Ok(wait)
}

/// The actor's verdict on an answer handed over with [`submit_answer`].
pub(super) async fn verdict(wait: oneshot::Receiver<AppResult<AcceptedAnswer>>) -> AppResult<AcceptedAnswer> {
    wait.await
        .map_err(|_| AppError::unavailable("the contest engine stopped"))?
}

/// Wait until an accepted answer is committed; if the commit fails, the actor forgets the answer so the client
/// can send it again.
pub(super) async fn durable(
    tx: &mpsc::Sender<Command>,
    participant_id: i64,
    accepted: AcceptedAnswer,
) -> AppResult<AnswerAck> {
    if let Some(commit) = accepted.commit
        && let Err(cause) = commit.committed().await
    {
        let _ = tx
            .send(Command::ForgetAnswer {
                participant_id,
                round_id: accepted.ack.round_id,
                index: accepted.ack.index,
                received_at: accepted.ack.received_at,
            })
            .await;
        return Err(AppError::storage_unavailable(format!(
            "answer commit failed: {cause}"
        )));
    }
    Ok(accepted.ack)
}

/// Open or hand in a paper and wait for its commit (a failure is a 503 the phone retries: the retry writes
/// again). Returns the reply and the personal frame to send once it is durable.
pub(super) async fn exam_committed(
    tx: &mpsc::Sender<Command>,
    who: ParticipantRef,
    start: bool,
) -> AppResult<(Value, Option<Bytes>)> {
    let reply = if start {
        call(tx, |r| Command::ExamStart(who, r)).await?
    } else {
        call(tx, |r| Command::ExamSubmit(who, r)).await?
    };
    exam_durable(reply, start).await
}

/// Wait for an exam write's commit.
async fn exam_durable(reply: super::exam::ExamReply, start: bool) -> AppResult<(Value, Option<Bytes>)> {
    if let Some(commit) = reply.commit
        && let Err(cause) = commit.committed().await
    {
        let failed = if start {
            "the paper could not be saved"
        } else {
            "the hand-in could not be saved"
        };
        return Err(AppError::storage_unavailable(format!("{failed}: {cause}")));
    }
    Ok((reply.view, reply.after_commit))
}

/// The reply of [`Request::Exam`] as another instance sent it.
pub(super) fn exam_from_wire(mut reply: Value) -> AppResult<(Value, Option<Bytes>)> {
    let frame = match reply["frame"].take() {
        Value::String(text) => Some(Bytes::from(text)),
        _ => None,
    };
    Ok((reply["view"].take(), frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_json() {
        let request = Request::Answer {
            who: ParticipantRef {
                participant_id: 7,
                session_id: "s".into(),
            },
            input: AnswerInput {
                round_id: 3,
                index: 1,
                choice: Some(vec![2]),
                blanks: None,
            },
        };
        let text = serde_json::to_string(&request).expect("encode");
        let back: Request = serde_json::from_str(&text).expect("decode");
        match back {
            Request::Answer { who, input } => {
                assert_eq!(who.participant_id, 7);
                assert_eq!(input.choice, Some(vec![2]));
            }
            other => panic!("{other:?}"),
        }
        let ack = AnswerAck {
            round_id: 3,
            index: 1,
            received_at: 5,
            duplicate: false,
        };
        let value = serde_json::to_value(&ack).expect("ack");
        let back: AnswerAck = serde_json::from_value(value).expect("ack back");
        assert_eq!(back.received_at, 5);
    }
}
