//! Results documents (docs/results.md): the results workbook and CSV, the printable report and certificates,
//! award tiers, answer sheets (organizer and, when the organizer allows it, the participant's own), and the
//! print tickets that let a printable page open in a new tab without a token in its URL.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Query, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::{Json, Organizer, Participant};
use crate::analysis::contest::{ContestRows, round_matrices};
use crate::auth::random_token;
use crate::bank::Question;
use crate::contest::{ContestHandle, RoundKind, Viewer};
use crate::error::{AppError, AppResult};
use crate::results::awards::{self, AwardTier};
use crate::results::data::{self, ContestInfo, RoundInfo};
use crate::results::html::Page;
use crate::results::lang::Lang;
use crate::results::sheet::{self, Presentation, SheetRound};
use crate::results::sheet_html::{SheetHead, answer_sheet_page};
use crate::results::tickets::{TICKET_TTL_MS, Ticket};
use crate::results::xlsx::{StatsItem, StatsRound, Trail};
use crate::results::{Results, certificates, csv, matrix, report, time, xlsx};
use crate::store::{Store, chain_break, now_ms};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(results_xlsx))
        .routes(routes!(results_csv))
        .routes(routes!(results_report))
        .routes(routes!(results_certificates))
        .routes(routes!(get_awards, put_awards))
        .routes(routes!(get_answer_sheet_visibility, put_answer_sheet_visibility))
        .routes(routes!(answer_sheet))
        .routes(routes!(answer_sheet_html))
        .routes(routes!(print_ticket))
        .routes(routes!(my_answer_sheet))
}

/// The language of a document.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub enum DocLang {
    #[serde(rename = "zh")]
    Zh,
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

/// The language and time zone of a document.
#[derive(Deserialize, IntoParams)]
pub struct DocParams {
    /// `zh` (the default) or `en`: sheet names, headers and texts.
    #[serde(default)]
    #[param(inline)]
    lang: Option<DocLang>,
    /// The reader's time zone in minutes east of UTC (the console sends its own); default 480 (UTC+08:00).
    #[serde(default)]
    #[param(minimum = -840, maximum = 840)]
    tz: Option<i32>,
}

/// A printable page's language and time zone, and a print ticket when the request has no bearer token.
#[derive(Deserialize, IntoParams)]
pub struct PrintParams {
    /// `zh` (the default) or `en`.
    #[serde(default)]
    #[param(inline)]
    lang: Option<DocLang>,
    /// The reader's time zone in minutes east of UTC; default 480 (UTC+08:00).
    #[serde(default)]
    #[param(minimum = -840, maximum = 840)]
    tz: Option<i32>,
    /// A print ticket of this contest (`POST /api/contests/{id}/print-tickets`), for a page opened in a new
    /// browser tab; not needed with an organizer bearer token.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by the PrintAccess extractor; declared here for the OpenAPI document"
    )]
    ticket: Option<String>,
}

fn options(lang: Option<DocLang>, tz: Option<i32>) -> AppResult<(Lang, i32)> {
    let lang = match lang {
        Some(DocLang::En) => Lang::En,
        Some(DocLang::Zh | DocLang::ZhCn) | None => Lang::Zh,
    };
    let tz = tz.unwrap_or(time::DEFAULT_TZ_MINUTES);
    if !time::valid_tz(tz) {
        return Err(AppError::bad_request(
            "invalid_tz",
            format!("tz must be minutes east of UTC between -840 and 840, not {tz}"),
        ));
    }
    Ok((lang, tz))
}

/// Who may open a printable page: an organizer's bearer token, or a live print ticket of the page's contest
/// whose organizer is still logged in (the ticket carries the account's token version).
pub struct PrintAccess;

