//! `jingsai-load`: simulated phones over real WebSockets and HTTP against a running jingsai server.
//!
//!     jingsai-load --url http://127.0.0.1:8080 --admin-password pw -n 1000 --answer-via http --json out.json
//!     jingsai-load merge driver.samples phones-*.samples --json out.json
//!
//! One process can be the organizer and every phone (`--role all`, the default), or the work can be split over
//! processes (`--role driver` once, `--role phones --shard k/n` for each share) to pass the per-process open-file
//! limit; each writes `--samples FILE` and `merge` builds one report. See docs/benchmarks.md.

mod driver;
mod exam;
mod net;
mod phone;
mod procstat;
mod quizler;
mod report;
mod samples;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use reqwest::Method;

use driver::{Driver, Plan};
use phone::{Ctx, Via};
use samples::{Header, Recorder};

#[derive(Parser)]
#[command(
    name = "jingsai-load",
    version,
    about = "Load generator for jingsai: simulated phones over WebSockets and HTTP"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a load (the default when the first argument is not a subcommand).
    Run(Box<RunArgs>),
    /// Combine the `--samples` files of several processes into one report.
    Merge {
        files: Vec<PathBuf>,
        /// Also write the report as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Role {
    /// Organizer and every phone in this process.
    All,
    /// Only the organizer: creates the contest and runs the rounds; phones come from other processes.
    Driver,
    /// Only phones (`--shard` or `--badge-range` of them): join `--join-code` and answer what opens.
    Phones,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Live,
    Exam,
    Both,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The running server, e.g. http://127.0.0.1:8080 (loopback only).
    #[arg(long)]
    url: String,
    /// The server's protocol: jingsai, or Quizler (the side-by-side benchmark; live questions only).
    #[arg(long, value_enum, default_value_t = quizler::Protocol::Jingsai)]
    protocol: quizler::Protocol,
    /// Participants in the contest (for `phones`: the total the shards divide).
    #[arg(short = 'n', long, default_value_t = 117)]
    participants: usize,
    /// The organizer password (driver).
    #[arg(long, env = "JINGSAI_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Open-join mode (name and unit) instead of a roster with badges.
    #[arg(long)]
    open: bool,
    #[arg(long, value_enum, default_value_t = Mode::Both)]
    mode: Mode,
    /// Questions in the live round.
    #[arg(long, default_value_t = 3)]
    questions: usize,
    /// Questions on each exam paper.
    #[arg(long, default_value_t = 10)]
    exam_questions: usize,
    /// Each phone answers a live question at a uniform random moment within this window after it opened.
    #[arg(long, default_value_t = 1000)]
    answer_window_ms: u64,
    /// Pause before each exam answer (sets the exam answer rate per phone).
    #[arg(long, default_value_t = 100)]
    exam_interval_ms: u64,
    #[arg(long, value_enum, default_value_t = Via::Ws)]
    answer_via: Via,
    /// How phones open and hand in exam papers: `ws` (frames on their socket) or `http` (`POST /api/exam/…`).
    #[arg(long, value_enum, default_value_t = Via::Ws)]
    exam_via: Via,
    /// Source addresses for the phones' sockets: a range 127.0.0.1-127.0.0.8, a list, or a count.
    #[arg(long, default_value = "127.0.0.1-127.0.0.8")]
    source_ips: String,
    /// Joins (join request + WebSocket connect) in flight at once.
    #[arg(long, default_value_t = 64)]
    join_concurrency: usize,
    #[arg(long, value_enum, default_value_t = Role::All)]
    role: Role,
    /// Phones: participants A..B (0-based, B excluded) of the contest.
    #[arg(long, conflicts_with = "shard")]
    badge_range: Option<String>,
    /// Phones: share k of n (0-based), e.g. 0/2 and 1/2.
    #[arg(long)]
    shard: Option<String>,
    /// Join code: chosen by the driver (must be unused on the server), required for `phones`.
    #[arg(long)]
    join_code: Option<String>,
    /// Write the raw samples here (for `merge`).
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server's process id: report its memory per participant and CPU per question (from /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Extra time past the answer window before a question is closed anyway, and for results to arrive.
    #[arg(long, default_value_t = 10_000)]
    slack_ms: u64,
    /// Driver with phones elsewhere: time given to the phones after each close and end.
    #[arg(long, default_value_t = 3_000)]
    settle_ms: u64,
    /// A phone gives up on a request, a socket upgrade or an answer's ack after this long (a `timeout` error).
    #[arg(long, default_value_t = 30)]
    request_timeout_s: u64,
    /// Everything stops after this long.
    #[arg(long, default_value_t = 1800)]
    timeout_s: u64,
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let first = args.get(1).map(String::as_str).unwrap_or("");
    if !matches!(
        first,
        "run" | "merge" | "help" | "-h" | "--help" | "-V" | "--version"
    ) {
        args.insert(1, "run".into());
    }
    let cli = Cli::parse_from(args);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Run(args) => runtime.block_on(run(*args)),
        Command::Merge { files, json } => merge(&files, json.as_deref()),
    };
    // Phone tasks that outlived their deadline must not hold the process.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn merge(files: &[PathBuf], json: Option<&std::path::Path>) -> Result<bool, String> {
    if files.is_empty() {
        return Err("merge: give one or more samples files".into());
    }
    let loaded = files
        .iter()
        .map(|f| samples::read_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let report = report::build(&loaded);
    report::print(&report);
    write_json(json, &report)?;
    Ok(report.ok)
}

