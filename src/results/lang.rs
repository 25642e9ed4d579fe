//! The documents' language: zh-CN by default, English with `?lang=en`. Every fixed text of a document is a field
//! of [`Labels`], so a text missing in one language does not compile.

use crate::bank::QuestionType;
use crate::contest::RoundKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The `lang` attribute of an HTML document.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The tie-break that decided a place (`decided_by` of the results), as the console shows it.
    pub fn decided_by(self, code: &str) -> &'static str {
        let l = self.labels();
        match code {
            "score" => l.by_score,
            "correct_count" => l.by_correct,
            "answer_time" => l.by_answer_time,
            "finish_time" => l.by_finish_time,
            "tied" => l.by_tied,
            _ => "",
        }
    }

    pub fn round_kind(self, kind: RoundKind) -> &'static str {
        let l = self.labels();
        match kind {
            RoundKind::Live => l.kind_live,
            RoundKind::Exam => l.kind_exam,
            RoundKind::Buzzer => l.kind_buzzer,
            RoundKind::Compulsory => l.kind_compulsory,
            RoundKind::Wager => l.kind_wager,
            RoundKind::Tiebreak => l.kind_tiebreak,
        }
    }

    pub fn question_type(self, qtype: QuestionType) -> &'static str {
        let l = self.labels();
        match qtype {
            QuestionType::Single => l.type_single,
            QuestionType::Multiple => l.type_multiple,
            QuestionType::TrueFalse => l.type_true_false,
            QuestionType::Fill => l.type_fill,
        }
    }

    /// `第 3 题`, `Q3` (`n` counts from 1).
    pub fn question_n(self, n: usize) -> String {
        match self {
            Lang::Zh => format!("第{n}题"),
            Lang::En => format!("Q{n}"),
        }
    }

    /// `第 2 空`, `blank 2`.
    pub fn blank_n(self, n: usize) -> String {
        match self {
            Lang::Zh => format!("第{n}空"),
            Lang::En => format!("blank {n}"),
        }
    }

    /// The unit score rule of a contest (`sum` or `mean`).
    pub fn unit_scoring(self, rule: &str) -> &'static str {
        let l = self.labels();
        if rule == "mean" {
            l.unit_mean_rule
        } else {
            l.unit_sum_rule
        }
    }

    /// The unit rule as a column name: 单位总分, 单位平均分.
    pub fn unit_scoring_short(self, rule: &str) -> &'static str {
        let l = self.labels();
        if rule == "mean" {
            l.unit_mean_short
        } else {
            l.unit_sum_short
        }
    }

    /// `共 117 人参赛`.
    pub fn took_part(self, n: usize) -> String {
        match self {
            Lang::Zh => format!("共 {n} 人参赛"),
            Lang::En if n == 1 => "1 participant".to_owned(),
            Lang::En => format!("{n} participants"),
        }
    }

    /// `每题 20 秒`, `限时 30 分钟`.
    pub fn seconds_per_question(self, seconds: u32) -> String {
        match self {
            Lang::Zh => format!("每题 {seconds} 秒"),
            Lang::En => format!("{seconds} s per question"),
        }
    }

    pub fn time_limit(self, seconds: u32) -> String {
        let (value, zh, en) = if seconds.is_multiple_of(60) {
            (seconds / 60, "分钟", "min")
        } else {
            (seconds, "秒", "s")
        };
        match self {
            Lang::Zh => format!("限时 {value} {zh}"),
            Lang::En => format!("{value} {en} time limit"),
        }
    }

    /// `每题 10 分` (the default points of a round's questions).
    pub fn points_each(self, points: u32) -> String {
        match self {
            Lang::Zh => format!("每题 {points} 分（题目另有分值的按其分值）"),
            Lang::En => format!("{points} points a question unless the question has its own"),
        }
    }

    pub fn speed_bonus(self, weight: f64) -> String {
        match self {
            Lang::Zh => format!("速度加分系数 {weight}"),
            Lang::En => format!("speed bonus weight {weight}"),
        }
    }

    pub fn wrong_penalty(self, points: u32) -> String {
        match self {
            Lang::Zh => format!("答错扣 {points} 分"),
            Lang::En => format!("{points} points off for a wrong answer"),
        }
    }

    pub fn buzzer_points(self, points: u32, wrong_penalty: u32) -> String {
        match (self, wrong_penalty) {
            (Lang::Zh, 0) => format!("抢答每题 {points} 分，计入团体成绩"),
            (Lang::Zh, w) => format!("抢答每题 {points} 分，答错扣 {w} 分，计入团体成绩"),
            (Lang::En, 0) => format!("{points} points a question, to the team score"),
            (Lang::En, w) => {
                format!("{points} points a question, {w} off for a wrong answer, to the team score")
            }
        }
    }

    pub fn compulsory_points(self, points: u32, wrong_penalty: u32) -> String {
        match (self, wrong_penalty) {
            (Lang::Zh, 0) => format!("每队每题 {points} 分，计入团体成绩"),
            (Lang::Zh, w) => format!("每队每题 {points} 分，答错扣 {w} 分，计入团体成绩"),
            (Lang::En, 0) => format!("{points} points a team question, to the team score"),
            (Lang::En, w) => {
                format!("{points} points a team question, {w} off for a wrong answer, to the team score")
            }
        }
    }

    /// The values a team may wager, e.g. `10/20/30`.
    pub fn wager_values(self, values: &str) -> String {
        match self {
            Lang::Zh => format!("可选分值 {values} 分，答对加分、答错减分，计入团体成绩"),
            Lang::En => {
                format!("values {values}: gained for a right answer, lost otherwise, to the team score")
            }
        }
    }

    /// `作答 30 秒`.
    pub fn answer_seconds(self, seconds: u32) -> String {
        match self {
            Lang::Zh => format!("作答 {seconds} 秒"),
            Lang::En => format!("{seconds} s to answer"),
        }
    }

    /// `标题：` / `Title: ` — a label before its value.
    pub fn colon(self) -> &'static str {
        match self {
            Lang::Zh => "：",
            Lang::En => ": ",
        }
    }

    /// `（…）` / ` (…)`.
    pub fn paren(self, inner: &str) -> String {
        match self {
            Lang::Zh => format!("（{inner}）"),
            Lang::En => format!(" ({inner})"),
        }
    }

    /// `，` / `, `.
    pub fn comma(self) -> &'static str {
        match self {
            Lang::Zh => "，",
            Lang::En => ", ",
        }
    }

    /// `4.2 秒`, `4.2 s`.
    pub fn seconds(self, ms: i64) -> String {
        let s = ms as f64 / 1000.0;
        match self {
            Lang::Zh => format!("{s:.1} 秒"),
            Lang::En => format!("{s:.1} s"),
        }
    }

    /// A count of people: `3 人`, `3`.
    pub fn people(self, n: usize) -> String {
        match self {
            Lang::Zh => format!("{n} 人"),
            Lang::En if n == 1 => "1 person".to_owned(),
            Lang::En => format!("{n} people"),
        }
    }
}