impl FromRequestParts<AppState> for PrintAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            Organizer::from_request_parts(parts, state).await?;
            return Ok(PrintAccess);
        }
        let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map_err(|e| AppError::bad_request("bad_request", e.body_text()))?;
        let ticket = query.get("ticket").ok_or_else(|| {
            AppError::unauthorized(
                "missing_token",
                "log in first: no bearer token and no print ticket (open printable pages from the console)",
            )
        })?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_request("bad_request", e.body_text()))?;
        let contest_id = params
            .iter()
            .find(|(name, _)| *name == "id")
            .and_then(|(_, value)| value.parse::<i64>().ok())
            .ok_or_else(|| AppError::bad_request("bad_request", "the path names no contest"))?;
        let issued = state
            .results
            .tickets
            .check(ticket, contest_id, now_ms())
            .ok_or_else(|| {
                AppError::unauthorized(
                    "invalid_ticket",
                    "this print link has expired or is not for this contest; open it again from the console",
                )
            })?;
        match state.store.token_version(&issued.user).await? {
            Some(version) if version == issued.version => Ok(PrintAccess),
            _ => Err(AppError::unauthorized(
                "token_revoked",
                "the login that opened this print link has ended; log in and open it again",
            )),
        }
    }
}

/// A printable page with its own Content-Security-Policy (which the server's default does not replace), never
/// cached.
fn html_response(page: Page) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page.html,
    )
        .into_response();
    match HeaderValue::from_str(&page.csp) {
        Ok(value) => {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
            response
        }
        Err(e) => AppError::internal(format!("the page's policy is no header value: {e}")).into_response(),
    }
}

