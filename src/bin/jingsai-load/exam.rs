//! A phone's exam paper: open it, answer every question at the configured pace, hand it in. Opening and handing
//! in go over the phone's WebSocket (`--exam-via ws`, the default: `exam_start` → `exam_paper`, `exam_submit` →
//! `exam_submitted`, refusals as `exam_error`), so a phone holds exactly one connection; or over HTTP
//! (`--exam-via http`: `POST /api/exam/start`, `POST /api/exam/submit`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::net;
use crate::phone::{Ctx, Phone, Via, answer};
use crate::samples::{Kind, ROUND_LEVEL, Sample, micros, now_us};

/// Open the paper, answer every question at the configured pace, submit.
pub fn start(ctx: &Arc<Ctx>, phone: &Arc<Phone>, round: i64) {
    let (ctx, phone) = (ctx.clone(), phone.clone());
    tokio::spawn(async move {
        let (t, started) = (now_us(), Instant::now());
        let paper = match request(&ctx, &phone, "exam_start", round).await {
            Ok(v) => v,
            Err(kind) => return ctx.rec.error(format!("exam_start:{kind}"), round, ROUND_LEVEL),
        };
        ctx.rec.record(Sample {
            d: micros(started.elapsed()),
            ..Sample::at(Kind::ExamStarted, round, ROUND_LEVEL, t)
        });
        let questions = paper["questions"].as_array().cloned().unwrap_or_default();
        for q in &questions {
            tokio::time::sleep(Duration::from_millis(ctx.exam_interval_ms)).await;
            let options = q["question"]["options"].as_array().map_or(0, Vec::len);
            let choice = rand::rng().random_range(0..options.max(1));
            // After a refused answer (the round ended, the deadline passed) the rest would fail the same way:
            // hand the paper in as it is.
            if !answer(&ctx, &phone, round, q["index"].as_i64().unwrap_or(0), choice).await {
                break;
            }
        }
        let (t, started) = (now_us(), Instant::now());
        match request(&ctx, &phone, "exam_submit", round).await {
            Ok(_) => ctx.rec.record(Sample {
                d: micros(started.elapsed()),
                ..Sample::at(Kind::Submitted, round, ROUND_LEVEL, t)
            }),
            Err(kind) => ctx.rec.error(format!("exam_submit:{kind}"), round, ROUND_LEVEL),
        }
    });
}

/// `exam_start` or `exam_submit`: the exam view the server replied with, or an error kind for the report
/// (`http_409:no_exam_running`, `ws:paper_not_started`, `ws:timeout`, …).
async fn request(ctx: &Ctx, phone: &Phone, kind: &str, round: i64) -> Result<Value, String> {
    match ctx.exam_via {
        Via::Http => {
            let path = if kind == "exam_start" { "start" } else { "submit" };
            let url = format!("{}/api/exam/{path}", ctx.base);
            ctx.rec.record(Sample {
                e: kind.into(),
                ..Sample::new(Kind::Http)
            });
            net::request(&phone.http, Method::POST, &url, Some(&phone.token), None).await
        }
        Via::Ws => {
            let reference = format!("{kind}:{round}");
            let (tx, rx) = oneshot::channel();
            phone
                .requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(reference.clone(), tx);
            let frame = json!({"type": kind, "ref": reference});
            if phone.out.send(frame.to_string()).is_err() {
                return Err("ws:socket_gone".into());
            }
            match tokio::time::timeout(net::request_timeout(), rx).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err("ws:socket_gone".into()),
                Err(_) => Err("ws:timeout".into()),
            }
        }
    }
}

/// A reply to an exam request on the socket (`exam_paper`, `exam_submitted`, `exam_error`): hand it to the
/// request waiting for its `ref`.
pub fn on_reply(phone: &Phone, v: &Value) {
    let Some(reference) = v["ref"].as_str() else {
        return;
    };
    let waiting = phone
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(reference);
    if let Some(tx) = waiting {
        let result = if v["type"] == "exam_error" {
            Err(format!("ws:{}", v["code"].as_str().unwrap_or("exam_error")))
        } else {
            Ok(v["exam"].clone())
        };
        let _ = tx.send(result);
    }
}
