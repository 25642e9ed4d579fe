//! The `jingsai` command: `serve` (the default), bank tools, backup and the audit verifier.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use jingsai::audit::Database;
use jingsai::bank::formats::{Format, ImportOptions};
use jingsai::bank::lint::{DEFAULT_GIVE_AWAY, DEFAULT_SIMILARITY, LintOptions};
use jingsai::config::Settings;

#[derive(Parser)]
#[command(
    name = "jingsai",
    version,
    about = "Self-hosted quiz and knowledge-contest server"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    /// Where the database and the token secret live.
    #[arg(long, env = "JINGSAI_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://user@host:5432/name`) instead of the SQLite file in the data directory:
    /// several instances can share it (docs/deployment.md). Every command that opens the database uses it.
    #[arg(long, env = "JINGSAI_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Serve options, also accepted without the `serve` word.
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Organizer account tools.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Question bank tools.
    Bank {
        #[command(subcommand)]
        command: BankCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE (a new file), also while the server runs. The token
    /// secret (jwt.secret) is not part of it. See docs/operations.md for restoring. A PostgreSQL database
    /// (--database-url) is backed up with pg_dump instead.
    Backup { file: PathBuf },
    /// Audit tools: re-derive a contest from what is stored (docs/audit.md).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Regenerate every paper and draw from the seed, rescore every answer, recompute totals, rankings, unit and
    /// team standings, and check the audit log; report every difference. Reads the database only (the server
    /// may be running): DATA_DIR/jingsai.db, the PostgreSQL database of --database-url, or --database FILE.
    /// Exit 0: no difference; 1: differences; 2: the contest or database cannot be read.
    Verify {
        /// The contest's id (as in the console's address and the API).
        contest: i64,
        /// A SQLite database file to read (a backup, say) instead of DATA_DIR/jingsai.db or --database-url.
        #[arg(long)]
        database: Option<PathBuf>,
        /// Print the report as JSON (counts, differences, notes, the recomputed results and team standings).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Change an organizer's password (creating the account if needed) and end every login of it: tokens
    /// signed before stop working at once, also on a running server. The new password comes from
    /// `--password`, from `JINGSAI_NEW_PASSWORD`, or from the first line of standard input; it is never
    /// printed.
    Password {
        /// The account.
        #[arg(long, default_value = "admin")]
        user: String,
        /// The new password (visible in the process list: prefer the environment or standard input).
        #[arg(long, env = "JINGSAI_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on. Use 127.0.0.1:0 for a free port (the chosen address is printed).
    #[arg(long, env = "JINGSAI_LISTEN", default_value = "0.0.0.0:8080")]
    listen: String,
    /// Banks imported on first start, when the database has none.
    #[arg(long, env = "JINGSAI_BANKS_DIR", default_value = "question_banks")]
    banks_dir: PathBuf,
    /// Set the organizer `admin` password (otherwise one is generated on first start and printed once).
    #[arg(long, env = "JINGSAI_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Seconds a client has to send a complete request head; slower ones are disconnected.
    #[arg(long, env = "JINGSAI_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds an HTTP keep-alive connection may stay idle between requests (WebSockets are not affected).
    #[arg(long, env = "JINGSAI_IDLE_TIMEOUT", default_value_t = 60)]
    idle_timeout: u64,
    /// Seconds the server has to answer a WebSocket upgrade request.
    #[arg(long, env = "JINGSAI_WS_HANDSHAKE_TIMEOUT", default_value_t = 10)]
    ws_handshake_timeout: u64,
    /// Most connections one client address may hold; excess ones are refused.
    #[arg(long, env = "JINGSAI_MAX_CONNECTIONS_PER_IP", default_value_t = 2000)]
    max_connections_per_ip: usize,
    /// Most connections in total; 0 derives it from the open-file limit, keeping a reserve for the database.
    #[arg(long, env = "JINGSAI_MAX_CONNECTIONS", default_value_t = 0)]
    max_connections: usize,
    /// Failed joins (unknown code or badge, wrong PIN) one client address may make per minute; 0: no limit.
    #[arg(long, env = "JINGSAI_JOIN_FAILURES_PER_IP", default_value_t = 30)]
    join_failures_per_ip: u32,
    /// Failed joins (unknown badge, wrong PIN) per contest and minute, all addresses together; 0: no limit.
    #[arg(long, env = "JINGSAI_JOIN_FAILURES_PER_CONTEST", default_value_t = 120)]
    join_failures_per_contest: u32,
    /// The address phones use to reach this server, e.g. https://quiz.example.org behind a reverse proxy:
    /// offered first for join links and QR codes (otherwise only the addresses the server listens on are).
    #[arg(long, env = "JINGSAI_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum BankCommand {
    /// Validate a bank file (or a directory of native `*.toml` files): prints a summary and exits 0, or prints
    /// `file:line: message` for every error (`file[sheet]:row: message` for xlsx) and exits 1.
    Check {
        path: PathBuf,
        /// The bank id for files that name none (xlsx/csv/GIFT/Aiken/Moodle XML); `unnamed` when absent.
        #[arg(long)]
        bank: Option<String>,
        /// The file's format when its extension does not tell: native, xlsx, csv, gift, aiken or moodle.
        #[arg(long, value_parser = parse_format)]
        format: Option<Format>,
        /// Also lint the bank (as `bank lint` with its default thresholds) and print the warnings.
        #[arg(long)]
        lint: bool,
        /// With --lint: exit 1 when there are lint warnings.
        #[arg(long, requires = "lint")]
        strict: bool,
    },
    /// Lint a bank file or directory (docs/bank-lint.md): near-duplicate questions, give-aways (one question's
    /// stem states another's answer), guessable keys and unbalanced statistics per bank and category. Prints
    /// `file:line: rule: message` per warning and a summary; exits 0, or 1 when the bank is invalid (its
    /// errors are printed) or, with --strict, when there are warnings.
    Lint {
        path: PathBuf,
        /// Exit 1 when there are warnings.
        #[arg(long)]
        strict: bool,
        /// Near duplicates: the least similarity (0 to 1) reported.
        #[arg(long, default_value_t = DEFAULT_SIMILARITY, value_parser = parse_fraction)]
        threshold: f64,
        /// Give-aways: the least context similarity (0 to 1) reported.
        #[arg(long, default_value_t = DEFAULT_GIVE_AWAY, value_parser = parse_fraction)]
        give_away_threshold: f64,
        /// Print the report as JSON (the shape of `GET /api/banks/{id}/lint`).
        #[arg(long)]
        json: bool,
        /// The bank id for files that name none (xlsx/csv/GIFT/Aiken/Moodle XML); `unnamed` when absent.
        #[arg(long)]
        bank: Option<String>,
        /// The file's format when its extension does not tell: native, xlsx, csv, gift, aiken or moodle.
        #[arg(long, value_parser = parse_format)]
        format: Option<Format>,
    },
    /// Validate and import a bank file (or a directory of native `*.toml` files) into the database: all or
    /// nothing. The format comes from the extension: .toml native, .xlsx, .csv/.tsv, .gift, .aiken, .xml
    /// Moodle XML, .txt GIFT or Aiken by content (docs/bank-formats.md).
    Import {
        path: PathBuf,
        /// The bank to import into, for files that name none (xlsx/csv/GIFT/Aiken/Moodle XML; overrides the
        /// id of an xlsx 题库信息 sheet). Not for native files, which name their bank.
        #[arg(long)]
        bank: Option<String>,
        /// The file's format when its extension does not tell: native, xlsx, csv, gift, aiken or moodle.
        #[arg(long, value_parser = parse_format)]
        format: Option<Format>,
    },
    /// Write an imported bank to FILE, as xlsx (the import template: it imports back unchanged) or as one
    /// native TOML file.
    Export {
        bank_id: String,
        #[arg(long, value_parser = ["xlsx", "native"])]
        format: String,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Write the xlsx import template to FILE: the header row, one example per question type, and a sheet
    /// 说明 explaining each column.
    Template {
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn parse_format(name: &str) -> Result<Format, String> {
    Format::parse(name).ok_or_else(|| format!("unknown format `{name}` (one of {})", Format::NAMES))
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("`{text}` is not a number from 0 to 1")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JINGSAI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let database = cli
        .database_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(Database::from_url)
        .unwrap_or_else(|| Database::File(Settings::new(cli.data_dir.clone()).database_path()));
    let result = match cli.command {
        None => runtime.block_on(serve(cli.data_dir, cli.database_url, cli.serve)),
        Some(Command::Serve(args)) => runtime.block_on(serve(cli.data_dir, cli.database_url, args)),
        Some(Command::Admin {
            command: AdminCommand::Password { user, password },
        }) => runtime.block_on(admin_password(&database, &user, password)),
        Some(Command::Bank {
            command:
                BankCommand::Check {
                    path,
                    bank,
                    format,
                    lint,
                    strict,
                },
        }) => {
            let lint = lint.then_some(LintRun {
                options: LintOptions::default(),
                strict,
                json: false,
                check_summary: true,
            });
            return bank_check(&path, bank, format, lint);
        }
        Some(Command::Bank {
            command:
                BankCommand::Lint {
                    path,
                    strict,
                    threshold,
                    give_away_threshold,
                    json,
                    bank,
                    format,
                },
        }) => {
            let options = LintOptions {
                similarity: threshold,
                give_away: give_away_threshold,
            };
            let run = LintRun {
                options,
                strict,
                json,
                check_summary: false,
            };
            return bank_check(&path, bank, format, Some(run));
        }
        Some(Command::Bank {
            command: BankCommand::Import { path, bank, format },
        }) => runtime.block_on(bank_import(&database, &path, bank, format)),
        Some(Command::Bank {
            command:
                BankCommand::Export {
                    bank_id,
                    format,
                    output,
                },
        }) => runtime.block_on(bank_export(&database, &bank_id, &format, &output)),
        Some(Command::Bank {
            command: BankCommand::Template { output },
        }) => bank_template(&output),
        Some(Command::Backup { file }) => runtime.block_on(backup(&database, &cli.data_dir, &file)),
        Some(Command::Audit {
            command:
                AuditCommand::Verify {
                    contest,
                    database: file,
                    json,
                },
        }) => {
            // A file named on the command line wins over the URL, which may come from the environment.
            let database = file.map_or(database, Database::File);
            let code = runtime.block_on(audit_verify(&database, contest, json));
            runtime.shutdown_timeout(Duration::from_millis(500));
            return code;
        }
    };
    // Do not wait for stray blocking work: shutdown has already drained and flushed what matters.
    runtime.shutdown_timeout(Duration::from_millis(500));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_bank_errors(errors: &[jingsai::bank::BankError], outcome: &str) {
    for e in errors {
        println!("{e}");
    }
    eprintln!("{} error(s){outcome}", errors.len());
}

/// How `bank check --lint` and `bank lint` lint.
struct LintRun {
    options: LintOptions,
    /// Exit 1 when there are warnings.
    strict: bool,
    json: bool,
    /// Print the counts of `bank check` first.
    check_summary: bool,
}

/// `bank check`, and with `lint` also the linter (`bank check --lint`, `bank lint`).
fn bank_check(
    path: &std::path::Path,
    bank: Option<String>,
    format: Option<Format>,
    lint: Option<LintRun>,
) -> ExitCode {
    let options = ImportOptions {
        format,
        bank,
        fallback_bank: Some("unnamed".into()),
    };
    let banks = match jingsai::bank::formats::load_file_located(path, &options) {
        Ok(banks) => banks,
        Err(errors) => {
            print_bank_errors(&errors, "");
            return ExitCode::FAILURE;
        }
    };
    let plain = || banks.iter().map(|b| b.bank.clone()).collect::<Vec<_>>();
    let Some(LintRun {
        options,
        strict,
        json,
        check_summary,
    }) = lint
    else {
        println!("{}", jingsai::bank::summary(&plain()));
        return ExitCode::SUCCESS;
    };
    if check_summary {
        println!("{}", jingsai::bank::summary(&plain()));
    }
    let started = std::time::Instant::now();
    let report = jingsai::bank::lint::lint(&banks, &options);
    let elapsed = started.elapsed();
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: cannot write the report as JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", report.text());
    }
    eprintln!(
        "linted {} question(s) in {:.1} ms",
        report.questions,
        elapsed.as_secs_f64() * 1000.0
    );
    if strict && !report.warnings.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Open the database of a command: the SQLite file (created when missing, with its directory) or PostgreSQL.
/// Pending migrations run either way.
async fn open_store(database: &Database) -> anyhow::Result<jingsai::store::Store> {
    match database {
        Database::File(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("cannot create the data directory {}: {e}", dir.display())
                })?;
            }
            jingsai::store::Store::open(path).await
        }
        Database::Postgres(url) => jingsai::store::Store::connect(url).await,
    }
}

/// Open the database of a command that changes or reads what a server made: a SQLite file must exist already
/// (a mistyped data directory must not get a new, empty database).
async fn open_existing_store(database: &Database) -> anyhow::Result<jingsai::store::Store> {
    if let Database::File(path) = database
        && !path.exists()
    {
        anyhow::bail!(
            "no database at {} (set --data-dir or --database-url)",
            path.display()
        );
    }
    open_store(database).await
}

async fn bank_import(
    database: &Database,
    path: &std::path::Path,
    bank: Option<String>,
    format: Option<Format>,
) -> anyhow::Result<ExitCode> {
    let options = ImportOptions {
        format,
        bank,
        fallback_bank: None,
    };
    let banks = match jingsai::bank::formats::load_file(path, &options) {
        Ok(banks) => banks,
        Err(errors) => {
            print_bank_errors(&errors, "; nothing was imported");
            return Ok(ExitCode::FAILURE);
        }
    };
    let store = open_store(database).await?;
    let count = store.import_banks(&banks).await?;
    // Contests drawing from these banks record the import in their audit logs (a changed key regrades them).
    for contest in store.contests().await? {
        let ids: Vec<String> = serde_json::from_str(&contest.bank_ids).unwrap_or_default();
        let used: Vec<&jingsai::bank::Bank> = banks.iter().filter(|b| ids.contains(&b.id)).collect();
        if !used.is_empty() {
            jingsai::audit::record::record_bank_import(&store, contest.id, "cli", &used).await;
        }
    }
    store.close().await;
    println!("imported {count} questions into {} bank(s)", banks.len());
    Ok(ExitCode::SUCCESS)
}

async fn bank_export(
    database: &Database,
    bank_id: &str,
    format: &str,
    output: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let store = open_existing_store(database).await?;
    let bank = store.bank(bank_id).await;
    store.close().await;
    let Some(bank) = bank? else {
        anyhow::bail!("no bank `{bank_id}` in {}", database.name());
    };
    let bytes = match format {
        "xlsx" => jingsai::bank::formats::export::to_xlsx(&bank)?,
        _ => jingsai::bank::formats::export::to_native(&bank).into_bytes(),
    };
    std::fs::write(output, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
    println!(
        "exported {} questions of bank {} to {} ({format})",
        bank.questions.len(),
        bank.id,
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn bank_template(output: &std::path::Path) -> anyhow::Result<ExitCode> {
    let bytes = jingsai::bank::formats::export::template_xlsx()?;
    std::fs::write(output, bytes).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
    let examples = jingsai::bank::formats::template::example_rows().len();
    println!(
        "wrote the bank template ({examples} example questions, one per type) to {}",
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn backup(
    database: &Database,
    data_dir: &std::path::Path,
    file: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let database = match database {
        Database::File(path) => path,
        Database::Postgres(_) => anyhow::bail!(
            "`jingsai backup` copies a SQLite database; {} is PostgreSQL: back it up with pg_dump \
             (docs/operations.md)",
            database.name()
        ),
    };
    let summary = jingsai::store::backup_database(database, file).await?;
    println!(
        "backed up {} to {} ({} bytes: {} contest(s), {} participant(s), {} answer(s))",
        database.display(),
        summary.path.display(),
        summary.bytes,
        summary.contests,
        summary.participants,
        summary.answers
    );
    println!(
        "the token secret {} is not in the backup; copy it too if issued tokens must stay valid elsewhere",
        data_dir.join("jwt.secret").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `audit verify`: 0 when the contest re-derives without a difference, 1 with differences, 2 when the contest
/// or the database cannot be read (or the report cannot be printed).
async fn audit_verify(database: &Database, contest: i64, json: bool) -> ExitCode {
    match jingsai::audit::verify(database, contest).await {
        Ok(report) => {
            let text = if json {
                match serde_json::to_string_pretty(&report) {
                    Ok(text) => text,
                    Err(e) => {
                        eprintln!("error: cannot write the report as JSON: {e}");
                        return ExitCode::from(2);
                    }
                }
            } else {
                report.to_text()
            };
            println!("{}", text.trim_end());
            if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve(data_dir: PathBuf, database_url: Option<String>, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::new(data_dir);
    settings.database_url = database_url.filter(|url| !url.trim().is_empty());
    settings.banks_dir = Some(args.banks_dir);
    settings.admin_password = args.admin_password.filter(|p| !p.is_empty());
    settings.header_timeout = Duration::from_secs(args.header_timeout.max(1));
    settings.idle_timeout = Duration::from_secs(args.idle_timeout.max(1));
    settings.ws_handshake_timeout = Duration::from_secs(args.ws_handshake_timeout.max(1));
    settings.max_connections_per_ip = args.max_connections_per_ip.max(1);
    settings.max_connections = (args.max_connections > 0).then_some(args.max_connections);
    settings.join_failures_per_ip = args.join_failures_per_ip;
    settings.join_failures_per_contest = args.join_failures_per_contest;
    settings.public_url = match args.public_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => {
            Some(jingsai::config::parse_base_url(url).map_err(|e| anyhow::anyhow!("--public-url: {e}"))?)
        }
    };
    let file_limit = jingsai::http::serve::raise_file_limit();
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut prepared = jingsai::server::prepare(settings.clone()).await?;
    print_welcome(addr, &settings, &prepared.startup, file_limit);
    let startup = std::mem::take(&mut prepared.startup);
    drop(startup);
    prepared.serve(listener, shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

fn print_welcome(addr: SocketAddr, settings: &Settings, startup: &jingsai::server::Startup, file_limit: u64) {
    // The first line is machine-readable: tests and scripts read the bound address from it.
    println!("jingsai listening on {addr}");
    let port = addr.port();
    let mut hosts = Vec::new();
    if addr.ip().is_unspecified() {
        hosts.push("127.0.0.1".to_string());
        if let Ok(interfaces) = if_addrs::get_if_addrs() {
            for iface in interfaces {
                let ip = iface.ip();
                if ip.is_ipv4() && !ip.is_loopback() {
                    hosts.push(ip.to_string());
                }
            }
        }
    } else {
        hosts.push(addr.ip().to_string());
    }
    println!();
    for host in &hosts {
        println!("  参赛 Participants   http://{host}:{port}/");
        println!("  控制台 Console      http://{host}:{port}/console");
        println!("  大屏 Big screen     http://{host}:{port}/screen");
    }
    println!("  API                http://{}:{port}/api/openapi.json", hosts[0]);
    if let Some(public) = &settings.public_url {
        println!("  public address     {public}/ (offered first for join links)");
    }
    println!();
    println!("  data dir: {}", settings.data_dir.display());
    println!(
        "  up to {} connections (open-file limit {file_limit}; at most {} per address)",
        jingsai::server::connection_capacity(settings),
        settings.max_connections_per_ip
    );
    if startup.imported_questions > 0 {
        println!(
            "  imported {} questions from the shipped banks",
            startup.imported_questions
        );
    }
    if startup.resumed_contests > 0 {
        println!("  resumed {} running contest(s)", startup.resumed_contests);
    }
    match &startup.generated_admin_password {
        Some(password) => {
            println!("  organizer login: user `admin`, password `{password}`");
            println!("  (shown only this once; set JINGSAI_ADMIN_PASSWORD to choose your own)");
        }
        None => println!("  organizer login: user `admin`"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

async fn admin_password(
    database: &Database,
    user: &str,
    password: Option<String>,
) -> anyhow::Result<ExitCode> {
    let password = match password {
        Some(password) => password,
        None => {
            use std::io::IsTerminal;
            let terminal = std::io::stdin().is_terminal();
            if terminal {
                eprint!("new password for `{user}`: ");
                set_echo(false);
            }
            let mut line = String::new();
            let read = std::io::stdin().read_line(&mut line);
            if terminal {
                set_echo(true);
                eprintln!();
            }
            read?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let user = user.trim();
    if user.is_empty() {
        anyhow::bail!("the user name is empty");
    }
    if password.chars().count() < 8 || password.chars().count() > 256 {
        anyhow::bail!("the password must have 8 to 256 characters");
    }
    let store = open_existing_store(database).await?;
    let hash = jingsai::auth::hash_password_async(password).await?;
    let changed = store.change_password(user, &hash).await;
    store.close().await;
    changed?;
    println!("password of `{user}` changed; every earlier login of it has ended");
    Ok(ExitCode::SUCCESS)
}

/// Typing a password on a terminal must not show it: switch the terminal's echo off (`stty`, as `passwd` does).
fn set_echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}
