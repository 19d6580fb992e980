//! `engram`: run, check and query Datalog programs, and keep a memory store, from the
//! command line.

mod demo;
mod load;
mod program_cmd;
mod render;
mod repl;
mod store_cmd;

use clap::{Parser, Subcommand};
use engram_core::EvalOptions;
use program_cmd::{FactDir, ReadArgs};
use render::Format as OutFormat;
use render::TextOrJson;
use std::path::PathBuf;
use std::process::ExitCode;
use store_cmd::RulesCommand;

/// engram: a Datalog engine for agent memory.
#[derive(Parser, Debug)]
#[command(name = "engram", version, about)]
struct Cli {
    /// The store directory [env: ENGRAM_DB, unless empty] (default `./engram.db`; for `mcp`,
    /// a per-user store: `$XDG_DATA_HOME/engram/memory.db`, else
    /// `~/.local/share/engram/memory.db`).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// How long a write waits, in seconds, for another process that is writing the store.
    #[arg(long, global = true, env = "ENGRAM_LOCK_WAIT", default_value_t = 10.0)]
    lock_wait: f64,
    /// What `now()` stands for, for reproducible runs: ISO 8601 (`2026-11-01T00:00:00Z`) or
    /// unix milliseconds. By default the time of evaluation (in a store, of the last `infer`
    /// or `cleanup`).
    #[arg(long, global = true, value_parser = parse_now)]
    now: Option<i64>,
    /// Stop an evaluation (`run`, `explain`, a store's inference) whose relation grows past
    /// this many facts, with an error naming it; a store is left as it was. `mcp`: 50000000
    /// unless given.
    #[arg(long, global = true, env = "ENGRAM_MAX_FACTS")]
    max_facts: Option<usize>,
    /// Stop an evaluation that takes longer than this many seconds, likewise. `mcp`: 60
    /// unless given.
    #[arg(long, global = true, env = "ENGRAM_TIMEOUT", value_parser = parse_seconds)]
    timeout: Option<f64>,
    /// Stop an evaluation that adds more than this much memory (`512M`, `2G`, or bytes),
    /// likewise.
    #[arg(long, global = true, env = "ENGRAM_MAX_MEMORY", value_parser = parse_size)]
    max_memory: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate a program: read `.input` facts, write `.output` relations, answer `?-` queries.
    Run {
        #[command(flatten)]
        facts: FactDir,
        #[command(flatten)]
        read: ReadArgs,
        /// Directory for output `.csv` files, or `-` for stdout (Soufflé's -D).
        #[arg(
            short = 'D',
            long = "output-dir",
            visible_alias = "output",
            default_value = "."
        )]
        output: String,
        /// The program.
        program: PathBuf,
        /// Exit with 3 when an integrity constraint has a violation.
        #[arg(long)]
        strict: bool,
        /// Settle each fact once, best-first in order of confidence, where a stratum allows
        /// it, instead of improving facts round by round: the same facts, confidences,
        /// depths and origins, in less memory where facts improve often, more time where
        /// they do not.
        #[arg(long)]
        best_first: bool,
    },
    /// Parse and plan a program, printing every error.
    Check {
        #[command(flatten)]
        read: ReadArgs,
        /// The program.
        program: PathBuf,
    },
    /// Print the proof tree of a fact's best derivation: each fact with its confidence, depth
    /// and rule. `explain FACT` asks the store; `explain PROGRAM FACT` evaluates a program.
    /// `:- NAME` (or `:-` for all) explains the violations of an integrity constraint.
    /// Exits with 1 if the fact does not hold (or there is no such violation).
    Explain {
        #[command(flatten)]
        facts: FactDir,
        #[command(flatten)]
        read: ReadArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
        /// Explain why the fact does not hold: per rule that could derive it, the first body
        /// literal no fact satisfies (with the nearest facts), the negation that blocks it, or
        /// the bound that cut it (`@max_depth`, `min_confidence`, a forgetting policy), and
        /// the newer fact that superseded it. Exits with 1 if the fact holds (its proof is
        /// printed).
        #[arg(long)]
        why_not: bool,
        /// The fact, as Datalog (`path("a", "d")`); or the program, followed by the fact.
        first: String,
        /// The fact, when the first argument is a program.
        fact: Option<String>,
    },
    /// Build a store from the shipped example memory (five months of a coding assistant's
    /// memory of a small product) with the standard rules, and print what they learned: facts
    /// per rule, the most confident inferences, a proof, the merges, the contradictions.
    Demo {
        /// Where to build the store (it must not exist); a new temporary directory otherwise.
        #[arg(long = "into")]
        into: Option<PathBuf>,
    },
    /// Create a store, with engram's standard memory rules attached (`rules list` shows them).
    Init {
        /// Attach no rules: an empty store.
        #[arg(long)]
        no_default_rules: bool,
    },
    /// Assert facts written as Datalog (`edge("a", "b") @ 0.9 ~ "2026-11-01T10:00:00Z".`, confidence
    /// and time optional) and infer from them.
    Add {
        /// One or more facts; each argument may hold several.
        #[arg(required = true)]
        facts: Vec<String>,
    },
    /// Load facts from a tab-separated file of one relation, or from JSON Lines
    /// (`{"relation": "edge", "values": ["a", "b"], "confidence": 0.9, "time": 1700000000000}`).
    Load {
        /// The file: memories (engram's memory format, the MCP reference memory server's
        /// `memory.jsonl`, a MemoryGraph export; detected from the first line), JSON Lines of
        /// `{"relation", "values"}` facts, or tab-separated rows of `--relation`.
        file: PathBuf,
        /// The relation of a tab-separated file.
        #[arg(long)]
        relation: Option<String>,
        /// The last column of a tab-separated file is a confidence.
        #[arg(long)]
        confidence: bool,
        /// The memory format, instead of detecting it: engram, mcp-memory or memorygraph.
        #[arg(long)]
        format: Option<engram_memory::Format>,
        /// Load the good lines of a file with bad ones, listing what was skipped (by default a
        /// bad line refuses the whole file).
        #[arg(long)]
        skip_bad: bool,
    },
    /// Retract asserted facts; what they alone supported goes with them.
    Retract {
        /// One or more facts.
        #[arg(required = true)]
        facts: Vec<String>,
    },
    /// Answer `?-` queries over the store.
    Query {
        /// The query: `?- path("a", x).`
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutFormat::Table)]
        format: OutFormat,
    },
    /// Recall the memories and entities that answer a question: text matches (BM25), then
    /// what relations (derived ones too) lead to from them, ranked by relevance, confidence,
    /// importance and recency, near-duplicates kept out; each hit says why.
    Recall {
        /// The question or keywords.
        query: String,
        /// Steps of relations to follow from the text matches.
        #[arg(long, default_value_t = 2)]
        depth: usize,
        /// At most this many hits.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Re-derive every fact from the asserted facts and the rules.
    Infer,
    /// Forget weak, old derived facts, and keep them forgotten.
    Cleanup {
        /// Derived facts below this confidence...
        #[arg(long)]
        min_confidence: f64,
        /// ...whose time is more than this many days ago go.
        #[arg(long)]
        max_age_days: f64,
        /// Only list what would go.
        #[arg(long)]
        dry_run: bool,
    },
    /// Merge each relation's runs into one sorted run and drop retracted rows.
    Compact,
    /// Facts per relation, asserted and derived, files and bytes.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print every fact, asserted and derived, with confidence, depth, rule and time.
    Export {
        /// `json`: engram's memory format (JSON Lines that `load` reads back), derived
        /// knowledge marked `"inferred": true`; `tsv`: one fact a line with its metadata;
        /// `mcp-memory`: the MCP reference memory server's `memory.jsonl`.
        #[arg(long, value_enum, default_value_t = store_cmd::ExportFormat::Json)]
        format: store_cmd::ExportFormat,
        /// Only what the rules derived.
        #[arg(long)]
        inferred_only: bool,
    },
    /// List the violations of the store's integrity constraints, each with its proof.
    Violations {
        /// Output format.
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Manage the store's rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// An interactive session: facts, queries and rules typed directly, with history.
    Repl,
    /// Serve the store to AI agents over the Model Context Protocol (stdio): the MCP
    /// reference memory server's tools, with what the rules inferred, and engram's own
    /// (remember, relate, recall, query, explain, forget, add_rule, violations, stats).
    /// Creates the store with the standard rules on first use.
    /// A commit whose inference passes `--max-facts` (default 50000000), `--timeout`
    /// (default 60 s) or `--max-memory` fails (a rule that runs away), and the store stays as
    /// it was. With `--remote URL`, relays stdio to a running `engram serve` instead.
    Mcp {
        /// Relay stdio to this MCP endpoint over Streamable HTTP (`http://host:7437/mcp`)
        /// instead of serving a store here: for a client that speaks only stdio. The token is
        /// read from the environment variable ENGRAM_TOKEN (never from the command line,
        /// where other users' `ps` would show it).
        #[arg(long, value_name = "URL")]
        remote: Option<String>,
    },
    /// Serve the store over HTTP to every agent at once: MCP over Streamable HTTP at /mcp
    /// (the tools of `engram mcp`), one process, with bearer tokens. Listens on
    /// 127.0.0.1:7437 unless told otherwise; SIGTERM stops it after the requests in progress,
    /// SIGHUP reads the tokens file again. Commits are bounded as `engram mcp` bounds them.
    Serve {
        /// Address and port to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = engram_serve::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// The tokens callers bear: lines `write TOKEN` or `read TOKEN` (a token of at
        /// least 16 characters; `#` starts a comment).
        #[arg(long, required_unless_present = "no_auth", conflicts_with = "no_auth")]
        token_file: Option<PathBuf>,
        /// No tokens: anyone who can reach the address may read and write (loopback only).
        #[arg(long)]
        no_auth: bool,
        /// A browser origin that may call it besides its own (repeatable), such as
        /// `https://app.example.com`.
        #[arg(long = "allow-origin", value_name = "ORIGIN")]
        allow_origins: Vec<String>,
        /// A host name clients reach it by besides its address and localhost (repeatable).
        #[arg(long = "allow-host", value_name = "HOST")]
        allow_hosts: Vec<String>,
        /// MCP without sessions for clients of older protocols too.
        #[arg(long)]
        stateless: bool,
        /// At most this many requests in progress; past it a request gets 503 at once.
        #[arg(long, default_value_t = engram_serve::DEFAULT_MAX_REQUESTS)]
        max_requests: usize,
        /// Read-only handles of the store beside the writer's, so reads run beside each other
        /// and beside a write (default: one per core; 0: every call on one handle).
        #[arg(long)]
        readers: Option<usize>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn parse_now(text: &str) -> Result<i64, String> {
    engram_core::internal::value::parse_time(text)
        .ok_or_else(|| format!("`{text}` is not a time: use 2026-11-01T00:00:00Z or milliseconds"))
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!(
            "`{text}`: give seconds, more than 0 and at most 86400"
        )),
    }
}

fn parse_size(text: &str) -> Result<usize, String> {
    engram_core::Limits::parse_size(text)
        .ok_or_else(|| format!("`{text}`: give bytes, or a size such as 512M or 2G"))
}

/// `engram mcp`: serves a store over stdio; its commits are bounded unless told otherwise.
fn serve_mcp(
    db: Option<PathBuf>,
    lock_wait: std::time::Duration,
    limits: engram_core::Limits,
    now: Option<i64>,
) -> anyhow::Result<ExitCode> {
    let db = db.unwrap_or_else(engram_mcp::default_db);
    let options = engram_mcp::Options {
        lock_wait,
        limits: served_limits(limits),
        now,
        readers: 0,
    };
    let server = engram_mcp::Server::open(&db, &options)?;
    eprintln!("engram mcp: serving {} on stdio", db.display());
    engram_mcp::serve_stdio(server)?;
    Ok(ExitCode::SUCCESS)
}

/// The bounds `engram mcp` and `engram serve` put on each commit unless told others: a
/// rule an agent adds may run away.
fn served_limits(limits: engram_core::Limits) -> engram_core::Limits {
    engram_core::Limits {
        max_facts: Some(limits.max_facts.unwrap_or(50_000_000)),
        timeout: Some(limits.timeout.unwrap_or(std::time::Duration::from_secs(60))),
        max_memory: limits.max_memory,
    }
}

/// The global flags every command reads: the lock wait and the bounds on evaluation (also
/// kept where the store commands read them).
fn settings(cli: &Cli) -> anyhow::Result<(std::time::Duration, engram_core::Limits)> {
    store_cmd::NOW.get_or_init(|| cli.now);
    if !(cli.lock_wait >= 0.0 && cli.lock_wait <= 86_400.0) {
        anyhow::bail!("--lock-wait {}: give seconds, 0 to 86400", cli.lock_wait);
    }
    let lock_wait = std::time::Duration::from_secs_f64(cli.lock_wait);
    store_cmd::LOCK_WAIT.get_or_init(|| lock_wait);
    let limits = engram_core::Limits {
        max_facts: cli.max_facts,
        timeout: cli.timeout.map(std::time::Duration::from_secs_f64),
        max_memory: cli.max_memory,
    };
    store_cmd::LIMITS.get_or_init(|| limits);
    Ok((lock_wait, limits))
}

fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    // `--db`, else `ENGRAM_DB`; empty names no store: the default one.
    let from_env = || std::env::var_os("ENGRAM_DB").map(PathBuf::from);
    cli.db = (cli.db.take().or_else(from_env)).filter(|p| !p.as_os_str().is_empty());
    let now = cli.now;
    let (lock_wait, limits) = settings(&cli)?;
    if let Command::Mcp { remote } = cli.command {
        if let Some(url) = remote {
            let token = std::env::var("ENGRAM_TOKEN")
                .ok()
                .filter(|t| !t.trim().is_empty());
            eprintln!("engram mcp: relaying stdio to {url}");
            engram_mcp::relay_stdio(&url, token.map(|t| t.trim().to_string()))?;
            return Ok(ExitCode::SUCCESS);
        }
        return serve_mcp(cli.db, lock_wait, limits, now);
    }
    if let Command::Serve {
        listen,
        token_file,
        no_auth: _,
        allow_origins,
        allow_hosts,
        stateless,
        max_requests,
        readers,
    } = cli.command
    {
        let options = engram_serve::Options {
            db: cli.db.unwrap_or_else(engram_mcp::default_db),
            listen,
            auth: token_file.map_or(engram_serve::Auth::None, engram_serve::Auth::Tokens),
            allow_origins,
            allow_hosts,
            stateless,
            max_requests,
            mcp: engram_mcp::Options {
                lock_wait,
                limits: served_limits(limits),
                now,
                readers: readers
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
            },
        };
        engram_serve::serve(options)?;
        return Ok(ExitCode::SUCCESS);
    }
    let db = cli.db.unwrap_or_else(|| PathBuf::from("engram.db"));
    match cli.command {
        Command::Mcp { .. } | Command::Serve { .. } => unreachable!("served above"),
        Command::Demo { into } => demo::demo(into.as_deref()),
        Command::Init { no_default_rules } => store_cmd::init(&db, !no_default_rules),
        Command::Add { facts } => store_cmd::add_or_retract(&db, &facts, false),
        Command::Retract { facts } => store_cmd::add_or_retract(&db, &facts, true),
        Command::Load {
            file,
            relation,
            confidence,
            format,
            skip_bad,
        } => {
            let how = load::How {
                relation: relation.as_deref(),
                confidence,
                format,
                skip_bad,
            };
            store_cmd::load(&db, &file, &how)
        }
        Command::Query { query, format } => store_cmd::query(&db, &query, format),
        Command::Recall {
            query,
            depth,
            limit,
            format,
        } => {
            let options = engram_memory::RecallOptions {
                depth,
                limit,
                now: 0,
                shown: None,
            };
            store_cmd::recall(&db, &query, options, format == TextOrJson::Json)
        }
        Command::Infer => store_cmd::infer(&db),
        Command::Cleanup {
            min_confidence,
            max_age_days,
            dry_run,
        } => store_cmd::cleanup(&db, min_confidence, max_age_days, dry_run),
        Command::Compact => store_cmd::compact(&db),
        Command::Stats { json } => store_cmd::stats(&db, json),
        Command::Export {
            format,
            inferred_only,
        } => store_cmd::export(&db, format, inferred_only),
        Command::Rules { command } => store_cmd::rules(&db, command),
        Command::Repl => store_cmd::repl(&db),
        Command::Violations { format } => store_cmd::violations(&db, format == TextOrJson::Json),
        Command::Explain {
            format,
            first,
            fact: None,
            why_not,
            ..
        } => store_cmd::explain(&db, &first, format == TextOrJson::Json, why_not),
        Command::Check { program, read } => program_cmd::check(&program, &read),
        Command::Run {
            facts,
            read,
            output,
            program,
            strict,
            best_first,
        } => {
            let options = EvalOptions {
                now,
                limits,
                best_first,
                ..EvalOptions::default()
            };
            program_cmd::run(&program, &read, &facts, &output, strict, options)
        }
        Command::Explain {
            facts,
            read,
            format,
            first: program,
            fact: Some(fact),
            why_not,
        } => {
            let program = read.read(std::path::Path::new(&program));
            program_cmd::explain(program, &facts, &fact, format, why_not, now, limits)
        }
    }
}
