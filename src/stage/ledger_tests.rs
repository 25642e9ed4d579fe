use super::*;

fn change(team: TeamId, delta_centi: i64, reason: Reason) -> ScoreChange {
    ScoreChange {
        team,
        delta_centi,
        reason,
    }
}

#[test]
fn totals_start_at_the_base_score() {
    let ledger = Ledger::new(100, &[1, 2]).unwrap();
    assert_eq!(ledger.totals(), [(1, 10_000), (2, 10_000)]);
    assert_eq!(ledger.total(3), Err(RuleError::UnknownTeam { team: 3 }));
    assert_eq!(
        Ledger::new(100, &[1, 1]),
        Err(RuleError::DuplicateTeam { team: 1 })
    );
}

#[test]
fn entries_add_to_the_base_and_get_sequential_ids() {
    let mut ledger = Ledger::new(100, &[1, 2]).unwrap();
    assert_eq!(ledger.record(change(1, 1000, Reason::BuzzerRight)), Ok(1));
    assert_eq!(ledger.record(change(2, -1000, Reason::Foul)), Ok(2));
    assert_eq!(ledger.record(change(2, 0, Reason::CompulsoryWrong)), Ok(3));
    assert_eq!(ledger.adjust(1, 250, "  scorer's slip  "), Ok(4));
    assert_eq!(ledger.total(1), Ok(11_250));
    assert_eq!(ledger.total(2), Ok(9_000));
    assert_eq!(ledger.entry(4).map(|e| e.note.as_str()), Some("scorer's slip"));
    assert_eq!(ledger.entry(0), None);
    assert_eq!(ledger.entry(5), None);
    assert_eq!(
        ledger.record(change(7, 1, Reason::Adjustment)),
        Err(RuleError::UnknownTeam { team: 7 })
    );
    assert_eq!(ledger.adjust(1, 100, "  "), Err(RuleError::EmptyNote));
    assert_eq!(
        ledger.record(change(1, 100, Reason::UndoOf(1))),
        Err(RuleError::UndoNotRecordable)
    );
    assert_eq!(ledger.entries().len(), 4);
}

#[test]
fn undo_appends_a_reversing_entry_and_never_deletes() {
    let mut ledger = Ledger::new(100, &[1, 2]).unwrap();
    let wrong = ledger.record(change(1, -1000, Reason::BuzzerWrong)).unwrap();
    let right = ledger.record(change(2, 1000, Reason::BuzzerRight)).unwrap();
    assert_eq!(ledger.total(1), Ok(9_000));
    let undo = ledger.undo(wrong, "the answer was right after all").unwrap();
    assert_eq!(undo, 3);
    assert_eq!(ledger.total(1), Ok(10_000));
    assert_eq!(ledger.entries().len(), 3, "the original is kept");
    assert_eq!(ledger.entry(wrong).unwrap().delta_centi, -1000);
    let reversal = ledger.entry(undo).unwrap();
    assert_eq!(
        (reversal.team, reversal.delta_centi, reversal.reason),
        (1, 1000, Reason::UndoOf(wrong))
    );
    assert_eq!(ledger.undone_by(wrong), Some(undo));
    assert_eq!(ledger.undone_by(right), None);
    let effective: Vec<EntryId> = ledger.effective().iter().map(|e| e.id).collect();
    assert_eq!(effective, [right]);

    assert_eq!(
        ledger.undo(wrong, ""),
        Err(RuleError::AlreadyUndone {
            entry: wrong,
            by: undo
        })
    );
    assert_eq!(
        ledger.undo(undo, ""),
        Err(RuleError::CannotUndoUndo { entry: undo })
    );
    assert_eq!(ledger.undo(99, ""), Err(RuleError::UnknownEntry { entry: 99 }));
    // Re-judging: record the corrected judgement as a new entry.
    ledger.record(change(1, 1000, Reason::BuzzerRight)).unwrap();
    assert_eq!(ledger.total(1), Ok(11_000));
}

#[test]
fn standings_share_ranks_on_equal_totals() {
    let mut ledger = Ledger::new(100, &[5, 6, 7, 8]).unwrap();
    ledger.record(change(7, 3000, Reason::WagerRight)).unwrap();
    ledger.record(change(5, 1000, Reason::CompulsoryRight)).unwrap();
    ledger.record(change(8, 1000, Reason::CompulsoryRight)).unwrap();
    let ranks: Vec<(TeamId, i64, u32)> = ledger
        .standings()
        .iter()
        .map(|s| (s.team, s.total_centi, s.rank))
        .collect();
    assert_eq!(
        ranks,
        [(7, 13_000, 1), (5, 11_000, 2), (8, 11_000, 2), (6, 10_000, 4)]
    );
}

#[test]
fn a_stored_ledger_is_checked_on_reload() {
    let mut ledger = Ledger::new(50, &[1, 2]).unwrap();
    ledger.record(change(1, 1000, Reason::BuzzerRight)).unwrap();
    ledger.record(change(2, -500, Reason::Foul)).unwrap();
    ledger.undo(2, "false start was a glitch").unwrap();
    let entries = ledger.entries().to_vec();
    let json = serde_json::to_string(&entries).unwrap();
    let stored: Vec<LedgerEntry> = serde_json::from_str(&json).unwrap();
    assert_eq!(Ledger::from_entries(50, &[1, 2], stored.clone()), Ok(ledger));

    let mut gap = stored.clone();
    gap.remove(0);
    assert_eq!(
        Ledger::from_entries(50, &[1, 2], gap),
        Err(RuleError::EntryOutOfSequence { entry: 2 })
    );
    let mut bad_undo = stored.clone();
    bad_undo[2].delta_centi = 9999;
    assert_eq!(
        Ledger::from_entries(50, &[1, 2], bad_undo),
        Err(RuleError::EntryOutOfSequence { entry: 3 })
    );
    let mut double_undo = stored.clone();
    double_undo.push(LedgerEntry {
        id: 4,
        ..stored[2].clone()
    });
    assert_eq!(
        Ledger::from_entries(50, &[1, 2], double_undo),
        Err(RuleError::AlreadyUndone { entry: 2, by: 3 })
    );
    let mut stranger = stored;
    stranger[0].team = 3;
    assert_eq!(
        Ledger::from_entries(50, &[1, 2], stranger),
        Err(RuleError::UnknownTeam { team: 3 })
    );
}

#[test]
fn reasons_are_snake_case_on_the_wire() {
    let json = serde_json::to_value(Reason::UndoOf(4)).unwrap();
    assert_eq!(json, serde_json::json!({"undo_of": 4}));
    assert_eq!(serde_json::to_value(Reason::BuzzerLate).unwrap(), "buzzer_late");
    assert_eq!(serde_json::to_value(Reason::Foul).unwrap(), "foul");
}
