-- jingsai schema, SQLite dialect. Times are milliseconds since the Unix epoch (server clock).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE banks (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    language    TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);

-- Questions are upserted by (bank_id, qid) so that their uid stays stable across re-imports:
-- stored papers keep pointing at the same question.
CREATE TABLE questions (
    uid         INTEGER PRIMARY KEY,
    bank_id     TEXT NOT NULL REFERENCES banks(id),
    qid         TEXT NOT NULL,
    qtype       TEXT NOT NULL,
    category    TEXT NOT NULL,
    difficulty  INTEGER NOT NULL,
    points      INTEGER,
    tags        TEXT NOT NULL,      -- JSON array
    stem        TEXT NOT NULL,
    options     TEXT NOT NULL,      -- JSON array
    answer_key  TEXT NOT NULL,      -- JSON AnswerKey
    explanation TEXT NOT NULL,
    source      TEXT NOT NULL,
    UNIQUE (bank_id, qid)
);
CREATE INDEX questions_bank ON questions(bank_id);

CREATE TABLE contests (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    join_code    TEXT NOT NULL UNIQUE,
    seed         INTEGER NOT NULL,  -- u64 stored as its i64 bit pattern
    bank_ids     TEXT NOT NULL,     -- JSON array of bank ids
    join_mode    TEXT NOT NULL,     -- roster | open
    unit_scoring TEXT NOT NULL,     -- sum | mean
    state        TEXT NOT NULL,     -- draft | running | finished
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);

CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id),
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,      -- live | exam
    config      TEXT NOT NULL,      -- JSON RoundConfig
    state       TEXT NOT NULL,      -- pending | running | finished
    started_at  INTEGER,
    ends_at     INTEGER,            -- exam: end of the window
    finished_at INTEGER,
    UNIQUE (contest_id, position)
);

-- The questions of a live round, drawn once for everyone when the round starts, and their live timing.
CREATE TABLE round_questions (
    round_id     INTEGER NOT NULL REFERENCES rounds(id),
    position     INTEGER NOT NULL,
    question_uid INTEGER NOT NULL REFERENCES questions(uid),
    option_order TEXT NOT NULL,     -- JSON array: display position -> original option index
    state        TEXT NOT NULL,     -- pending | open | paused | closed | skipped
    opened_at    INTEGER,
    deadline_at  INTEGER,           -- when open: the deadline; answers accepted until deadline + grace
    remaining_ms INTEGER,           -- when paused: time left on the clock
    closed_at    INTEGER,
    PRIMARY KEY (round_id, position)
);

CREATE TABLE participants (
    id           INTEGER PRIMARY KEY,
    contest_id   INTEGER NOT NULL REFERENCES contests(id),
    name         TEXT NOT NULL,
    badge        TEXT,              -- 警号; NULL in open-join mode
    unit         TEXT NOT NULL,
    session_id   TEXT,              -- the one live session; a new login replaces it
    joined_at    INTEGER,
    tab_switches INTEGER NOT NULL DEFAULT 0,
    UNIQUE (contest_id, badge)
);
CREATE INDEX participants_contest ON participants(contest_id);

-- An exam paper as drawn. It can be regenerated from (contest seed, round, participant) and compared.
CREATE TABLE papers (
    round_id       INTEGER NOT NULL REFERENCES rounds(id),
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    items          TEXT NOT NULL,   -- JSON Paper
    started_at     INTEGER NOT NULL,
    deadline_at    INTEGER NOT NULL,
    submitted_at   INTEGER,
    auto_submitted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, participant_id)
);

-- Every acknowledged answer. One row per (participant, round, question): resubmission cannot double count.
CREATE TABLE answers (
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    round_id       INTEGER NOT NULL REFERENCES rounds(id),
    question_uid   INTEGER NOT NULL REFERENCES questions(uid),
    contest_id     INTEGER NOT NULL REFERENCES contests(id),
    response       TEXT NOT NULL,   -- JSON Response, original option indices
    received_at    INTEGER NOT NULL,
    elapsed_ms     INTEGER NOT NULL,
    PRIMARY KEY (participant_id, round_id, question_uid)
);
CREATE INDEX answers_round ON answers(round_id);

-- Answers refused by the server (late, closed, malformed), kept for the record.
CREATE TABLE rejections (
    id             INTEGER PRIMARY KEY,
    contest_id     INTEGER NOT NULL,
    participant_id INTEGER NOT NULL,
    round_id       INTEGER,
    question_ref   TEXT,
    reason         TEXT NOT NULL,
    received_at    INTEGER NOT NULL
);

CREATE TABLE score_adjustments (
    id             INTEGER PRIMARY KEY,
    contest_id     INTEGER NOT NULL REFERENCES contests(id),
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    delta_centi    INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