fn write_json(path: Option<&std::path::Path>, report: &report::Report) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The participants this process handles: all of them, a shard, or a range.
fn share(args: &RunArgs) -> Result<std::ops::Range<usize>, String> {
    let n = args.participants;
    if let Some(range) = &args.badge_range {
        let (a, b) = range.split_once("..").ok_or("--badge-range: write A..B")?;
        let (a, b): (usize, usize) = (
            a.trim().parse().map_err(|_| "--badge-range: A is not a number")?,
            b.trim().parse().map_err(|_| "--badge-range: B is not a number")?,
        );
        if a >= b || b > n {
            return Err(format!(
                "--badge-range {range}: needs A < B <= --participants ({n})"
            ));
        }
        return Ok(a..b);
    }
    if let Some(shard) = &args.shard {
        let (k, of) = shard.split_once('/').ok_or("--shard: write k/n")?;
        let (k, of): (usize, usize) = (
            k.trim().parse().map_err(|_| "--shard: k is not a number")?,
            of.trim().parse().map_err(|_| "--shard: n is not a number")?,
        );
        if of == 0 || k >= of {
            return Err(format!("--shard {shard}: needs 0 <= k < n"));
        }
        return Ok(k * n / of..(k + 1) * n / of);
    }
    Ok(0..n)
}

