//! Banks and the question browser (organizer only).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Json, Organizer};
use crate::bank::formats::{Format, ImportOptions};
use crate::bank::{Bank, BankError, Question, QuestionType};
use crate::error::{AppError, AppResult};
use crate::store::{BankRow, CategoryCount, QuestionFilter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_banks))
        .routes(routes!(search_questions))
        .routes(routes!(get_question))
        .routes(routes!(categories))
        .routes(routes!(template))
        .routes(routes!(export_bank))
}

pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_banks))
        .routes(routes!(import_file))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, ToSchema)]
pub struct BankFile {
    /// File name, used in error messages (`name:line: message`).
    pub name: String,
    /// The file's text (native TOML format, see docs/bank-format.md).
    pub content: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ImportRequest {
    pub files: Vec<BankFile>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub banks: Vec<String>,
    pub questions: usize,
}

/// List the imported banks.
#[utoipa::path(get, path = "/api/banks", tag = "banks", security(("bearer" = [])),
    responses((status = 200, body = [BankRow])))]
async fn list_banks(State(state): State<AppState>, _: Organizer) -> AppResult<axum::Json<Vec<BankRow>>> {
    Ok(axum::Json(state.store.list_banks().await?))
}

/// Import one or more bank files. All or nothing: any error means nothing is imported, and every error is
/// returned with its file and line.
#[utoipa::path(post, path = "/api/banks/import", tag = "banks", security(("bearer" = [])),
    request_body = ImportRequest,
    responses((status = 200, body = ImportResult),
              (status = 409, description = "`bank_in_use`: a running contest draws from this bank", body = crate::error::ErrorBody),
              (status = 422, description = "the files have errors; `details` lists them (`BankError` objects)", body = crate::error::ErrorBody)))]
async fn import_banks(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Json(request): Json<ImportRequest>,
) -> AppResult<axum::Json<ImportResult>> {
    if request.files.is_empty() {
        return Err(AppError::unprocessable("no_files", "send at least one bank file"));
    }
    let files: Vec<(String, String)> = request.files.into_iter().map(|f| (f.name, f.content)).collect();
    let banks = crate::bank::load_texts(&files).map_err(invalid)?;
    store_banks(&state, &banks, &claims.sub).await
}

fn invalid(errors: Vec<BankError>) -> AppError {
    AppError::unprocessable(
        "bank_invalid",
        format!("the bank has {} error(s); nothing was imported", errors.len()),
    )
    .with_details(errors)
}

