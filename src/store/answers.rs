//! Answers and rejections. Writes go through [`super::writer::AnswerWriter`] in batches.

use super::Tx;
use super::db::{on_pool, on_tx};

use super::{AnswerRow, Store};

/// A refused answer, kept for the record.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub contest_id: i64,
    pub participant_id: i64,
    pub round_id: Option<i64>,
    pub question_ref: Option<String>,
    pub reason: String,
    pub received_at: i64,
}

/// Rows per multi-row INSERT: a batch of answers is written with a few statements instead of one per answer
/// (each statement is a round trip to the database thread). Chunks are powers of two, so at most eight distinct
/// statements are ever prepared and cached.
const ROWS_PER_INSERT: usize = 128;

const ANSWER_COLUMNS: &str = "INSERT INTO answers (participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms) VALUES ";
const ANSWER_UPSERT: &str = " ON CONFLICT(participant_id, round_id, question_uid) DO UPDATE SET
    response = excluded.response, received_at = excluded.received_at, elapsed_ms = excluded.elapsed_ms";

fn answers_insert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(ANSWER_COLUMNS.len() + rows * 24 + ANSWER_UPSERT.len());
    sql.push_str(ANSWER_COLUMNS);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?, ?, ?, ?, ?, ?, ?)");
    }
    sql.push_str(ANSWER_UPSERT);
    sql
}

/// PostgreSQL: a batch of answers in one statement (see [`Store::put_answers`]).
const ANSWERS_UNNEST: &str = "INSERT INTO answers (participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms)
    SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[])
    ON CONFLICT(participant_id, round_id, question_uid) DO UPDATE SET
    response = excluded.response, received_at = excluded.received_at, elapsed_ms = excluded.elapsed_ms";

/// The rows in their order, without those a later row of the same (participant, round, question) replaces.
fn last_of_each_key<'a>(rows: &[&'a AnswerRow]) -> Vec<&'a AnswerRow> {
    let mut last = std::collections::HashMap::with_capacity(rows.len());
    for (i, a) in rows.iter().enumerate() {
        last.insert((a.participant_id, a.round_id, a.question_uid), i);
    }
    rows.iter()
        .enumerate()
        .filter(|(i, a)| last[&(a.participant_id, a.round_id, a.question_uid)] == *i)
        .map(|(_, a)| *a)
        .collect()
}

/// The largest power of two not above `n` (n ≥ 1), capped at [`ROWS_PER_INSERT`].
fn chunk_len(n: usize) -> usize {
    (1usize << n.ilog2()).min(ROWS_PER_INSERT)
}