async fn run(args: RunArgs) -> Result<bool, String> {
    if args.protocol == quizler::Protocol::Quizler {
        return quizler::run(&args).await;
    }
    let stop_at = Instant::now() + Duration::from_secs(args.timeout_s);
    match procstat::raise_nofile_limit() {
        Ok(limit) => println!("open-file limit: {limit}"),
        Err(e) => eprintln!("cannot raise the open-file limit: {e}"),
    }
    net::set_request_timeout(args.request_timeout_s);
    let base = args.url.trim_end_matches('/').to_string();
    let (ws_base, server) = net::resolve(&base).await?;
    let ips = net::parse_source_ips(&args.source_ips)?;
    let clients = ips
        .iter()
        .map(|ip| net::http_client(Some(*ip)))
        .collect::<Result<Vec<_>, _>>()?;
    let range = share(&args)?;
    let rec = Recorder::new();
    let proc_watch = args.server_pid.map(procstat::ProcWatch::new).transpose()?;
    let plan = Plan {
        participants: args.participants,
        open: args.open,
        live_questions: if args.mode == Mode::Exam {
            0
        } else {
            args.questions
        },
        exam_questions: if args.mode == Mode::Live {
            0
        } else {
            args.exam_questions
        },
        window_ms: args.answer_window_ms,
        exam_interval_ms: args.exam_interval_ms,
        slack_ms: args.slack_ms,
        settle_ms: args.settle_ms,
        join_code: args.join_code.clone(),
        admin_password: args.admin_password.clone().unwrap_or_default(),
        local_phones: args.role == Role::All,
    };
    if args.role != Role::Phones && args.admin_password.is_none() {
        return Err("the driver needs --admin-password (or JINGSAI_ADMIN_PASSWORD)".into());
    }
    let mut driver = match args.role {
        Role::Phones => None,
        _ => Some(Driver::setup(&plan, &base, &ws_base, server, rec.clone(), proc_watch).await?),
    };
    let baseline = driver.as_ref().and_then(Driver::server_baseline);

    let mut phones = Vec::new();
    if args.role != Role::Driver {
        let code = match (&driver, &args.join_code) {
            (Some(d), _) => d.code.clone(),
            (None, Some(code)) => code.clone(),
            (None, None) => return Err("--role phones needs --join-code".into()),
        };
        if driver.is_none() {
            wait_for_contest(&clients[0], &base, &code, stop_at).await?;
        }
        let ctx = Arc::new(Ctx {
            base: base.clone(),
            ws_base: ws_base.clone(),
            server,
            rec: rec.clone(),
            via: args.answer_via,
            exam_via: args.exam_via,
            window_ms: args.answer_window_ms,
            exam_interval_ms: args.exam_interval_ms,
            stop_at,
            wait_for_roster: driver.is_none(),
        });
        println!(
            "joining participants {}..{} from {} source address(es), {} at a time",
            range.start,
            range.end,
            ips.len(),
            args.join_concurrency
        );
        let started = Instant::now();
        phones = join_all(
            &ctx,
            &clients,
            &ips,
            &code,
            range.clone(),
            args.open,
            args.join_concurrency,
        )
        .await;
        println!(
            "{} of {} connected in {:.2} s",
            phones.len(),
            range.len(),
            started.elapsed().as_secs_f64()
        );
    }

    let mut failure = None;
    if let Some(d) = driver.as_mut() {
        if args.role == Role::Driver {
            if let Err(e) = d.wait_for_remote_phones(&plan, stop_at).await {
                failure = Some(e);
            }
        } else {
            d.expect(phones.len());
        }
        d.server_after_joins(baseline);
        if failure.is_none() {
            if let Err(e) = d.run_live(&plan).await {
                failure = Some(e);
            } else if let Err(e) = d.run_exam(&plan).await {
                failure = Some(e);
            }
        }
    }
    if let Some(d) = driver.take()
        && let Err(e) = d.finish().await
    {
        failure.get_or_insert(e);
    }
    if let Some(e) = &failure {
        rec.error(format!("driver: {e}"), 0, 0);
    }
    // Phones end on `contest_state: finished`. A share of phones waits for it until the deadline (it does not know
    // when the driver finishes); with the driver here, the finish has been sent, so they get `--slack-ms`.
    let phones_deadline = match args.role {
        Role::Phones => stop_at,
        _ => stop_at.min(Instant::now() + Duration::from_millis(args.slack_ms)),
    };
    for mut phone in phones {
        let left = phones_deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, &mut phone).await.is_err() {
            phone.abort();
            rec.error("phone_not_finished", 0, 0);
        }
    }

    let role = match args.role {
        Role::All => "all",
        Role::Driver => "driver",
        Role::Phones => "phones",
    };
    let header = Header {
        url: base.clone(),
        role: role.into(),
        join_code: args.join_code.clone(),
    };
    let all = rec.samples();
    if let Some(path) = &args.samples {
        samples::write_file(path, &header, &all).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let report = report::build(&[(header, all)]);
    report::print(&report);
    write_json(args.json.as_deref(), &report)?;
    if args.role == Role::All {
        return Ok(report.ok);
    }
    // A driver or a share of the phones sees only part of the run: its own errors and losses decide its exit
    // status, and `merge` checks the whole.
    println!(
        "(one part of a multi-process run: `jingsai-load merge` the --samples files for the full report)"
    );
    Ok(report.error_total == 0 && report.lost == 0)
}

/// Phones started before the driver: wait until the join code names a contest.
async fn wait_for_contest(
    client: &reqwest::Client,
    base: &str,
    code: &str,
    stop_at: Instant,
) -> Result<(), String> {
    let url = format!("{base}/api/join/{code}");
    loop {
        match net::request(client, Method::GET, &url, None, None).await {
            Ok(_) => return Ok(()),
            Err(_) if Instant::now() < stop_at => tokio::time::sleep(Duration::from_millis(250)).await,
            Err(e) => return Err(format!("join code {code}: {e}")),
        }
    }
}

/// Join every participant of `range` with at most `concurrency` joins in flight; returns the running phones.
async fn join_all(
    ctx: &Arc<Ctx>,
    clients: &[reqwest::Client],
    ips: &[std::net::IpAddr],
    code: &str,
    range: std::ops::Range<usize>,
    open: bool,
    concurrency: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut joins = Vec::with_capacity(range.len());
    for n in range {
        let (ctx, permits) = (ctx.clone(), permits.clone());
        let (client, ip) = (clients[n % clients.len()].clone(), ips[n % ips.len()]);
        let body = phone::join_body(code, n, open);
        joins.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.ok()?;
            phone::join_and_connect(ctx, client, Some(ip), body).await
        }));
    }
    let mut phones = Vec::with_capacity(joins.len());
    for join in joins {
        if let Ok(Some(phone)) = join.await {
            phones.push(phone);
        }
    }
    phones
}
