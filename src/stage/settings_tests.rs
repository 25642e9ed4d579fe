use super::*;

fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_str(json).unwrap()
}

#[test]
fn empty_json_gives_the_published_defaults() {
    let stage: StageSettings = parse("{}");
    assert_eq!(stage, StageSettings::default());
    assert_eq!(stage.base_score, 100);
    assert_eq!(stage.podium_places, 3);
    assert_eq!(stage.team_answer, TeamAnswerRule::FirstAnswer);

    let compulsory: CompulsorySettings = parse("{}");
    assert_eq!(compulsory, CompulsorySettings::default());
    assert_eq!(
        (
            compulsory.answer_seconds,
            compulsory.points,
            compulsory.wrong_penalty
        ),
        (30, 10, 0)
    );
    assert_eq!(compulsory.mode, CompulsoryMode::TeamCommon);
    assert_eq!(compulsory.answer_by, AnswerBy::Judge);

    let buzzer: BuzzerSettings = parse("{}");
    assert_eq!(buzzer, BuzzerSettings::default());
    assert_eq!(
        (
            buzzer.points,
            buzzer.wrong_penalty,
            buzzer.late_penalty,
            buzzer.foul_penalty,
            buzzer.answer_seconds,
            buzzer.buzz_window_seconds
        ),
        (10, 10, 10, 10, 10, 10)
    );
    assert_eq!(buzzer.on_wrong, OnWrong::Pass);

    let wager: WagerSettings = parse("{}");
    assert_eq!(wager, WagerSettings::default());
    let values: Vec<(u32, u8)> = wager.options.iter().map(|o| (o.points, o.difficulty)).collect();
    assert_eq!(values, [(10, 1), (20, 2), (30, 3)]);
    assert_eq!(wager.pick_order, PickOrder::HighToLow);
    assert!(!wager.allow_pass);

    let elimination: EliminationSettings = parse(r#"{"advance": 4}"#);
    assert_eq!(elimination.tie_rule, CutTieRule::TiebreakRound);
    assert!(
        serde_json::from_str::<EliminationSettings>("{}").is_err(),
        "advance is required"
    );

    let tiebreak: TiebreakSettings = parse("{}");
    assert_eq!(tiebreak, TiebreakSettings::default());
    for s in [
        &stage.validate(),
        &compulsory.validate(),
        &buzzer.validate(),
        &wager.validate(),
    ] {
        assert_eq!(s, &Ok(()));
    }
    assert_eq!(tiebreak.validate(), Ok(()));
    assert_eq!(elimination.validate(), Ok(()));
}

#[test]
fn snake_case_names_on_the_wire() {
    let round: StageRoundSettings = parse(
        r#"{"format": {"kind": "buzzer", "on_wrong": "reopen", "foul_penalty": 5},
            "elimination": {"advance": 3, "tie_rule": "previous_round_score"}}"#,
    );
    match &round.format {
        StageFormat::Buzzer(b) => {
            assert_eq!(b.on_wrong, OnWrong::Reopen);
            assert_eq!(b.foul_penalty, 5);
            assert_eq!(b.points, 10);
        }
        other => panic!("parsed as {other:?}"),
    }
    assert_eq!(
        round.elimination.as_ref().map(|e| e.tie_rule),
        Some(CutTieRule::PreviousRoundScore)
    );
    let wager: StageFormat = parse(
        r#"{"kind": "wager", "pick_order": "seat_order", "allow_pass": true,
            "options": [{"points": 10, "difficulty": 1}, {"points": 30, "difficulty": 3},
                        {"points": 50, "difficulty": 5}]}"#,
    );
    assert_eq!(wager.validate(), Ok(()));
    let compulsory: StageFormat = parse(r#"{"kind": "compulsory", "mode": "individual_by_seat"}"#);
    assert!(matches!(
        compulsory,
        StageFormat::Compulsory(CompulsorySettings {
            mode: CompulsoryMode::IndividualBySeat,
            ..
        })
    ));
    let json = serde_json::to_value(StageFormat::Tiebreak(TiebreakSettings::default())).unwrap();
    assert_eq!(json["kind"], "tiebreak");
    assert_eq!(json["on_wrong"], "pass");
    let json = serde_json::to_value(StageSettings::default()).unwrap();
    assert_eq!(json["team_answer"], "first_answer");
}