/// `filename*` of Content-Disposition (RFC 5987): UTF-8, percent-encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A download: an ASCII file name for old clients and the contest's own title for the others.
fn attachment(
    content_type: &'static str,
    ascii_name: String,
    title: &str,
    suffix: &str,
    bytes: Vec<u8>,
) -> Response {
    let disposition = format!(
        "attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{}",
        percent_encode(&format!("{title}{suffix}"))
    );
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// Everything the documents of a contest share, read once.
struct Gathered {
    handle: ContestHandle,
    results: Results,
    bank_ids: Vec<String>,
}

fn internal(message: String) -> AppError {
    AppError::internal(message)
}

/// The award tiers of a contest, checked (the defaults when none are saved).
async fn contest_tiers(store: &Store, contest_id: i64, lang: Lang) -> AppResult<(Vec<AwardTier>, bool)> {
    let settings = store.result_settings(contest_id).await?;
    match settings.award_tiers {
        Some(text) => {
            let tiers: Vec<AwardTier> = serde_json::from_str(&text).map_err(|e| {
                internal(format!(
                    "contest {contest_id}: stored award tiers do not read: {e}"
                ))
            })?;
            Ok((tiers, true))
        }
        None => Ok((awards::default_tiers(lang), false)),
    }
}

async fn gather(state: &AppState, contest_id: i64, lang: Lang) -> AppResult<Gathered> {
    let handle = state.engine.contest(contest_id).await?;
    let row = state
        .store
        .contest(contest_id)
        .await?
        .ok_or_else(|| AppError::not_found("contest"))?;
    let snapshot = handle.snapshot(Viewer::Organizer).await?;
    let results_view = handle.results().await?;
    let rounds = data::rounds(&snapshot).map_err(internal)?;
    let standings = data::standings(&results_view).map_err(internal)?;
    let (tiers, _) = contest_tiers(&state.store, contest_id, lang).await?;
    let tiers = awards::check(&tiers).map_err(|problems| {
        internal(format!(
            "contest {contest_id}: stored award tiers are invalid: {problems:?}"
        ))
    })?;
    let contest = ContestInfo {
        id: contest_id,
        title: row.title.clone(),
        state: row.state.clone(),
        unit_scoring: row.unit_scoring.clone(),
        held_at: data::held_at(&snapshot, row.created_at),
    };
    let bank_ids: Vec<String> = serde_json::from_str(&row.bank_ids).map_err(AppError::internal)?;
    Ok(Gathered {
        handle,
        results: Results::new(contest, rounds, standings, data::teams(&snapshot), tiers),
        bank_ids,
    })
}

/// Every participant's answer sheet (for the matrix), from one read of the rounds' presentation.
async fn all_sheets(
    state: &AppState,
    g: &Gathered,
    questions: &HashMap<i64, Question>,
) -> AppResult<Vec<(i64, Vec<SheetRound>)>> {
    let mut presentation = Presentation::default();
    for round in &g.results.rounds {
        match round.kind {
            RoundKind::Live => presentation
                .add_live(&state.store.round_questions(round.id).await?)
                .map_err(internal)?,
            RoundKind::Exam => {
                for paper in state.store.papers(round.id).await? {
                    presentation.add_paper(&paper).map_err(internal)?;
                }
            }
            // Stage rounds score teams: no one's own answers to show.
            _ => {}
        }
    }
    let mut sheets = Vec::with_capacity(g.results.standings.entries.len());
    for entry in &g.results.standings.entries {
        let breakdown = g.handle.breakdown(entry.participant_id).await?;
        let items = sheet::breakdown_items(&breakdown).map_err(internal)?;
        let rounds = sheet::rounds(
            &g.results.rounds,
            &items,
            &presentation,
            entry.participant_id,
            questions,
            |_| true,
        );
        sheets.push((entry.participant_id, rounds));
    }
    Ok(sheets)
}

/// The item analysis of every round (as `GET /api/contests/{id}/analysis` computes it, without storing it).
async fn statistics(
    state: &AppState,
    contest_id: i64,
    questions: &HashMap<i64, Question>,
) -> AppResult<Vec<StatsRound>> {
    let store = &state.store;
    let rounds = store.rounds(contest_id).await?;
    let mut live_questions = HashMap::new();
    let mut papers = HashMap::new();
    for round in &rounds {
        live_questions.insert(round.id, store.round_questions(round.id).await?);
        papers.insert(round.id, store.papers(round.id).await?);
    }
    let rows = ContestRows {
        rounds,
        live_questions,
        papers,
        participants: store.participants(contest_id).await?,
        answers: store.answers_of_contest(contest_id).await?,
        questions: questions.clone(),
    };
    let matrices = round_matrices(&rows).map_err(AppError::internal)?;
    Ok(matrices
        .iter()
        .filter(|m| !m.matrix.items().is_empty())
        .map(|m| {
            let analysis = crate::analysis::analyse(&m.matrix);
            StatsRound {
                title: m.round.title.clone(),
                kind: m.kind,
                paper: analysis.paper,
                items: analysis
                    .items
                    .into_iter()
                    .map(|stats| {
                        let question = questions.get(&stats.id);
                        StatsItem {
                            question_id: question.map(|q| q.id.clone()).unwrap_or_default(),
                            qtype: question.map(|q| q.qtype),
                            stem: question.map(|q| q.stem.clone()).unwrap_or_default(),
                            stats,
                        }
                    })
                    .collect(),
            }
        })
        .collect())
}

/// The results workbook: individual ranking, units, stage teams (with stage rounds), the answer matrix, question
/// statistics, the audit log and the score adjustments. Sheet names and headers in zh-CN, or English with
/// `?lang=en`.
#[utoipa::path(get, path = "/api/contests/{id}/results.xlsx", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path), DocParams),
    responses((status = 200, description = "the workbook, as an attachment",
               content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 400, description = "`bad_request`: `lang` is not zh, zh-CN or en; `invalid_tz`", body = crate::error::ErrorBody)))]
async fn results_xlsx(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
    Query(params): Query<DocParams>,
) -> AppResult<Response> {
    let (lang, tz) = options(params.lang, params.tz)?;
    let g = gather(&state, id, lang).await?;
    let questions: HashMap<i64, Question> = state
        .store
        .questions_of_banks(&g.bank_ids)
        .await?
        .into_iter()
        .collect();
    let sheets = all_sheets(&state, &g, &questions).await?;
    let answer_matrix = matrix::build(&g.results.rounds, &sheets);
    let stats = statistics(&state, id, &questions).await?;
    let audit = state.store.audit_log(id).await?;
    let adjustments = state.store.adjustments(id).await?;
    let trail = Trail {
        audit: &audit,
        chain_ok: chain_break(&audit).is_none(),
        adjustments: &adjustments,
    };
    let bytes = xlsx::workbook(&g.results, &answer_matrix, &stats, &trail, lang, tz)
        .map_err(|e| internal(format!("contest {id}: the workbook could not be written: {e}")))?;
    let suffix = if lang == Lang::Zh {
        "-成绩.xlsx"
    } else {
        "-results.xlsx"
    };
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("jingsai-results-{id}.xlsx"),
        &g.results.contest.title,
        suffix,
        bytes,
    ))
}

