//! Banks, questions and organizer accounts.

use super::db::{on_pool, on_tx};

use super::{BankRow, QuestionRow, Store, UserRow, now_ms};
use crate::bank::{Bank, Question, QuestionType};

/// Filters of the question browser. All are optional and combine with AND.
#[derive(Debug, Default, Clone)]
pub struct QuestionFilter {
    pub bank_id: Option<String>,
    pub category: Option<String>,
    pub qtype: Option<QuestionType>,
    pub difficulty: Option<u8>,
    pub text: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl QuestionRow {
    pub fn into_question(self) -> anyhow::Result<(i64, Question)> {
        let qtype = QuestionType::parse(&self.qtype)
            .ok_or_else(|| anyhow::anyhow!("question {} has unknown type {}", self.uid, self.qtype))?;
        Ok((
            self.uid,
            Question {
                bank_id: self.bank_id,
                id: self.qid,
                qtype,
                category: self.category,
                difficulty: u8::try_from(self.difficulty).unwrap_or(1),
                points: self.points.and_then(|p| u32::try_from(p).ok()),
                tags: serde_json::from_str(&self.tags)?,
                stem: self.stem,
                options: serde_json::from_str(&self.options)?,
                key: serde_json::from_str(&self.answer_key)?,
                explanation: self.explanation,
                source: self.source,
                group: self.draw_group,
                excludes: serde_json::from_str(&self.excludes)?,
                lint_ok: serde_json::from_str(&self.lint_ok)?,
            },
        ))
    }
}

/// How many questions a bank has in one category with one type and difficulty.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    pub bank_id: String,
    pub category: String,
    #[serde(rename = "type")]
    pub qtype: String,
    pub difficulty: i64,
    pub count: i64,
}

/// The columns of a question row (`QuestionRow`), for every reader of the `questions` table.
pub const QUESTION_COLUMNS: &str = "uid, bank_id, qid, qtype, category, difficulty, points, tags, stem, \
     options, answer_key, explanation, source, draw_group, excludes, lint_ok";