impl Store {
    /// Insert or replace a batch of answers inside a batch transaction, in order: a later row for the same
    /// (participant, round, question) replaces an earlier one, exactly as one statement per row would.
    pub(super) async fn put_answers(tx: &mut Tx, rows: &[&AnswerRow]) -> sqlx::Result<()> {
        match tx {
            Tx::Sqlite(tx) => {
                let mut rest = rows;
                while !rest.is_empty() {
                    let (chunk, tail) = rest.split_at(chunk_len(rest.len()));
                    let sql = answers_insert_sql(chunk.len());
                    // Built from constants only: placeholders for `chunk.len()` rows.
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for a in chunk {
                        query = query
                            .bind(a.participant_id)
                            .bind(a.round_id)
                            .bind(a.question_uid)
                            .bind(a.contest_id)
                            .bind(&a.response)
                            .bind(a.received_at)
                            .bind(a.elapsed_ms);
                    }
                    query.execute(&mut **tx).await?;
                    rest = tail;
                }
            }
            Tx::Postgres(tx) => {
                // One statement for the whole batch: seven arrays, unnested into rows. PostgreSQL refuses to
                // update one row twice in a statement, so only the last row of each key is sent (the same end
                // state as writing them in order).
                let rows = last_of_each_key(rows);
                sqlx::query(ANSWERS_UNNEST)
                    .bind(rows.iter().map(|a| a.participant_id).collect::<Vec<_>>())
                    .bind(rows.iter().map(|a| a.round_id).collect::<Vec<_>>())
                    .bind(rows.iter().map(|a| a.question_uid).collect::<Vec<_>>())
                    .bind(rows.iter().map(|a| a.contest_id).collect::<Vec<_>>())
                    .bind(rows.iter().map(|a| a.response.as_str()).collect::<Vec<_>>())
                    .bind(rows.iter().map(|a| a.received_at).collect::<Vec<_>>())
                    .bind(rows.iter().map(|a| a.elapsed_ms).collect::<Vec<_>>())
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn put_rejection(tx: &mut Tx, r: &Rejection) -> sqlx::Result<()> {
        on_tx!(tx, |exe| sqlx::query(
            "INSERT INTO rejections (contest_id, participant_id, round_id, question_ref, reason, received_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(r.contest_id)
        .bind(r.participant_id)
        .bind(r.round_id)
        .bind(&r.question_ref)
        .bind(&r.reason)
        .bind(r.received_at)
        .execute(exe)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn answers_of_contest(&self, contest_id: i64) -> sqlx::Result<Vec<AnswerRow>> {
        on_pool!(self.writer_pool(), |exe| sqlx::query_as(
            "SELECT participant_id, round_id, question_uid, contest_id, response, received_at, elapsed_ms
             FROM answers WHERE contest_id = $1 ORDER BY received_at",
        )
        .bind(contest_id)
        .fetch_all(exe)
        .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_up_to_the_cap() {
        let split = |mut n: usize| {
            let mut chunks = Vec::new();
            while n > 0 {
                let c = chunk_len(n);
                chunks.push(c);
                n -= c;
            }
            chunks
        };
        assert_eq!(split(1), vec![1]);
        assert_eq!(split(7), vec![4, 2, 1]);
        assert_eq!(split(128), vec![128]);
        assert_eq!(split(300), vec![128, 128, 32, 8, 4]);
        assert_eq!(answers_insert_sql(2).matches("(?, ?, ?, ?, ?, ?, ?)").count(), 2);
    }

    /// 300 rows in chunks, with keys repeated inside one chunk and across chunks: the table ends as if each row
    /// had been written by its own statement, in order (the last row for a key wins).
    #[tokio::test]
    async fn a_batch_writes_every_row_and_the_last_row_of_a_key_wins() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("memory db");
        sqlx::query(
            "CREATE TABLE answers (participant_id INTEGER NOT NULL, round_id INTEGER NOT NULL,
             question_uid INTEGER NOT NULL, contest_id INTEGER NOT NULL, response TEXT NOT NULL,
             received_at INTEGER NOT NULL, elapsed_ms INTEGER NOT NULL,
             PRIMARY KEY (participant_id, round_id, question_uid))",
        )
        .execute(&pool)
        .await
        .expect("schema");
        let rows: Vec<AnswerRow> = (0..300)
            .map(|i| AnswerRow {
                participant_id: i % 250,
                round_id: 1,
                question_uid: 7,
                contest_id: 1,
                response: format!("[{i}]"),
                received_at: i,
                elapsed_ms: i,
            })
            .collect();
        let refs: Vec<&AnswerRow> = rows.iter().collect();
        let mut tx = Tx::Sqlite(pool.begin().await.expect("begin"));
        Store::put_answers(&mut tx, &refs).await.expect("write");
        tx.commit().await.expect("commit");
        let stored: Vec<(i64, String)> =
            sqlx::query_as("SELECT participant_id, response FROM answers ORDER BY participant_id")
                .fetch_all(&pool)
                .await
                .expect("read");
        assert_eq!(stored.len(), 250);
        for (pid, response) in stored {
            let last = if pid < 50 { pid + 250 } else { pid };
            assert_eq!(response, format!("[{last}]"), "participant {pid}");
        }
    }
}