/// Store validated banks, unless a running contest draws from one of them; reload the contests that do, and
/// record the import in their audit logs (`by`: the organizer), with the regraded results of a finished one.
async fn store_banks(state: &AppState, banks: &[Bank], by: &str) -> AppResult<axum::Json<ImportResult>> {
    // A running contest's questions are fixed while it runs: its scores must stay explainable.
    let contests = state.store.contests().await?;
    let uses = |row: &crate::store::ContestRow, bank: &str| {
        serde_json::from_str::<Vec<String>>(&row.bank_ids).is_ok_and(|ids| ids.iter().any(|b| b == bank))
    };
    for bank in banks {
        if let Some(running) = contests
            .iter()
            .find(|c| c.state == "running" && uses(c, &bank.id))
        {
            return Err(AppError::conflict(
                "bank_in_use",
                format!(
                    "bank `{}` is used by the running contest “{}”; import it again after that contest finishes",
                    bank.id, running.title
                ),
            ));
        }
    }
    let questions = state.store.import_banks(banks).await?;
    // Other contests that draw from these banks reload them now (a corrected key regrades a finished contest,
    // the same in memory as after a restart).
    let affected: Vec<i64> = contests
        .iter()
        .filter(|c| banks.iter().any(|b| uses(c, &b.id)))
        .map(|c| c.id)
        .collect();
    state.engine.reload_questions(&affected).await?;
    for contest in contests.iter().filter(|c| affected.contains(&c.id)) {
        let used: Vec<&Bank> = banks.iter().filter(|b| uses(contest, &b.id)).collect();
        crate::audit::record::record_bank_import(&state.store, contest.id, by, &used).await;
        if contest.state == "finished" {
            let handle = state.engine.contest(contest.id).await?;
            crate::audit::record::record_results(&state.store, &handle, contest.id, by, "bank_import").await;
        }
    }
    Ok(axum::Json(ImportResult {
        banks: banks.iter().map(|b| b.id.clone()).collect(),
        questions,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct FileParams {
    /// The file's name: its extension picks the format (.toml, .xlsx, .csv, .gift, .aiken, .xml, .txt) and it
    /// names the file in errors (`name[sheet]:row: message` for xlsx).
    name: String,
    /// The bank to import into, for formats that name none (xlsx, csv, GIFT, Aiken, Moodle XML).
    bank: Option<String>,
    /// The format when the extension does not tell: native, xlsx, csv, gift, aiken or moodle.
    format: Option<String>,
}

/// Import one bank file sent as the request body, in any supported format (docs/bank-formats.md). All or
/// nothing; every error is returned with its file and line (for xlsx the file names the sheet and the line is
/// the row).
#[utoipa::path(post, path = "/api/banks/import/file", tag = "banks", security(("bearer" = [])),
    params(FileParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportResult),
              (status = 409, description = "`bank_in_use`: a running contest draws from this bank", body = crate::error::ErrorBody),
              (status = 422, description = "the file has errors; `details` lists them (`BankError` objects)", body = crate::error::ErrorBody)))]
async fn import_file(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Query(params): Query<FileParams>,
    body: Bytes,
) -> AppResult<axum::Json<ImportResult>> {
    let format = match params.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(name) => Some(Format::parse(name).ok_or_else(|| {
            AppError::bad_request(
                "invalid_format",
                format!("unknown format `{name}` (one of {})", Format::NAMES),
            )
        })?),
        None => None,
    };
    let name = params.name.trim();
    if name.is_empty() || body.is_empty() {
        return Err(AppError::unprocessable("no_files", "send one bank file"));
    }
    let options = ImportOptions {
        format,
        bank: params.bank.filter(|b| !b.trim().is_empty()),
        fallback_bank: None,
    };
    let (name, body) = (name.to_string(), body.to_vec());
    // Parsing a large workbook is CPU work: keep it off the async workers.
    let banks = tokio::task::spawn_blocking(move || crate::bank::formats::load_bytes(&name, &body, &options))
        .await
        .map_err(AppError::internal)?
        .map_err(invalid)?;
    store_banks(&state, &banks, &claims.sub).await
}

/// The xlsx import template: the header row, one example per question type, and the 说明 sheet.
#[utoipa::path(get, path = "/api/banks/template.xlsx", tag = "banks", security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn template(_: Organizer) -> AppResult<impl IntoResponse> {
    let bytes = crate::bank::formats::export::template_xlsx().map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, XLSX),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"jingsai-bank-template.xlsx\"",
            ),
        ],
        bytes,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct ExportParams {
    /// `xlsx` (the import template's layout; imports back unchanged) or `native` (TOML). Default `xlsx`.
    format: Option<String>,
}

/// Export a bank as it is stored: xlsx (the template's layout, so it imports back unchanged) or the native TOML.
#[utoipa::path(get, path = "/api/banks/{id}/export", tag = "banks", security(("bearer" = [])),
    params(("id" = String, Path, description = "bank id"), ExportParams),
    responses((status = 200, description = "the file, as an attachment"),
              (status = 404, description = "`not_found`: no such bank", body = crate::error::ErrorBody),
              (status = 400, description = "`invalid_format`: format is neither xlsx nor native", body = crate::error::ErrorBody)))]
