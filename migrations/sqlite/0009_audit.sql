-- The audit log (issue 10): an append-only record of every organizer action on a contest, with who did it, when
-- (server time) and what came of it. Rows are never updated or deleted; each row carries the SHA-256 of the
-- previous row's hash and its own content (`hash`), so a changed, removed or inserted row breaks the chain and
-- `jingsai audit verify` reports it. See src/store/audit.rs.
CREATE TABLE audit_log (
    contest_id INTEGER NOT NULL REFERENCES contests(id),
    id         INTEGER NOT NULL,   -- 1, 2, 3, ... per contest, in the order recorded
    at_ms      INTEGER NOT NULL,   -- server time of the action
    actor      TEXT NOT NULL,      -- the organizer's user name, or 'system' (timers, automatic hand-ins)
    action     TEXT NOT NULL,      -- start_round, next, close, pause, judge, undo, adjust_team, adjust_score, ...
    detail     TEXT NOT NULL,      -- JSON: the action's parameters (and a reason where one is required)
    outcome    TEXT NOT NULL,      -- 'ok', or the error code the action was refused with
    hash       TEXT NOT NULL,      -- hex SHA-256 over the previous row's hash and this row's fields
    PRIMARY KEY (contest_id, id)
);

-- Refuse changes to the log at the database level too: appending is the only write.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
