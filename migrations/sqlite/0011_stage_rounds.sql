-- Stage round formats beyond 抢答 (issue 9): 必答, 风险题, 加赛 and elimination. Each stage round keeps one JSON
-- document of its own state (src/contest/stage_rounds.rs `RoundStage`): the teams it admits, the setup of every
-- question it opened (teams, settings, the team a 必答/风险题 question belongs to), the wager picks, the 加赛
-- state and placings, and the elimination cut after it. The document is rewritten in the same transaction as the
-- step that changed it (a question opened, a pick, a judgement, the round's end), before anything is announced.
CREATE TABLE stage_rounds (
    round_id   INTEGER PRIMARY KEY REFERENCES rounds(id),
    data       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
