//! One report from the samples of one or several processes: the figures of issue 6 and the correctness checks.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::samples::{Header, Kind, Sample};

/// A latency distribution in milliseconds (nearest-rank percentiles).
#[derive(Serialize, Default, Debug)]
pub struct Dist {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Dist {
    pub fn of_micros(mut values: Vec<i64>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        let at = |p: f64| {
            let rank = (p * values.len() as f64).ceil() as usize;
            values[rank.clamp(1, values.len()) - 1] as f64 / 1000.0
        };
        Self {
            count: values.len(),
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }

    fn line(&self) -> String {
        if self.count == 0 {
            return "-".into();
        }
        format!(
            "p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
            self.p50_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

#[derive(Serialize, Default, Debug)]
pub struct ServerFigures {
    pub rss_baseline_kib: i64,
    pub rss_joined_kib: i64,
    pub rss_end_kib: i64,
    pub rss_per_participant_kib: f64,
    pub rss_end_per_participant_kib: f64,
    pub cpu_joins_ms: f64,
    pub cpu_per_join_ms: f64,
    pub cpu_per_question_ms: f64,
    pub cpu_per_live_answer_ms: f64,
    pub cpu_exam_round_ms: f64,
    pub cpu_per_exam_answer_ms: f64,
}

#[derive(Serialize, Default, Debug)]
pub struct Report {
    /// Planned participants (from the driver's samples; 0 without them).
    pub participants: i64,
    pub joined: usize,
    pub connected: usize,
    pub join_seconds: f64,
    pub joins_per_second: f64,
    pub join_ms: Dist,
    pub connect_ms: Dist,
    pub live_questions: usize,
    pub exam_rounds: usize,
    pub open_fanout_ms: Dist,
    pub answers_expected: i64,
    pub answers_acked: usize,
    pub duplicates: usize,
    pub answer_ack_ms: Dist,
    pub live_ack_ms: Dist,
    pub exam_ack_ms: Dist,
    pub live_answers_per_second: f64,
    pub exam_answers_per_second: f64,
    pub live_acked: usize,
    pub live_counted: i64,
    pub exam_acked: usize,
    pub exam_counted: i64,
    pub lost: usize,
    pub ranked_expected: i64,
    pub close_to_ranked_ms: Dist,
    pub exam_start_ms: Dist,
    /// Each phone's exam submission → its acknowledgement (the submission is committed).
    pub exam_submit_ms: Dist,
    pub exam_results_expected: i64,
    pub end_to_exam_result_ms: Dist,
    pub errors: BTreeMap<String, usize>,
    pub error_total: usize,
    /// HTTP requests the phones sent, by kind (`join`, `answer`, `exam_start`, `exam_submit`): with answers and
    /// exam papers over the socket, only the joins.
    pub phone_http_requests: BTreeMap<String, usize>,
    pub frames: BTreeMap<String, i64>,
    pub bytes: BTreeMap<String, i64>,
    pub server: Option<ServerFigures>,
    /// Every check held: no errors, nothing lost, every answer acknowledged and counted, everyone ranked.
    pub ok: bool,
    pub problems: Vec<String>,
}

/// Samples keyed by contest ([`Header::contest_key`]): `merge` matches driver and phone samples of the same
/// contest only.
type Key = (usize, i64, i64);

pub fn build(files: &[(Header, Vec<Sample>)]) -> Report {
    let mut urls: Vec<&str> = Vec::new();
    let mut all: Vec<(usize, &Sample)> = Vec::new();
    for (header, samples) in files {
        let u = urls
            .iter()
            .position(|x| *x == header.contest_key())
            .unwrap_or_else(|| {
                urls.push(header.contest_key());
                urls.len() - 1
            });
        all.extend(samples.iter().map(|s| (u, s)));
    }
    let of = |k: Kind| all.iter().filter(move |(_, s)| s.k == k);
    let times = |k: Kind| -> HashMap<Key, i64> { of(k).map(|(u, s)| ((*u, s.r, s.i), s.t)).collect() };
    let latencies = |from: &HashMap<Key, i64>, k: Kind| -> Vec<i64> {
        of(k)
            .filter_map(|(u, s)| from.get(&(*u, s.r, s.i)).map(|t0| s.t - t0))
            .collect()
    };
    let mut report = Report::default();

    let plan = |name: &str| -> HashMap<usize, i64> {
        of(Kind::Plan)
            .filter(|(_, s)| s.e == name)
            .map(|(u, s)| (*u, s.d))
            .collect()
    };
    let (planned, exam_questions) = (plan("participants"), plan("exam_questions"));
    report.participants = planned.values().sum();

    // Joins: from the first join request to the last socket connected, over every process.
    let joins: Vec<&Sample> = of(Kind::Join).map(|(_, s)| *s).collect();
    let connects: Vec<&Sample> = of(Kind::Connect).map(|(_, s)| *s).collect();
    report.joined = joins.len();
    report.connected = connects.len();
    if let (Some(first), Some(last)) = (
        joins.iter().map(|s| s.t).min(),
        connects.iter().map(|s| s.t + s.d).max(),
    ) {
        report.join_seconds = (last - first) as f64 / 1e6;
        if report.join_seconds > 0.0 {
            report.joins_per_second = report.connected as f64 / report.join_seconds;
        }
    }
    report.join_ms = Dist::of_micros(joins.iter().map(|s| s.d).collect());
    report.connect_ms = Dist::of_micros(connects.iter().map(|s| s.d).collect());

    let open_sent = times(Kind::OpenSent);
    let close_sent = times(Kind::CloseSent);
    let end_sent = times(Kind::EndSent);
    report.live_questions = open_sent.len();
    report.open_fanout_ms = Dist::of_micros(latencies(&open_sent, Kind::OpenRecv));
    report.close_to_ranked_ms = Dist::of_micros(latencies(&close_sent, Kind::Ranked));
    report.end_to_exam_result_ms = Dist::of_micros(latencies(&end_sent, Kind::ExamResult));
    report.exam_start_ms = Dist::of_micros(of(Kind::ExamStarted).map(|(_, s)| s.d).collect());
    report.exam_submit_ms = Dist::of_micros(of(Kind::Submitted).map(|(_, s)| s.d).collect());

    // Exam rounds: those the driver ended, or in which a phone submitted or got results.
    let exam_rounds: HashSet<(usize, i64)> = of(Kind::EndSent)
        .chain(of(Kind::Submitted))
        .chain(of(Kind::ExamResult))
        .map(|(u, s)| (*u, s.r))
        .collect();
    report.exam_rounds = of(Kind::EndSent).count();
    let acks: Vec<(usize, &Sample)> = of(Kind::Ack).map(|(u, s)| (*u, *s)).collect();
    report.answers_acked = acks.len();
    report.duplicates = acks.iter().filter(|(_, s)| s.e == "duplicate").count();
    report.answer_ack_ms = Dist::of_micros(acks.iter().map(|(_, s)| s.d).collect());
    let (live, exam): (Vec<_>, Vec<_>) = acks.iter().partition(|(u, s)| !exam_rounds.contains(&(*u, s.r)));
    report.live_ack_ms = Dist::of_micros(live.iter().map(|(_, s)| s.d).collect());
    report.exam_ack_ms = Dist::of_micros(exam.iter().map(|(_, s)| s.d).collect());
    report.live_acked = live.iter().filter(|(_, s)| s.e != "duplicate").count();
    report.exam_acked = exam.len();
    report.live_answers_per_second = rate(&live, |(u, s)| (*u, s.r, s.i));
    report.exam_answers_per_second = rate(&exam, |(u, s)| (*u, s.r, 0));
    report.live_counted = of(Kind::Counted).map(|(_, s)| s.d).sum();
    report.exam_counted = of(Kind::ExamResult).map(|(_, s)| s.d).sum();
    report.lost = of(Kind::Lost).count();

    // What a complete run has: every planned participant answers every question and is ranked after each.
    for (u, n) in &planned {
        let questions = open_sent.keys().filter(|(su, _, _)| su == u).count() as i64;
        let exams = end_sent.keys().filter(|(su, _, _)| su == u).count() as i64;
        report.ranked_expected += n * questions;
        report.exam_results_expected += n * exams;
        report.answers_expected += n * (questions + exams * exam_questions.get(u).copied().unwrap_or(0));
    }

    for (_, s) in of(Kind::Error) {
        *report.errors.entry(s.e.clone()).or_default() += 1;
    }
    report.error_total = report.errors.values().sum();
    for (_, s) in of(Kind::Http) {
        *report.phone_http_requests.entry(s.e.clone()).or_default() += 1;
    }
    for (_, s) in of(Kind::Frames) {
        *report.frames.entry(s.e.clone()).or_default() += s.d;
    }
    for (_, s) in of(Kind::Bytes) {
        *report.bytes.entry(s.e.clone()).or_default() += s.d;
    }
    report.server = server_figures(&all, &report);
    report.problems = problems(&report);
    report.ok = report.problems.is_empty();
    report
}

/// Answers per second: answers over the time from the first one sent to the last acknowledged, per question
/// (live) or per round (exam), summed over the groups.
fn rate(acks: &[(usize, &Sample)], group: impl Fn(&(usize, &Sample)) -> Key) -> f64 {
    let mut spans: HashMap<Key, (i64, i64, usize)> = HashMap::new();
    for ack in acks {
        let entry = spans.entry(group(ack)).or_insert((i64::MAX, i64::MIN, 0));
        entry.0 = entry.0.min(ack.1.t);
        entry.1 = entry.1.max(ack.1.t + ack.1.d);
        entry.2 += 1;
    }
    let (count, micros) = spans.values().fold((0usize, 0i64), |(c, m), (lo, hi, n)| {
        (c + n, m + (hi - lo).max(1))
    });
    if micros == 0 {
        0.0
    } else {
        count as f64 * 1e6 / micros as f64
    }
}

fn server_figures(all: &[(usize, &Sample)], report: &Report) -> Option<ServerFigures> {
    let server: Vec<&Sample> = all
        .iter()
        .filter(|(_, s)| s.k == Kind::Server)
        .map(|(_, s)| *s)
        .collect();
    if server.is_empty() {
        return None;
    }
    let sum = |name: &str| server.iter().filter(|s| s.e == name).map(|s| s.d).sum::<i64>();
    let count = |name: &str| server.iter().filter(|s| s.e == name).count();
    let per = |total: f64, n: f64| if n > 0.0 { total / n } else { 0.0 };
    let mut f = ServerFigures {
        rss_baseline_kib: sum("rss_baseline_kib"),
        rss_joined_kib: sum("rss_joined_kib"),
        rss_end_kib: sum("rss_end_kib"),
        cpu_joins_ms: sum("cpu_joins_us") as f64 / 1000.0,
        ..ServerFigures::default()
    };
    f.rss_per_participant_kib = per(
        (f.rss_joined_kib - f.rss_baseline_kib) as f64,
        report.connected as f64,
    );
    f.rss_end_per_participant_kib = per(
        (f.rss_end_kib - f.rss_baseline_kib) as f64,
        report.connected as f64,
    );
    f.cpu_per_join_ms = per(f.cpu_joins_ms, report.connected as f64);
    let question_ms = sum("cpu_question_us") as f64 / 1000.0;
    f.cpu_per_question_ms = per(question_ms, count("cpu_question_us") as f64);
    f.cpu_per_live_answer_ms = per(question_ms, report.live_acked as f64);
    f.cpu_exam_round_ms = per(sum("cpu_exam_us") as f64 / 1000.0, count("cpu_exam_us") as f64);
    f.cpu_per_exam_answer_ms = per(sum("cpu_exam_us") as f64 / 1000.0, report.exam_acked as f64);
    Some(f)
}

fn problems(r: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    if r.error_total > 0 {
        problems.push(format!("{} errors", r.error_total));
    }
    if r.lost > 0 {
        problems.push(format!(
            "{} acknowledged answers missing from the server's results",
            r.lost
        ));
    }
    if r.live_questions > 0 && r.live_counted != r.live_acked as i64 {
        problems.push(format!(
            "live: {} answers acknowledged, {} counted by the server",
            r.live_acked, r.live_counted
        ));
    }
    if r.exam_counted != r.exam_acked as i64 {
        problems.push(format!(
            "exam: {} answers acknowledged, {} in the results",
            r.exam_acked, r.exam_counted
        ));
    }
    if r.participants > 0 {
        let checks = [
            ("answers acknowledged", r.answers_acked as i64, r.answers_expected),
            (
                "clients ranked",
                r.close_to_ranked_ms.count as i64,
                r.ranked_expected,
            ),
            (
                "exam papers submitted",
                r.exam_submit_ms.count as i64,
                r.exam_results_expected,
            ),
            (
                "exam results received",
                r.end_to_exam_result_ms.count as i64,
                r.exam_results_expected,
            ),
            ("participants connected", r.connected as i64, r.participants),
        ];
        for (what, got, want) in checks {
            if got != want {
                problems.push(format!("{what}: {got} of {want}"));
            }
        }
    }
    problems
}

pub fn print(r: &Report) {
    println!("\n== jingsai-load report ==");
    println!(
        "participants      {} planned, {} joined, {} connected",
        r.participants, r.joined, r.connected
    );
    println!(
        "join all          {:.2} s ({:.0} joins/s); join {}; connect {}",
        r.join_seconds,
        r.joins_per_second,
        r.join_ms.line(),
        r.connect_ms.line()
    );
    println!("open fan-out      {}", r.open_fanout_ms.line());
    println!("answer ack, live  {}", r.live_ack_ms.line());
    println!("answer ack, exam  {}", r.exam_ack_ms.line());
    println!(
        "answers/s         live {:.0}, exam {:.0}",
        r.live_answers_per_second, r.exam_answers_per_second
    );
    println!("close → ranked    {}", r.close_to_ranked_ms.line());
    println!("exam paper start  {}", r.exam_start_ms.line());
    println!("exam submit ack   {}", r.exam_submit_ms.line());
    println!("end → exam_result {}", r.end_to_exam_result_ms.line());
    println!(
        "answers           {} acknowledged of {} expected ({} duplicates); live {} acked / {} counted; exam {} acked / {} in results; lost {}",
        r.answers_acked,
        r.answers_expected,
        r.duplicates,
        r.live_acked,
        r.live_counted,
        r.exam_acked,
        r.exam_counted,
        r.lost
    );
    if r.errors.is_empty() {
        println!("errors            none");
    } else {
        let list: Vec<String> = r.errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!("errors            {}", list.join(", "));
    }
    let frames: Vec<String> = r
        .frames
        .iter()
        .map(|(role, n)| {
            format!(
                "{role} {n} ({:.1} MiB)",
                *r.bytes.get(role).unwrap_or(&0) as f64 / 1048576.0
            )
        })
        .collect();
    println!("frames received   {}", frames.join(", "));
    let http: Vec<String> = r
        .phone_http_requests
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    println!("phone HTTP        {}", http.join(", "));
    if let Some(s) = &r.server {
        println!(
            "server memory     {} KiB before joins, {} KiB joined ({:.1} KiB per participant), {} KiB at the end ({:.1} KiB per participant)",
            s.rss_baseline_kib,
            s.rss_joined_kib,
            s.rss_per_participant_kib,
            s.rss_end_kib,
            s.rss_end_per_participant_kib
        );
        println!(
            "server CPU        joins {:.0} ms ({:.3} ms each); live question {:.0} ms ({:.3} ms per answer); exam round {:.0} ms ({:.3} ms per answer)",
            s.cpu_joins_ms,
            s.cpu_per_join_ms,
            s.cpu_per_question_ms,
            s.cpu_per_live_answer_ms,
            s.cpu_exam_round_ms,
            s.cpu_per_exam_answer_ms
        );
    }
    if r.ok {
        println!("result            OK");
    } else {
        println!("result            FAILED: {}", r.problems.join("; "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::Sample;

    #[test]
    fn percentiles_are_nearest_rank() {
        let d = Dist::of_micros((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!((d.p50_ms, d.p99_ms, d.max_ms), (50.0, 99.0, 100.0));
        assert_eq!(Dist::of_micros(vec![7000]).p99_ms, 7.0);
    }

    #[test]
    fn driver_and_phone_files_are_matched_by_server() {
        let header = |role: &str| Header {
            url: "http://127.0.0.1:1".into(),
            role: role.into(),
            join_code: None,
        };
        let plan = Sample {
            d: 1,
            e: "participants".into(),
            ..Sample::new(Kind::Plan)
        };
        let driver = vec![
            plan,
            Sample::at(Kind::OpenSent, 1, 0, 1_000),
            Sample::at(Kind::CloseSent, 1, 0, 900_000),
            Sample {
                d: 1,
                ..Sample::at(Kind::Counted, 1, 0, 900_001)
            },
        ];
        let phone = vec![
            Sample {
                d: 10,
                ..Sample::at(Kind::Join, 0, 0, 0)
            },
            Sample {
                d: 10,
                ..Sample::at(Kind::Connect, 0, 0, 10)
            },
            Sample::at(Kind::OpenRecv, 1, 0, 6_000),
            Sample {
                d: 2_000,
                ..Sample::at(Kind::Ack, 1, 0, 500_000)
            },
            Sample::at(Kind::Ranked, 1, 0, 930_000),
        ];
        let report = build(&[(header("driver"), driver), (header("phones"), phone)]);
        assert_eq!(report.open_fanout_ms.p50_ms, 5.0);
        assert_eq!(report.answer_ack_ms.max_ms, 2.0);
        assert_eq!(report.close_to_ranked_ms.p99_ms, 30.0);
        assert!(report.ok, "{:?}", report.problems);

        let phone_only = build(&[(header("phones"), vec![Sample::at(Kind::Lost, 1, 0, 1)])]);
        assert!(!phone_only.ok);
    }
}