/// The individual ranking as CSV (UTF-8 with a byte order mark, every field quoted, formula-like cells
/// neutralized): the columns of the workbook's ranking sheet.
#[utoipa::path(get, path = "/api/contests/{id}/results.csv", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path), DocParams),
    responses((status = 200, description = "the CSV, as an attachment", content_type = "text/csv"),
              (status = 400, description = "`bad_request`: `lang` is not zh, zh-CN or en; `invalid_tz`", body = crate::error::ErrorBody)))]
async fn results_csv(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
    Query(params): Query<DocParams>,
) -> AppResult<Response> {
    let (lang, _) = options(params.lang, params.tz)?;
    let g = gather(&state, id, lang).await?;
    let bytes = csv::ranking_csv(&g.results, lang)
        .map_err(|e| internal(format!("contest {id}: the CSV could not be written: {e}")))?;
    let suffix = if lang == Lang::Zh {
        "-成绩.csv"
    } else {
        "-results.csv"
    };
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("jingsai-results-{id}.csv"),
        &g.results.contest.title,
        suffix,
        bytes,
    ))
}

/// The printable results report (HTML, A4): title and date, rounds and their rules, the award list by tier,
/// the individual ranking, the units and, with stage rounds, the teams. Organizer token, or `?ticket=`.
#[utoipa::path(get, path = "/api/contests/{id}/report", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path), PrintParams),
    responses((status = 200, description = "the page", content_type = "text/html"),
              (status = 400, description = "`bad_request`: `lang` is not zh, zh-CN or en; `invalid_tz`", body = crate::error::ErrorBody)))]
async fn results_report(
    State(state): State<AppState>,
    _: PrintAccess,
    Path(id): Path<i64>,
    Query(params): Query<PrintParams>,
) -> AppResult<Response> {
    let (lang, tz) = options(params.lang, params.tz)?;
    let g = gather(&state, id, lang).await?;
    Ok(html_response(report::report(&g.results, lang, tz, now_ms())))
}

/// Printable award certificates (HTML): one A4 landscape page per awardee. Organizer token, or `?ticket=`.
#[utoipa::path(get, path = "/api/contests/{id}/certificates", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path), PrintParams),
    responses((status = 200, description = "the page", content_type = "text/html"),
              (status = 400, description = "`bad_request`: `lang` is not zh, zh-CN or en; `invalid_tz`", body = crate::error::ErrorBody)))]
async fn results_certificates(
    State(state): State<AppState>,
    _: PrintAccess,
    Path(id): Path<i64>,
    Query(params): Query<PrintParams>,
) -> AppResult<Response> {
    let (lang, tz) = options(params.lang, params.tz)?;
    let g = gather(&state, id, lang).await?;
    Ok(html_response(certificates::certificates(&g.results, lang, tz)))
}

/// A contest's award tiers and who gets each now.
#[derive(Serialize, ToSchema)]
pub struct AwardsView {
    /// Best first.
    tiers: Vec<AwardTier>,
    /// False: no tiers were saved; these are the defaults.
    saved: bool,
    /// How many participants each tier holds in the current ranking.
    awarded: Vec<AwardedCount>,
}

#[derive(Serialize, ToSchema)]
pub struct AwardedCount {
    name: String,
    count: usize,
}

async fn awards_view(state: &AppState, id: i64, lang: Lang) -> AppResult<AwardsView> {
    let g = gather(state, id, lang).await?;
    let (tiers, saved) = contest_tiers(&state.store, id, lang).await?;
    let awarded = g
        .results
        .tiers
        .iter()
        .enumerate()
        .map(|(t, tier)| AwardedCount {
            name: tier.name.clone(),
            count: g.results.awardees(t).len(),
        })
        .collect();
    Ok(AwardsView {
        tiers,
        saved,
        awarded,
    })
}