/// Points from hundredths: `12`, `12.5`, `12.05`, `-0.5` (no trailing zeros).
pub fn points(centi: i64) -> String {
    let sign = if centi < 0 { "-" } else { "" };
    let abs = centi.unsigned_abs();
    let (whole, fraction) = (abs / 100, abs % 100);
    match fraction {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// Fixed texts of the documents.
pub struct Labels {
    // The ranking.
    pub rank: &'static str,
    pub name: &'static str,
    pub badge: &'static str,
    pub unit: &'static str,
    pub score: &'static str,
    pub correct_count: &'static str,
    pub answer_time_s: &'static str,
    pub decided_by: &'static str,
    pub award: &'static str,
    pub absent: &'static str,
    pub by_score: &'static str,
    pub by_correct: &'static str,
    pub by_answer_time: &'static str,
    pub by_finish_time: &'static str,
    pub by_tied: &'static str,
    // Units and teams.
    pub members: &'static str,
    pub joined: &'static str,
    pub unit_score: &'static str,
    pub unit_sum: &'static str,
    pub unit_mean: &'static str,
    pub best: &'static str,
    pub unit_sum_rule: &'static str,
    pub unit_mean_rule: &'static str,
    pub unit_sum_short: &'static str,
    pub unit_mean_short: &'static str,
    pub team: &'static str,
    pub team_total: &'static str,
    // Sheet names (at most 31 characters, none of : \ / ? * [ ]).
    pub sheet_ranking: &'static str,
    pub sheet_units: &'static str,
    pub sheet_teams: &'static str,
    pub sheet_matrix: &'static str,
    pub sheet_stats: &'static str,
    pub sheet_audit: &'static str,
    pub sheet_adjustments: &'static str,
    // The matrix.
    pub answer_given: &'static str,
    pub right: &'static str,
    pub points_earned: &'static str,
    pub time_ms: &'static str,
    pub question: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub unanswered: &'static str,
    // Question statistics.
    pub round: &'static str,
    pub position: &'static str,
    pub question_id: &'static str,
    pub qtype: &'static str,
    pub stem: &'static str,
    pub given: &'static str,
    pub answered: &'static str,
    pub facility: &'static str,
    pub fully_correct: &'static str,
    pub discrimination: &'static str,
    pub upper_lower: &'static str,
    pub mean_time_s: &'static str,
    pub flags: &'static str,
    pub rounds_summary: &'static str,
    pub items: &'static str,
    pub mean: &'static str,
    pub sd: &'static str,
    pub alpha: &'static str,
    pub sem: &'static str,
    pub flag_very_hard: &'static str,
    pub flag_very_easy: &'static str,
    pub flag_negative_discrimination: &'static str,
    pub flag_low_discrimination: &'static str,
    pub flag_distractor: &'static str,
    pub flag_no_answers: &'static str,
    pub type_single: &'static str,
    pub type_multiple: &'static str,
    pub type_true_false: &'static str,
    pub type_fill: &'static str,
    // The audit trail and the adjustments.
    pub number: &'static str,
    pub time: &'static str,
    pub actor: &'static str,
    pub action: &'static str,
    pub detail: &'static str,
    pub outcome: &'static str,
    pub hash: &'static str,
    pub chain_whole: &'static str,
    pub chain_broken: &'static str,
    pub delta: &'static str,
    pub reason: &'static str,
    // The report.
    pub report: &'static str,
    pub held_on: &'static str,
    pub provisional: &'static str,
    pub rounds_and_rules: &'static str,
    pub kind: &'static str,
    pub questions: &'static str,
    pub timing: &'static str,
    pub scoring: &'static str,
    pub partial_credit: &'static str,
    pub awards: &'static str,
    pub award_rule: &'static str,
    pub no_awardees: &'static str,
    pub ranking: &'static str,
    pub units: &'static str,
    pub teams: &'static str,
    pub generated: &'static str,
    pub print: &'static str,
    pub print_hint: &'static str,
    pub kind_live: &'static str,
    pub kind_exam: &'static str,
    pub kind_buzzer: &'static str,
    pub kind_compulsory: &'static str,
    pub kind_wager: &'static str,
    pub kind_tiebreak: &'static str,
    pub tiebreak_rule: &'static str,
    pub eliminated: &'static str,
    // Certificates.
    pub certificates: &'static str,
    pub certificate: &'static str,
    pub no_certificates: &'static str,
    // The answer sheet.
    pub answer_sheet: &'static str,
    pub key: &'static str,
    pub explanation: &'static str,
    pub source: &'static str,
    /// After `earned / worth` on the answer sheet.
    pub question_points: &'static str,
    pub time_taken: &'static str,
    pub bonus: &'static str,
    pub adjustment: &'static str,
    pub nothing_yet: &'static str,
    pub options: &'static str,
    pub total: &'static str,
}

pub static ZH: Labels = Labels {
    rank: "名次",
    name: "姓名",
    badge: "警号",
    unit: "单位",
    score: "得分",
    correct_count: "答对题数",
    answer_time_s: "答题用时（秒）",
    decided_by: "名次依据",
    award: "奖项",
    absent: "未参赛",
    by_score: "总分",
    by_correct: "答对题数",
    by_answer_time: "答题用时",
    by_finish_time: "完成时间",
    by_tied: "并列",
    members: "名单人数",
    joined: "参赛人数",
    unit_score: "单位成绩",
    unit_sum: "总分",
    unit_mean: "平均分",
    best: "最高分",
    unit_sum_rule: "按单位总分排名",
    unit_mean_rule: "按单位平均分排名（名单全部人数，未参赛者计 0 分）",
    unit_sum_short: "单位总分",
    unit_mean_short: "单位平均分",
    team: "队号",
    team_total: "团体总分",
    sheet_ranking: "个人排名",
    sheet_units: "单位排名",
    sheet_teams: "团体排名",
    sheet_matrix: "答题矩阵",
    sheet_stats: "试题统计",
    sheet_audit: "审计日志",
    sheet_adjustments: "成绩调整",
    answer_given: "作答",
    right: "正误",
    points_earned: "得分",
    time_ms: "用时（毫秒）",
    question: "题目",
    yes: "对",
    no: "错",
    unanswered: "未答",
    round: "轮次",
    position: "题序",
    question_id: "题号",
    qtype: "题型",
    stem: "题干",
    given: "应答人数",
    answered: "作答人数",
    facility: "难度系数",
    fully_correct: "全对比例",
    discrimination: "区分度",
    upper_lower: "高低分组差",
    mean_time_s: "平均用时（秒）",
    flags: "标记",
    rounds_summary: "各轮统计",
    items: "题数",
    mean: "平均分",
    sd: "标准差",
    alpha: "信度 α",
    sem: "测量标准误",
    flag_very_hard: "过难",
    flag_very_easy: "过易",
    flag_negative_discrimination: "负区分度",
    flag_low_discrimination: "区分度低",
    flag_distractor: "干扰项强于答案",
    flag_no_answers: "无人作答",
    type_single: "单选",
    type_multiple: "多选",
    type_true_false: "判断",
    type_fill: "填空",
    number: "序号",
    time: "时间",
    actor: "操作人",
    action: "操作",
    detail: "详情",
    outcome: "结果",
    hash: "哈希",
    chain_whole: "哈希链完整",
    chain_broken: "哈希链断裂",
    delta: "调整分值",
    reason: "理由",
    report: "成绩报告",
    held_on: "比赛日期",
    provisional: "比赛尚未结束，以下为当前成绩。",
    rounds_and_rules: "比赛轮次与规则",
    kind: "形式",
    questions: "题数",
    timing: "时间",
    scoring: "计分规则",
    partial_credit: "多选、多空部分得分",
    awards: "获奖名单",
    award_rule: "评奖办法",
    no_awardees: "无",
    ranking: "个人排名",
    units: "单位成绩",
    teams: "团体成绩",
    generated: "生成时间",
    print: "打印",
    print_hint: "用浏览器打印（Ctrl+P），纸张 A4。",
    kind_live: "现场答题",
    kind_exam: "在线答卷",
    kind_buzzer: "抢答",
    kind_compulsory: "必答",
    kind_wager: "风险题",
    kind_tiebreak: "加赛",
    tiebreak_rule: "只决定名次，不计分",
    eliminated: "已淘汰",
    certificates: "荣誉证书",
    certificate: "荣誉证书",
    no_certificates: "暂无获奖者。",
    answer_sheet: "答题卡",
    key: "正确答案",
    explanation: "解析",
    source: "来源",
    question_points: "分",
    time_taken: "用时",
    bonus: "速度加分",
    adjustment: "成绩调整",
    nothing_yet: "暂无可显示的题目。",
    options: "选项",
    total: "总分",
};

pub static EN: Labels = Labels {
    rank: "Rank",
    name: "Name",
    badge: "Badge",
    unit: "Unit",
    score: "Score",
    correct_count: "Correct",
    answer_time_s: "Answer time (s)",
    decided_by: "Decided by",
    award: "Award",
    absent: "Absent",
    by_score: "Score",
    by_correct: "Correct answers",
    by_answer_time: "Answer time",
    by_finish_time: "Finish time",
    by_tied: "Tied",
    members: "Members",
    joined: "Joined",
    unit_score: "Unit score",
    unit_sum: "Total",
    unit_mean: "Mean",
    best: "Best",
    unit_sum_rule: "Units ranked by their total",
    unit_mean_rule: "Units ranked by their mean over the whole roster (absentees count 0)",
    unit_sum_short: "unit total",
    unit_mean_short: "unit mean",
    team: "Team",
    team_total: "Team total",
    sheet_ranking: "Ranking",
    sheet_units: "Units",
    sheet_teams: "Teams",
    sheet_matrix: "Answers",
    sheet_stats: "Question statistics",
    sheet_audit: "Audit log",
    sheet_adjustments: "Adjustments",
    answer_given: "Answer",
    right: "Correct",
    points_earned: "Points",
    time_ms: "Time (ms)",
    question: "Question",
    yes: "yes",
    no: "no",
    unanswered: "no answer",
    round: "Round",
    position: "#",
    question_id: "Question id",
    qtype: "Type",
    stem: "Stem",
    given: "Given to",
    answered: "Answered",
    facility: "Facility",
    fully_correct: "Fully correct",
    discrimination: "Discrimination",
    upper_lower: "Upper − lower",
    mean_time_s: "Mean time (s)",
    flags: "Flags",
    rounds_summary: "Rounds",
    items: "Items",
    mean: "Mean",
    sd: "SD",
    alpha: "Cronbach’s α",
    sem: "SEM",
    flag_very_hard: "Very hard",
    flag_very_easy: "Very easy",
    flag_negative_discrimination: "Negative discrimination",
    flag_low_discrimination: "Low discrimination",
    flag_distractor: "Distractor beats the key",
    flag_no_answers: "No answers",
    type_single: "Single choice",
    type_multiple: "Multiple choice",
    type_true_false: "True/false",
    type_fill: "Fill-in",
    number: "#",
    time: "Time",
    actor: "Actor",
    action: "Action",
    detail: "Detail",
    outcome: "Outcome",
    hash: "Hash",
    chain_whole: "hash chain whole",
    chain_broken: "hash chain broken",
    delta: "Change",
    reason: "Reason",
    report: "Results report",
    held_on: "Date",
    provisional: "The contest is not finished; these are the current standings.",
    rounds_and_rules: "Rounds and rules",
    kind: "Kind",
    questions: "Questions",
    timing: "Time",
    scoring: "Scoring",
    partial_credit: "partial credit for multiple choice and several blanks",
    awards: "Awards",
    award_rule: "Rule",
    no_awardees: "none",
    ranking: "Individual ranking",
    units: "Units",
    teams: "Teams",
    generated: "Generated",
    print: "Print",
    print_hint: "Print with the browser (Ctrl+P) on A4 paper.",
    kind_live: "Live questions",
    kind_exam: "Written paper",
    kind_buzzer: "Buzzer",
    kind_compulsory: "Compulsory",
    kind_wager: "Wager",
    kind_tiebreak: "Tie-break",
    tiebreak_rule: "decides places only, no points",
    eliminated: "eliminated",
    certificates: "Certificates",
    certificate: "Certificate of Award",
    no_certificates: "No awards yet.",
    answer_sheet: "Answer sheet",
    key: "Key",
    explanation: "Explanation",
    source: "Source",
    question_points: "points",
    time_taken: "Time taken",
    bonus: "Speed bonus",
    adjustment: "Adjustment",
    nothing_yet: "Nothing to show yet.",
    options: "Options",
    total: "Total",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_have_no_trailing_zeros() {
        for (centi, text) in [
            (0, "0"),
            (1200, "12"),
            (1250, "12.5"),
            (1205, "12.05"),
            (-50, "-0.5"),
            (-1, "-0.01"),
        ] {
            assert_eq!(points(centi), text);
        }
    }

    #[test]
    fn sheet_names_are_legal() {
        for l in [&ZH, &EN] {
            for name in [
                l.sheet_ranking,
                l.sheet_units,
                l.sheet_teams,
                l.sheet_matrix,
                l.sheet_stats,
                l.sheet_audit,
                l.sheet_adjustments,
            ] {
                assert!(name.chars().count() <= 31, "{name}");
                assert!(!name.contains([':', '\\', '/', '?', '*', '[', ']']), "{name}");
            }
        }
    }
}
