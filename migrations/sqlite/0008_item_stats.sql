-- Item analysis (docs/item-analysis.md): each question's statistics from each round it was analysed in, written
-- when the organizer opens a contest's analysis and when a contest finishes (a newer analysis of the same round
-- replaces the row). The bank browser shows the latest row of each question.
CREATE TABLE item_stats (
    question_uid   INTEGER NOT NULL REFERENCES questions(uid),
    round_id       INTEGER NOT NULL REFERENCES rounds(id),
    contest_id     INTEGER NOT NULL REFERENCES contests(id),
    computed_at    INTEGER NOT NULL,
    n              INTEGER NOT NULL,   -- participants given the question
    answered       INTEGER NOT NULL,
    facility       REAL,               -- NULL: undefined (see the docs)
    fully_correct  REAL,
    discrimination REAL,
    upper_lower    REAL,
    mean_time_ms   REAL,
    flags          TEXT NOT NULL,      -- JSON array of flags, e.g. [{"kind":"very_easy"}]
    PRIMARY KEY (question_uid, round_id)
);
CREATE INDEX item_stats_latest ON item_stats(question_uid, computed_at);

-- The organizer's review mark on a question: kept across re-imports of its bank (imports update other columns).
ALTER TABLE questions ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE questions ADD COLUMN review_at INTEGER;