/// The contest's award tiers (the defaults — one first, two second, three third prizes — until some are saved)
/// and how many participants each holds in the current ranking.
#[utoipa::path(get, path = "/api/contests/{id}/awards", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path), DocParams),
    responses((status = 200, body = AwardsView)))]
async fn get_awards(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
    Query(params): Query<DocParams>,
) -> AppResult<axum::Json<AwardsView>> {
    let (lang, _) = options(params.lang, params.tz)?;
    Ok(axum::Json(awards_view(&state, id, lang).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AwardsRequest {
    /// 1 to 10 tiers, best first.
    #[schema(min_items = 1, max_items = 10)]
    tiers: Vec<AwardTier>,
}

/// Save the award tiers. Each tier is by `count` (the next N places) or by `min_score`; participants tied at a
/// tier's boundary all get that tier (docs/results.md). Recorded in the audit log.
#[utoipa::path(put, path = "/api/contests/{id}/awards", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AwardsRequest,
    responses((status = 200, body = AwardsView),
              (status = 422, description = "`invalid_awards`: `details` lists each problem with its tier (1 = the first)", body = crate::error::ErrorBody)))]
async fn put_awards(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
    Json(request): Json<AwardsRequest>,
) -> AppResult<axum::Json<AwardsView>> {
    if state.store.contest(id).await?.is_none() {
        return Err(AppError::not_found("contest"));
    }
    let checked = awards::check(&request.tiers).map_err(|problems| {
        let first = problems.first().map(|p| p.message.clone()).unwrap_or_default();
        AppError::unprocessable(
            "invalid_awards",
            format!("the award tiers are not valid: {first}"),
        )
        .with_details(problems)
    })?;
    // Stored as checked: names trimmed.
    let tiers: Vec<AwardTier> = request
        .tiers
        .into_iter()
        .zip(&checked)
        .map(|(tier, c)| AwardTier {
            name: c.name.clone(),
            ..tier
        })
        .collect();
    let text = serde_json::to_string(&tiers).map_err(AppError::internal)?;
    state.store.set_award_tiers(id, &text, &claims.sub).await?;
    state
        .store
        .record_action(id, &claims.sub, "set_awards", &json!({"tiers": tiers}))
        .await;
    Ok(axum::Json(awards_view(&state, id, Lang::Zh).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Visibility {
    /// Participants may see their answer sheet (答题卡: their paper, answers, keys, explanations) on the phone
    /// for every round that has ended.
    visible: bool,
}

/// Whether participants may see their answer sheet after a round ends (off until the organizer allows it).
#[utoipa::path(get, path = "/api/contests/{id}/answer-sheet-visibility", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Visibility)))]
async fn get_answer_sheet_visibility(
    State(state): State<AppState>,
    _: Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<Visibility>> {
    if state.store.contest(id).await?.is_none() {
        return Err(AppError::not_found("contest"));
    }
    let settings = state.store.result_settings(id).await?;
    Ok(axum::Json(Visibility {
        visible: settings.answer_sheet_visible,
    }))
}

/// Allow (or forbid) participants to see their answer sheet on the phone for the rounds that have ended. The
/// phones are told (`answer_sheet` event); recorded in the audit log.
#[utoipa::path(put, path = "/api/contests/{id}/answer-sheet-visibility", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Visibility, responses((status = 200, body = Visibility)))]
async fn put_answer_sheet_visibility(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
    Json(request): Json<Visibility>,
) -> AppResult<axum::Json<Visibility>> {
    if state.store.contest(id).await?.is_none() {
        return Err(AppError::not_found("contest"));
    }
    state
        .store
        .set_answer_sheet_visible(id, request.visible, &claims.sub)
        .await?;
    state.results.remember_answer_sheet(id, request.visible);
    state
        .store
        .record_action(
            id,
            &claims.sub,
            "answer_sheet_visibility",
            &json!({"visible": request.visible}),
        )
        .await;
    if let Some((_, hub)) = state.engine.hubs().await.into_iter().find(|(cid, _)| *cid == id) {
        hub.publish_participants(crate::realtime::encode(
            &json!({"type": "answer_sheet", "visible": request.visible}),
        ));
    }
    Ok(axum::Json(Visibility {
        visible: request.visible,
    }))
}

/// One participant's answer sheet: the rounds `include` admits, from their breakdown and how their questions
/// were shown.
async fn one_sheet(
    store: &Store,
    handle: &ContestHandle,
    rounds: &[RoundInfo],
    participant_id: i64,
    include: impl Fn(&RoundInfo) -> bool + Copy,
) -> AppResult<(Value, Vec<SheetRound>)> {
    let breakdown = handle.breakdown(participant_id).await?;
    let items = sheet::breakdown_items(&breakdown).map_err(internal)?;
    let mut presentation = Presentation::default();
    for round in rounds.iter().filter(|r| include(r)) {
        match round.kind {
            RoundKind::Live => presentation
                .add_live(&store.round_questions(round.id).await?)
                .map_err(internal)?,
            RoundKind::Exam => {
                if let Some(paper) = store.paper_of(round.id, participant_id).await? {
                    presentation.add_paper(&paper).map_err(internal)?;
                }
            }
            _ => {}
        }
    }
    let uids: Vec<i64> = items.iter().map(|i| i.question_uid).collect();
    let questions = store.questions_by_uid(&uids).await?;
    let sheet_rounds = sheet::rounds(rounds, &items, &presentation, participant_id, &questions, include);
    Ok((breakdown, sheet_rounds))
}

fn sheet_json(contest_id: i64, title: &str, breakdown: &Value, rounds: &[SheetRound]) -> Value {
    json!({
        "contest": {"id": contest_id, "title": title},
        "participant": breakdown["participant"],
        "rank": breakdown["rank"],
        "score": breakdown["score"],
        "correct": breakdown["correct"],
        "adjustment": breakdown["adjustment"],
        "rounds": rounds,
    })
}

/// The organizer's answer sheet of one participant.
async fn organizer_sheet(state: &AppState, id: i64, pid: i64) -> AppResult<(String, Value, Vec<SheetRound>)> {
    let handle = state.engine.contest(id).await?;
    let title = state
        .store
        .contest(id)
        .await?
        .map(|c| c.title)
        .ok_or_else(|| AppError::not_found("contest"))?;
    let rounds = data::rounds(&handle.snapshot(Viewer::Organizer).await?).map_err(internal)?;
    let (breakdown, sheet_rounds) = one_sheet(&state.store, &handle, &rounds, pid, |_| true).await?;
    Ok((title, breakdown, sheet_rounds))
}

/// One participant's answer sheet (答题卡): every question of theirs that counts (closed live questions, their
/// paper of a finished exam round), in their order, with their answer, the key, the outcome, points, time taken,
/// explanation and source. Choices and keys are display positions (as the participant saw the options).
#[utoipa::path(get, path = "/api/contests/{id}/participants/{pid}/answer-sheet", tag = "results",
    security(("bearer" = [])), params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, description = "`{contest, participant, rank, score, correct, adjustment, rounds: [{round_id, title, kind, state, items}]}`", body = Object),
              (status = 404, body = crate::error::ErrorBody)))]
async fn answer_sheet(
    State(state): State<AppState>,
    _: Organizer,
    Path((id, pid)): Path<(i64, i64)>,
) -> AppResult<axum::Json<Value>> {
    let (title, breakdown, rounds) = organizer_sheet(&state, id, pid).await?;
    Ok(axum::Json(sheet_json(id, &title, &breakdown, &rounds)))
}

/// The printable answer sheet of one participant (HTML, A4). Organizer token, or `?ticket=`.
#[utoipa::path(get, path = "/api/contests/{id}/participants/{pid}/answer-sheet.html", tag = "results",
    security(("bearer" = [])), params(("id" = i64, Path), ("pid" = i64, Path), PrintParams),
    responses((status = 200, description = "the page", content_type = "text/html"),
              (status = 400, description = "`bad_request`: `lang` is not zh, zh-CN or en; `invalid_tz`", body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
async fn answer_sheet_html(
    State(state): State<AppState>,
    _: PrintAccess,
    Path((id, pid)): Path<(i64, i64)>,
    Query(params): Query<PrintParams>,
) -> AppResult<Response> {
    let (lang, _) = options(params.lang, params.tz)?;
    let (title, breakdown, rounds) = organizer_sheet(&state, id, pid).await?;
    let head = SheetHead::of(&title, &breakdown);
    Ok(html_response(answer_sheet_page(&head, &rounds, lang)))
}

#[derive(Serialize, ToSchema)]
pub struct PrintTicket {
    /// Add `?ticket=` with this to the contest's printable pages.
    ticket: String,
    /// Milliseconds since the epoch.
    expires_at: i64,
}

/// A print ticket: opens this contest's printable pages (report, certificates, answer sheets) with `?ticket=`
/// for ten minutes, so the console can open them in a new tab without putting a token in a URL. It ends with
/// the organizer's login (logout, password change).
#[utoipa::path(post, path = "/api/contests/{id}/print-tickets", tag = "results", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PrintTicket),
              (status = 503, description = "`too_many_tickets`: try again in a few minutes", body = crate::error::ErrorBody)))]
