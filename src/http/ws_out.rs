//! Writing to one WebSocket: whatever is already queued for the socket goes out in one batch with one flush.
//!
//! At a close every participant gets `question_closed` and `leaderboard` (broadcast) and `my_result`
//! (personal) within microseconds of each other. Writing them one by one costs a task wake-up, a timer and a
//! `write` system call each; taking everything that is ready and flushing once costs one of each per socket.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::SinkExt;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::TryRecvError;

use crate::realtime::{Personal, PersonalReceiver};

pub(super) type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// A socket that does not take its writes within this time is dropped.
pub(super) const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames written per batch at most, so one socket's batch stays short.
const MAX_BATCH: usize = 32;

/// What the socket loop does after a batch.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Forwarded {
    /// Everything was written.
    Sent,
    /// Messages were dropped (the broadcast lagged, or the personal queue overflowed): send a snapshot. When
    /// `broadcast` is true the broadcast receiver must be resubscribed first.
    Resync { broadcast: bool },
    /// A close notice was written: end the socket.
    Closed,
    /// The write failed or timed out: the socket is gone.
    Failed,
}

fn text(bytes: Bytes) -> Option<Message> {
    Utf8Bytes::try_from(bytes).ok().map(Message::Text)
}

/// Write one frame and flush (a snapshot, a reply).
pub(super) async fn send(sink: &mut Sink, bytes: Bytes) -> bool {
    let Some(message) = text(bytes) else {
        return true;
    };
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// Write `first` and every frame already waiting in the socket's broadcast and personal queues (up to a batch),
/// then flush once.
pub(super) async fn forward(
    sink: &mut Sink,
    first: Bytes,
    broadcast: &mut broadcast::Receiver<Bytes>,
    personal: &mut PersonalReceiver,
) -> Forwarded {
    let batch = async {
        if let Some(message) = text(first) {
            sink.feed(message).await?;
        }
        let mut next = Forwarded::Sent;
        let mut written = 1;
        // Broadcast frames first (each `continue` drains one more), then one personal frame, then again: frames
        // published before a personal one was queued are written before it.
        while written < MAX_BATCH {
            match broadcast.try_recv() {
                Ok(bytes) => {
                    if let Some(message) = text(bytes) {
                        sink.feed(message).await?;
                    }
                    written += 1;
                    continue;
                }
                Err(TryRecvError::Lagged(_)) => {
                    next = Forwarded::Resync { broadcast: true };
                    break;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => {}
            }
            match personal.rx.try_recv() {
                Ok(message) if message.is_resync() => {
                    next = Forwarded::Resync { broadcast: false };
                    break;
                }
                Ok(Personal::Message(bytes)) => {
                    if let Some(message) = text(bytes) {
                        sink.feed(message).await?;
                    }
                    written += 1;
                }
                Ok(Personal::Close(closing)) => {
                    if let Some(message) = text(closing.notice) {
                        sink.feed(message).await?;
                    }
                    let frame = CloseFrame {
                        code: closing.code,
                        reason: closing.reason.into(),
                    };
                    sink.feed(Message::Close(Some(frame))).await?;
                    next = Forwarded::Closed;
                    break;
                }
                Err(_) => break,
            }
        }
        if next == Forwarded::Sent && personal.take_overflow() {
            next = Forwarded::Resync { broadcast: false };
        }
        sink.flush().await?;
        Ok::<_, axum::Error>(next)
    };
    match tokio::time::timeout(SEND_TIMEOUT, batch).await {
        Ok(Ok(next)) => next,
        _ => Forwarded::Failed,
    }
}
