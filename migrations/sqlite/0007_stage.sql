-- Stage formats (issue 9): teams, the score ledger and the buzzer log. See docs/stage-rules.md for the rules and
-- src/contest/stage.rs, src/contest/buzzer.rs for how the engine uses these tables.

-- The teams of a contest's stage rounds: every unit of the roster when the first stage round started, numbered
-- 1, 2, ... in the order of the unit names. Fixed from then on (a unit imported later is no team), so a team id
-- in the ledger or the buzzer log always names the same unit.
CREATE TABLE stage_teams (
    contest_id INTEGER NOT NULL REFERENCES contests(id),
    id         INTEGER NOT NULL,
    unit       TEXT NOT NULL,
    PRIMARY KEY (contest_id, id),
    UNIQUE (contest_id, unit)
);

-- The score ledger: append-only; an undo is a new entry reversing an earlier one. Each team's total is the base
-- score plus the sum of its entries. Entries are numbered 1, 2, ... per contest in the order they were made.
CREATE TABLE stage_entries (
    contest_id  INTEGER NOT NULL REFERENCES contests(id),
    id          INTEGER NOT NULL,
    team_id     INTEGER NOT NULL,
    delta_centi INTEGER NOT NULL,
    reason      TEXT NOT NULL,      -- buzzer_right | buzzer_wrong | buzzer_late | foul | adjustment | undo_of | ...
    undoes      INTEGER,            -- reason undo_of: the id of the entry it reverses
    note        TEXT NOT NULL,
    round_id    INTEGER,            -- rule entries: the question that produced it
    position    INTEGER,
    created_by  TEXT NOT NULL,      -- the organizer (judge, undo, adjustment), or 'rules' / 'device' / 'timer'
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (contest_id, id)
);

-- The buzzer log of each question of a buzzer round, in the order the engine handled the events: arming, every
-- accepted buzz (fouls too) with its server time and receive sequence, judgements, timeouts, and the organizer
-- closing the question early. Replaying it through the rules rebuilds the question's state after a restart.
CREATE TABLE buzzer_events (
    round_id       INTEGER NOT NULL REFERENCES rounds(id),
    position       INTEGER NOT NULL,  -- the question's index in the round
    n              INTEGER NOT NULL,  -- 1, 2, ... per question, in the order handled
    kind           TEXT NOT NULL,     -- arm | buzz | judge | answer_timeout | window_timeout | close
    team_id        INTEGER,
    participant_id INTEGER,           -- buzz: who pressed; judge of a device answer: who answered
    at_ms          INTEGER NOT NULL,  -- buzz: the server receive time that orders it; otherwise when handled
    seq            INTEGER,           -- buzz: the receive sequence number
    client_ms      INTEGER,           -- buzz: the time the device reported (for the record only)
    correct        INTEGER,           -- judge
    window_no      INTEGER,           -- window_timeout
    response       TEXT,              -- judge of a device answer: JSON Response (original option indices)
    created_by     TEXT,              -- judge: the organizer, or 'device'
    PRIMARY KEY (round_id, position, n)
);
