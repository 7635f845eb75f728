//! The `omegi` command: `serve` runs the server, `user create` adds an account from the shell
//! (how users arrive when sign-up is closed).

use std::io::Read;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use omegi::accounts;
use omegi::config::{Config, ServeArgs};
use omegi::server::Server;
use omegi::store::Store;

/// mimalloc instead of glibc's allocator: the ingest path allocates and frees small buffers
/// on every thread (decoded spans, their attributes, JSON), and glibc's `malloc` and `free`
/// were 17% of the server's CPU under load, 15 points of it on the tokio workers
/// (docs/benchmarks.md, fifth pass). mimalloc 3, built without transparent huge pages, which
/// kept an idle server at 40 MiB resident.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "omegi",
    version,
    about = "Self-hosted error tracker for distributed systems"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Send shop-shaped traces to an Omegi and report throughput and latency.
    Loadgen(omegi::loadgen::LoadgenArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (reads the password from standard input when --password is absent).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, env = "OMEGI_NEW_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Give the account the admin role.
        #[arg(long)]
        admin: bool,
        /// Where the database is: the same options as `omegi serve`.
        #[command(flatten)]
        serve: ServeArgs,
    },
}

fn main() -> anyhow::Result<()> {
    one_malloc_arena();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OMEGI_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();
    // A blocking thread (password hashing, assembly) that has been idle for a second ends,
    // and mimalloc hands its freed memory back to the system then: an Argon2 hash's 19 MiB
    // would otherwise stay resident for tokio's default 10 s.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(load(args)?)),
        Command::Loadgen(args) => runtime.block_on(loadgen(args)),
        Command::User(UserCommand::Create {
            username,
            password,
            admin,
            serve,
        }) => runtime.block_on(create_user(load(serve)?, username, password, admin)),
    }
}

/// SQLite allocates with glibc's `malloc` (Rust code with mimalloc): one arena for all of
/// its threads instead of one for each of its connections' threads. An idle server then
/// holds ~1.5 MiB less and a loaded one 5-9 MiB less, and six alternating pairs as fast as
/// acknowledged were all faster with it (docs/benchmarks.md, fourteenth pass). Set before
/// any other thread starts.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a parameter of the allocator; no thread allocates yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn load(args: ServeArgs) -> anyhow::Result<Config> {
    Config::load(args).map_err(|message| anyhow::anyhow!("invalid configuration: {message}"))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let demo = config.demo;
    let mut server = Server::start(config).await?;
    tracing::info!("omegi serving HTTP on http://{}", server.http_addr);
    let demo = match demo {
        true => Some(omegi::demo::start(&server.store, server.http_addr).await?),
        false => None,
    };
    tokio::select! {
        result = server.wait() => result,
        () = shutdown_signal() => {
            tracing::info!("shutting down");
            if let Some(demo) = demo {
                demo.abort();
            }
            server.shutdown().await
        }
    }
}

async fn loadgen(args: omegi::loadgen::LoadgenArgs) -> anyhow::Result<()> {
    let json = args.json;
    let report = omegi::loadgen::run(args).await?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

async fn create_user(
    config: Config,
    username: String,
    password: Option<String>,
    admin: bool,
) -> anyhow::Result<()> {
    let password = match password {
        Some(p) => p,
        None => {
            let mut p = String::new();
            std::io::stdin()
                .read_to_string(&mut p)
                .context("reading the password from standard input")?;
            p.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    // Checked before the database is opened, so a typo costs nothing.
    if let Err(e) = accounts::validate(&username, &password) {
        bail!("--{e}");
    }
    let store = Store::open(&config.database).await?;
    let user = accounts::create_local(&store, &username, password, admin).await;
    store.close().await;
    let user = user?;
    println!(
        "created user {} (id {}, role {:?})",
        user.username, user.id, user.role
    );
    Ok(())
}
