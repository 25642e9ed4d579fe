-- Results settings of a contest (issue 10, docs/results.md): the award tiers of the printed report and the
-- certificates, and whether participants may see their answer sheet (答题卡) on the phone once a round has ended.
-- One row per contest, written the first time the organizer saves either; a contest without a row has the
-- default tiers and hidden answer sheets.
CREATE TABLE result_settings (
    contest_id           INTEGER PRIMARY KEY REFERENCES contests(id),
    award_tiers          TEXT,                        -- JSON array of tiers (src/results/awards.rs); NULL: defaults
    answer_sheet_visible INTEGER NOT NULL DEFAULT 0,  -- 1: participants may see their answer sheet after a round
    updated_at           INTEGER NOT NULL,
    updated_by           TEXT NOT NULL                -- the organizer who last changed a setting
);
