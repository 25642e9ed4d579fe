//! Rows as stored. JSON columns are kept as text here and decoded by the code that uses them.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct BankRow {
    pub id: String,
    pub title: String,
    pub language: String,
    pub imported_at: i64,
    pub question_count: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct QuestionRow {
    pub uid: i64,
    pub bank_id: String,
    pub qid: String,
    pub qtype: String,
    pub category: String,
    pub difficulty: i64,
    pub points: Option<i64>,
    pub tags: String,
    pub stem: String,
    pub options: String,
    pub answer_key: String,
    pub explanation: String,
    pub source: String,
    pub draw_group: Option<String>,
    pub excludes: String,
    pub lint_ok: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct ContestRow {
    pub id: i64,
    pub title: String,
    pub join_code: String,
    pub seed: i64,
    pub bank_ids: String,
    pub join_mode: String,
    pub unit_scoring: String,
    pub state: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The kind of per-person secret the roster carries (`crate::identity::SecretKind`), if any.
    pub secret_kind: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub contest_id: i64,
    pub position: i64,
    pub title: String,
    pub kind: String,
    pub config: String,
    pub state: String,
    pub started_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RoundQuestionRow {
    pub round_id: i64,
    pub position: i64,
    pub question_uid: i64,
    pub option_order: String,
    pub state: String,
    pub opened_at: Option<i64>,
    pub deadline_at: Option<i64>,
    pub remaining_ms: Option<i64>,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ParticipantRow {
    pub id: i64,
    pub contest_id: i64,
    pub name: String,
    pub badge: Option<String>,
    pub unit: String,
    pub session_id: Option<String>,
    pub joined_at: Option<i64>,
    pub tab_switches: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PaperRow {
    pub round_id: i64,
    pub participant_id: i64,
    pub items: String,
    pub started_at: i64,
    pub deadline_at: i64,
    pub submitted_at: Option<i64>,
    pub auto_submitted: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct AnswerRow {
    pub participant_id: i64,
    pub round_id: i64,
    pub question_uid: i64,
    pub contest_id: i64,
    pub response: String,
    pub received_at: i64,
    pub elapsed_ms: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct AdjustmentRow {
    pub id: i64,
    pub contest_id: i64,
    pub participant_id: i64,
    pub delta_centi: i64,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct RejectionRow {
    pub id: i64,
    pub participant_id: i64,
    pub round_id: Option<i64>,
    pub question_ref: Option<String>,
    pub reason: String,
    pub received_at: i64,
}