async fn print_ticket(
    State(state): State<AppState>,
    Organizer(claims): Organizer,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<PrintTicket>> {
    if state.store.contest(id).await?.is_none() {
        return Err(AppError::not_found("contest"));
    }
    let version = state
        .store
        .token_version(&claims.sub)
        .await?
        .ok_or_else(|| AppError::unauthorized("invalid_token", "the token names no organizer account"))?;
    let now = now_ms();
    let text = random_token(32);
    let expires_at = now + TICKET_TTL_MS;
    let ticket = Ticket {
        contest_id: id,
        user: claims.sub,
        version,
        expires_at,
    };
    if !state.results.tickets.issue(text.clone(), ticket, now) {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_tickets",
            "too many print tickets are open; try again in a few minutes",
        ));
    }
    Ok(axum::Json(PrintTicket {
        ticket: text,
        expires_at,
    }))
}

/// The participant's own answer sheet, for the rounds that have ended, once the organizer allows it
/// (`answer_sheet_hidden` until then). No key of a round that has not ended is ever in it.
#[utoipa::path(get, path = "/api/me/answer-sheet", tag = "participant", security(("bearer" = [])),
    responses((status = 200, description = "as the organizer's answer sheet, with the rounds that have ended only", body = Object),
              (status = 403, description = "`answer_sheet_hidden`: the organizer has not opened answer sheets", body = crate::error::ErrorBody)))]