async fn export_bank(
    State(state): State<AppState>,
    _: Organizer,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(params): Query<ExportParams>,
) -> AppResult<impl IntoResponse> {
    let format = params.format.as_deref().unwrap_or("xlsx");
    if format != "xlsx" && format != "native" {
        return Err(AppError::bad_request(
            "invalid_format",
            format!("format must be xlsx or native, not {format}"),
        ));
    }
    let bank = state
        .store
        .bank(&id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::not_found("bank"))?;
    // The id is a bank id (validated at import: letters, digits, '-' and '_'), safe in a header.
    let safe: String = bank
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let (bytes, content_type, file) = if format == "xlsx" {
        let bytes = crate::bank::formats::export::to_xlsx(&bank).map_err(AppError::internal)?;
        (bytes, XLSX, format!("{safe}.xlsx"))
    } else {
        let text = crate::bank::formats::export::to_native(&bank);
        (
            text.into_bytes(),
            "application/toml; charset=utf-8",
            format!("{safe}.toml"),
        )
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Only this bank.
    bank: Option<String>,
    /// A category path prefix, e.g. `新民主主义革命时期`.
    category: Option<String>,
    /// single, multiple, true_false or fill.
    #[serde(rename = "type")]
    #[param(rename = "type", pattern = "^(single|multiple|true_false|fill)?$")]
    qtype: Option<String>,
    #[param(minimum = 1, maximum = 5)]
    difficulty: Option<u8>,
    /// Text to look for in the stem, id or tags.
    q: Option<String>,
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// A question with its key, for organizers.
pub fn question_json(uid: i64, q: &Question) -> Value {
    json!({
        "uid": uid,
        "bank_id": q.bank_id,
        "id": q.id,
        "type": q.qtype,
        "category": q.category,
        "difficulty": q.difficulty,
        "points": q.points,
        "tags": q.tags,
        "stem": q.stem,
        "options": q.options,
        "answer": q.key,
        "explanation": q.explanation,
        "source": q.source,
        "group": q.group,
        "excludes": q.excludes,
        "lint_ok": q.lint_ok,
    })
}

/// Browse and search questions, with their answers and explanations, their latest item statistics (`stats`,
/// null when never analysed) and their review mark (`review`).
#[utoipa::path(get, path = "/api/questions", tag = "banks", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, description = "`{total, questions: [...]}`", body = Object)))]
async fn search_questions(
    State(state): State<AppState>,
    _: Organizer,
    Query(params): Query<SearchParams>,
) -> AppResult<axum::Json<Value>> {
    let qtype =
        match params.qtype.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => Some(QuestionType::parse(t).ok_or_else(|| {
                AppError::bad_request("invalid_type", format!("unknown question type `{t}`"))
            })?),
            None => None,
        };
    if let Some(d) = params.difficulty
        && !crate::bank::native::DIFFICULTY.contains(&i64::from(d))
    {
        return Err(AppError::bad_request(
            "invalid_difficulty",
            format!("difficulty is 1 to 5, not {d}"),
        ));
    }
    let filter = QuestionFilter {
        bank_id: params.bank.filter(|b| !b.is_empty()),
        category: params.category.filter(|c| !c.is_empty()),
        qtype,
        difficulty: params.difficulty,
        text: params.q.filter(|q| !q.trim().is_empty()),
        limit: params.limit.unwrap_or(50).clamp(1, 500),
        offset: params.offset.unwrap_or(0).max(0),
    };
    let (total, questions) = state.store.search_questions(&filter).await?;
    let mut questions: Vec<Value> = questions.iter().map(|(uid, q)| question_json(*uid, q)).collect();
    super::analysis::annotate_questions(&state.store, &mut questions).await?;
    Ok(axum::Json(json!({"total": total, "questions": questions})))
}

/// One question with its answer and explanation, latest item statistics and review mark.
#[utoipa::path(get, path = "/api/questions/{uid}", tag = "banks", security(("bearer" = [])),
    params(("uid" = i64, Path, description = "question uid")),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn get_question(
    State(state): State<AppState>,
    _: Organizer,
    Path(uid): Path<i64>,
) -> AppResult<axum::Json<Value>> {
    let (uid, q) = state
        .store
        .question(uid)
        .await?
        .ok_or_else(|| AppError::not_found("question"))?;
    let mut question = [question_json(uid, &q)];
    super::analysis::annotate_questions(&state.store, &mut question).await?;
    let [question] = question;
    Ok(axum::Json(question))
}

#[derive(Deserialize, IntoParams)]
pub struct CategoryParams {
    /// Comma-separated bank ids; all banks when absent.
    banks: Option<String>,
}

/// Question counts per bank, category, type and difficulty: the building blocks of a blueprint.
#[utoipa::path(get, path = "/api/categories", tag = "banks", security(("bearer" = [])), params(CategoryParams),
    responses((status = 200, body = [CategoryCount])))]
async fn categories(
    State(state): State<AppState>,
    _: Organizer,
    Query(params): Query<CategoryParams>,
) -> AppResult<axum::Json<Vec<CategoryCount>>> {
    let bank_ids: Vec<String> = match params.banks.as_deref().filter(|b| !b.is_empty()) {
        Some(list) => list
            .split(',')
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty())
            .collect(),
        None => state
            .store
            .list_banks()
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect(),
    };
    Ok(axum::Json(state.store.category_counts(&bank_ids).await?))
}