#[test]
fn validate_names_the_field_and_the_range() {
    let compulsory = |f: fn(&mut CompulsorySettings)| {
        let mut s = CompulsorySettings::default();
        f(&mut s);
        s.validate()
    };
    assert_eq!(
        compulsory(|s| s.answer_seconds = 9),
        Err("answer_seconds must be between 10 and 60, got 9".to_owned())
    );
    assert_eq!(
        compulsory(|s| s.answer_seconds = 61),
        Err("answer_seconds must be between 10 and 60, got 61".to_owned())
    );
    assert_eq!(compulsory(|s| s.answer_seconds = 60), Ok(()));
    assert_eq!(compulsory(|s| s.answer_seconds = 10), Ok(()));
    assert_eq!(
        compulsory(|s| s.points = 0),
        Err("points must be between 1 and 1000, got 0".to_owned())
    );
    assert_eq!(
        compulsory(|s| s.wrong_penalty = 1001),
        Err("wrong_penalty must be between 0 and 1000, got 1001".to_owned())
    );

    let buzzer = |f: fn(&mut BuzzerSettings)| {
        let mut s = BuzzerSettings::default();
        f(&mut s);
        s.validate()
    };
    assert_eq!(buzzer(|s| s.points = 0), Ok(()));
    assert_eq!(
        buzzer(|s| s.foul_penalty = 2000),
        Err("foul_penalty must be between 0 and 1000, got 2000".to_owned())
    );
    assert_eq!(
        buzzer(|s| s.late_penalty = 1001),
        Err("late_penalty must be between 0 and 1000, got 1001".to_owned())
    );
    assert_eq!(
        buzzer(|s| s.answer_seconds = 2),
        Err("answer_seconds must be between 3 and 120, got 2".to_owned())
    );
    assert_eq!(
        buzzer(|s| s.buzz_window_seconds = 301),
        Err("buzz_window_seconds must be between 3 and 300, got 301".to_owned())
    );

    let wager = |options: &[(u32, u8)]| {
        WagerSettings {
            options: options
                .iter()
                .map(|&(points, difficulty)| WagerOption { points, difficulty })
                .collect(),
            ..WagerSettings::default()
        }
        .validate()
    };
    assert_eq!(
        wager(&[]),
        Err("options must list 1 to 10 values, got 0".to_owned())
    );
    assert_eq!(
        wager(&[(10, 1), (10, 2)]),
        Err("options lists 10 points twice".to_owned())
    );
    assert_eq!(
        wager(&[(10, 0)]),
        Err("options.difficulty must be between 1 and 5, got 0".to_owned())
    );
    assert_eq!(
        wager(&[(0, 1)]),
        Err("options.points must be between 1 and 1000, got 0".to_owned())
    );
    assert_eq!(wager(&[(10, 1), (30, 3), (50, 5)]), Ok(()));

    assert_eq!(
        StageSettings {
            base_score: 100_001,
            ..StageSettings::default()
        }
        .validate(),
        Err("base_score must be between 0 and 100000, got 100001".to_owned())
    );
    let round = StageRoundSettings {
        format: StageFormat::Compulsory(CompulsorySettings::default()),
        elimination: Some(EliminationSettings {
            advance: 0,
            tie_rule: CutTieRule::Draw,
        }),
    };
    assert_eq!(
        round.validate(),
        Err("elimination: advance must be between 1 and 1000, got 0".to_owned())
    );
    let tiebreak = TiebreakSettings {
        answer_seconds: 500,
        ..TiebreakSettings::default()
    };
    assert_eq!(
        StageFormat::Tiebreak(tiebreak).validate(),
        Err("answer_seconds must be between 3 and 120, got 500".to_owned())
    );
}

#[test]
fn tiebreak_questions_carry_no_points() {
    let settings = TiebreakSettings {
        on_wrong: OnWrong::Void,
        answer_seconds: 15,
        ..TiebreakSettings::default()
    };
    let buzzer = settings.buzzer_settings();
    assert_eq!(
        (
            buzzer.points,
            buzzer.wrong_penalty,
            buzzer.late_penalty,
            buzzer.foul_penalty
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(buzzer.on_wrong, OnWrong::Void);
    assert_eq!(buzzer.answer_seconds, 15);
}