async fn my_answer_sheet(State(state): State<AppState>, p: Participant) -> AppResult<axum::Json<Value>> {
    let contest_id = p.contest_id;
    let pid = p.who.participant_id;
    // The extractor checked the session. The switch comes from memory after the first read: a hall of phones
    // asking at the end of a round while it is off costs nothing more.
    let visible = match state.results.answer_sheet_visible(contest_id) {
        Some(visible) => visible,
        None => {
            let visible = state
                .store
                .result_settings(contest_id)
                .await?
                .answer_sheet_visible;
            state.results.remember_answer_sheet(contest_id, visible);
            visible
        }
    };
    if !visible {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "answer_sheet_hidden",
            "the organizer has not opened the answer sheets to participants",
        ));
    }
    let handle = state.engine.contest(contest_id).await?;
    let title = state
        .store
        .contest(contest_id)
        .await?
        .map(|c| c.title)
        .ok_or_else(|| AppError::not_found("contest"))?;
    let rounds = state
        .store
        .rounds(contest_id)
        .await?
        .iter()
        .map(data::round_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    // Only rounds the store already records as finished: the engine writes a round's end before it announces
    // it, so no key of a running round can be in the sheet.
    let (breakdown, sheet_rounds) =
        one_sheet(&state.store, &handle, &rounds, pid, |r| r.state == "finished").await?;
    Ok(axum::Json(sheet_json(
        contest_id,
        &title,
        &breakdown,
        &sheet_rounds,
    )))
}