impl Store {
    /// Import validated banks in one transaction: all of them or none.
    /// Questions are upserted by (bank, id), so re-importing an edited bank keeps question uids stable.
    pub async fn import_banks(&self, banks: &[Bank]) -> anyhow::Result<usize> {
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let mut count = 0;
        for bank in banks {
            on_tx!(&mut tx, |exe| sqlx::query(
                "INSERT INTO banks (id, title, language, imported_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT(id) DO UPDATE SET title = excluded.title, language = excluded.language,
                 imported_at = excluded.imported_at",
            )
            .bind(&bank.id)
            .bind(&bank.title)
            .bind(&bank.language)
            .bind(now)
            .execute(exe)
            .await
            .map(|done| done.rows_affected()))?;
            for q in &bank.questions {
                on_tx!(&mut tx, |exe| sqlx::query(
                    "INSERT INTO questions (bank_id, qid, qtype, category, difficulty, points, tags, stem,
                        options, answer_key, explanation, source, draw_group, excludes, lint_ok)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                     ON CONFLICT(bank_id, qid) DO UPDATE SET qtype = excluded.qtype,
                        category = excluded.category, difficulty = excluded.difficulty,
                        points = excluded.points, tags = excluded.tags, stem = excluded.stem,
                        options = excluded.options, answer_key = excluded.answer_key,
                        explanation = excluded.explanation, source = excluded.source,
                        draw_group = excluded.draw_group, excludes = excluded.excludes,
                        lint_ok = excluded.lint_ok",
                )
                .bind(&bank.id)
                .bind(&q.id)
                .bind(q.qtype.as_str())
                .bind(&q.category)
                .bind(i64::from(q.difficulty))
                .bind(q.points.map(i64::from))
                .bind(serde_json::to_string(&q.tags)?)
                .bind(&q.stem)
                .bind(serde_json::to_string(&q.options)?)
                .bind(serde_json::to_string(&q.key)?)
                .bind(&q.explanation)
                .bind(&q.source)
                .bind(&q.group)
                .bind(serde_json::to_string(&q.excludes)?)
                .bind(serde_json::to_string(&q.lint_ok)?)
                .execute(exe)
                .await
                .map(|done| done.rows_affected()))?;
                count += 1;
            }
        }
        tx.commit().await?;
        Ok(count)
    }

    pub async fn list_banks(&self) -> sqlx::Result<Vec<BankRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(
            "SELECT b.id, b.title, b.language, b.imported_at,
                    (SELECT COUNT(*) FROM questions q WHERE q.bank_id = b.id) AS question_count
             FROM banks b ORDER BY b.id",
        )
        .fetch_all(exe)
        .await)
    }

    pub async fn bank_count(&self) -> sqlx::Result<i64> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT COUNT(*) FROM banks"
        )
        .fetch_one(exe)
        .await)
    }

    /// Every question of the given banks, ordered by uid.
    /// One bank with all its questions, as stored (for export). None if there is no such bank.
    pub async fn bank(&self, bank_id: &str) -> anyhow::Result<Option<crate::bank::Bank>> {
        let Some(row) = self.list_banks().await?.into_iter().find(|b| b.id == bank_id) else {
            return Ok(None);
        };
        let questions = self.questions_of_banks(std::slice::from_ref(&row.id)).await?;
        Ok(Some(crate::bank::Bank {
            id: row.id,
            title: row.title,
            language: row.language,
            questions: questions.into_iter().map(|(_, q)| q).collect(),
        }))
    }

    pub async fn questions_of_banks(&self, bank_ids: &[String]) -> anyhow::Result<Vec<(i64, Question)>> {
        let mut out = Vec::new();
        for bank_id in bank_ids {
            let sql = format!("SELECT {QUESTION_COLUMNS} FROM questions WHERE bank_id = $1 ORDER BY uid");
            let rows: Vec<QuestionRow> =
                on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(bank_id)
                    .fetch_all(exe)
                    .await)?;
            for row in rows {
                out.push(row.into_question()?);
            }
        }
        out.sort_by_key(|(uid, _)| *uid);
        Ok(out)
    }

    pub async fn question(&self, uid: i64) -> anyhow::Result<Option<(i64, Question)>> {
        let sql = format!("SELECT {QUESTION_COLUMNS} FROM questions WHERE uid = $1");
        let row: Option<QuestionRow> =
            on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(uid)
                .fetch_optional(exe)
                .await)?;
        row.map(QuestionRow::into_question).transpose()
    }

    /// The question browser: filtered page plus the total match count.
    pub async fn search_questions(
        &self,
        filter: &QuestionFilter,
    ) -> anyhow::Result<(i64, Vec<(i64, Question)>)> {
        let category_like = filter
            .category
            .as_ref()
            .map(|c| format!("{}/%", c.trim_end_matches('/')));
        let text_like = filter.text.as_ref().map(|t| format!("%{t}%"));
        // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE does the same.
        let like = match self.backend() {
            super::Backend::Sqlite => "LIKE",
            super::Backend::Postgres => "ILIKE",
        };
        let where_clause = format!(
            "WHERE ($1 IS NULL OR bank_id = $1)
              AND ($2 IS NULL OR category = $2 OR category {like} $3)
              AND ($4 IS NULL OR qtype = $4)
              AND ($5 IS NULL OR difficulty = $5)
              AND ($6 IS NULL OR stem {like} $6 OR qid {like} $6 OR tags {like} $6)"
        );
        let category = filter
            .category
            .as_ref()
            .map(|c| c.trim_end_matches('/').to_string());
        let qtype = filter.qtype.map(|t| t.as_str());
        let difficulty = filter.difficulty.map(i64::from);
        let total: i64 = on_pool!(self.reader(), |exe| sqlx::query_scalar(sqlx::AssertSqlSafe(
            format!("SELECT COUNT(*) FROM questions {where_clause}")
        ))
        .bind(&filter.bank_id)
        .bind(&category)
        .bind(&category_like)
        .bind(qtype)
        .bind(difficulty)
        .bind(&text_like)
        .fetch_one(exe)
        .await)?;
        let rows: Vec<QuestionRow> =
            on_pool!(self.reader(), |exe| sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {QUESTION_COLUMNS} FROM questions {where_clause} ORDER BY uid LIMIT $7 OFFSET $8"
            )))
            .bind(&filter.bank_id)
            .bind(&category)
            .bind(&category_like)
            .bind(qtype)
            .bind(difficulty)
            .bind(&text_like)
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(exe)
            .await)?;
        let questions = rows
            .into_iter()
            .map(QuestionRow::into_question)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((total, questions))
    }

    /// Question counts per (bank, category, type, difficulty): what blueprints can draw from.
    pub async fn category_counts(&self, bank_ids: &[String]) -> anyhow::Result<Vec<CategoryCount>> {
        let mut out = Vec::new();
        for bank_id in bank_ids {
            let rows: Vec<CategoryCount> = on_pool!(self.reader(), |exe| sqlx::query_as(
                "SELECT bank_id, category, qtype, difficulty, COUNT(*) AS count FROM questions
                 WHERE bank_id = $1 GROUP BY bank_id, category, qtype, difficulty
                 ORDER BY category, qtype, difficulty",
            )
            .bind(bank_id)
            .fetch_all(exe)
            .await)?;
            out.extend(rows);
        }
        Ok(out)
    }

    pub async fn user_by_name(&self, username: &str) -> sqlx::Result<Option<UserRow>> {
        on_pool!(self.reader(), |exe| sqlx::query_as(
            "SELECT id, username, password_hash FROM users WHERE username = $1"
        )
        .bind(username)
        .fetch_optional(exe)
        .await)
    }

    pub async fn user_count(&self) -> sqlx::Result<i64> {
        on_pool!(self.reader(), |exe| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(exe)
        .await)
    }

    /// Create or replace an organizer account's password.
    pub async fn upsert_user(&self, username: &str, password_hash: &str) -> sqlx::Result<()> {
        on_pool!(self.writer_pool(), |exe| sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
             ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now_ms())
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
