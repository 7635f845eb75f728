//! `omegi loadgen`: a load generator in its own process. It sends shop-shaped traces
//! ([`shop`]) over any of Omegi's protocols ([`send`]), at a fixed rate or as fast as the
//! server answers, and reports what a capacity test needs: spans sent and accepted a second,
//! rejected spans, export latency percentiles, and error-to-visible latency ([`visible`])
//! through the API and over SSE.

pub mod api;
pub mod report;
pub mod send;
pub mod shop;
pub mod visible;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Semaphore;

use api::ApiClient;
use report::{Report, Tally};
use send::{Outcome, Protocol, Sender};
use shop::{Failure, Shape, Shop, EXCEPTION_KINDS};
use visible::{Probes, Watcher};

#[derive(clap::Args, Clone, Debug)]
pub struct LoadgenArgs {
    /// Omegi's OTLP address: the HTTP address for OTLP/HTTP, the gRPC address for gRPC.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: String,
    /// Ingest token of the service the traces are sent as.
    #[arg(long, env = "OMEGI_LOADGEN_TOKEN", hide_env_values = true)]
    pub token: String,
    #[arg(long, value_enum, default_value = "http-protobuf")]
    pub protocol: Protocol,
    /// Spans a second to send; 0 sends as fast as the server answers.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// How long to send.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    #[arg(long, default_value_t = 10)]
    pub spans_per_trace: usize,
    /// Services a trace passes through (gateway, orders, inventory, payments, …; at most 8).
    #[arg(long, default_value_t = 4)]
    pub services: usize,
    /// Share of traces that fail (0–1).
    #[arg(long, default_value_t = 0.05)]
    pub error_ratio: f64,
    /// How many different exceptions failing traces throw (1–6).
    #[arg(long, default_value_t = 4)]
    pub exception_kinds: usize,
    /// Traces in one export (one request or Kafka message).
    #[arg(long, default_value_t = 50)]
    pub traces_per_export: usize,
    /// Exports in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Kafka bootstrap servers, for `--protocol kafka`.
    #[arg(long)]
    pub kafka_brokers: Option<String>,
    #[arg(long, default_value = "omegi-spans")]
    pub kafka_topic: String,
    /// Omegi's HTTP address for error-to-visible timing (default: the target, for OTLP/HTTP).
    #[arg(long)]
    pub api: Option<String>,
    /// An account that can read the project, to time error-to-visible through the API and SSE.
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long, env = "OMEGI_LOADGEN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Failing traces a second whose time until the API lists them is measured.
    #[arg(long, default_value_t = 5.0)]
    pub watch_per_sec: f64,
    /// How long after sending a watched trace the API is first asked for it (then every
    /// 20 ms for 1.5 s, then less often). Nothing is listed before the server's settle
    /// time, and a poll before it only loads the server: give a little less than that time.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    pub watch_after: Duration,
    /// Probes a second: failing traces with a new exception type each, timed until they
    /// arrive over SSE as a new error. 0 sends none.
    #[arg(long, default_value_t = 1.0)]
    pub probes_per_sec: f64,
    /// Print the final report as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress lines while running.
    #[arg(long)]
    pub quiet: bool,
}

impl LoadgenArgs {
    fn check(&self) -> anyhow::Result<()> {
        if !(0.0..=1.0).contains(&self.error_ratio) {
            bail!("--error-ratio must be between 0 and 1");
        }
        if !(1..=EXCEPTION_KINDS.len()).contains(&self.exception_kinds) {
            bail!(
                "--exception-kinds must be between 1 and {}",
                EXCEPTION_KINDS.len()
            );
        }
        if self.spans_per_trace == 0 || self.traces_per_export == 0 || self.concurrency == 0 {
            bail!("--spans-per-trace, --traces-per-export and --concurrency must be at least 1");
        }
        if self.user.is_some() != self.password.is_some() {
            bail!("--user and --password go together");
        }
        Ok(())
    }
}

/// What the workers share.
struct Run {
    shop: Shop,
    args: LoadgenArgs,
    started: Instant,
    tally: Tally,
    watcher: Option<Watcher>,
    probes: Probes,
    /// Exports allowed so far at a fixed rate (`None`: as fast as answered).
    budget: Option<Arc<Semaphore>>,
    watched: AtomicU64,
    probed: AtomicU64,
    /// Names this run's probes apart from earlier runs' (each must be a new error).
    run_id: u32,
}

/// Runs the generator for `--duration` and returns its report.
pub async fn run(args: LoadgenArgs) -> anyhow::Result<Report> {
    args.check()?;
    let kafka = args
        .kafka_brokers
        .as_deref()
        .map(|b| (b, args.kafka_topic.as_str()));
    let sender = Sender::connect(args.protocol, &args.target, &args.token, kafka).await?;
    let watcher = match (&args.user, &args.password) {
        (Some(user), Some(password)) => {
            let api = match (&args.api, args.protocol) {
                (Some(api), _) => api.clone(),
                (None, Protocol::HttpProtobuf | Protocol::HttpJson) => args.target.clone(),
                (None, _) => bail!("--user needs --api, Omegi's HTTP address"),
            };
            Some(Watcher(ApiClient::sign_in(&api, user, password).await?))
        }
        _ => None,
    };
    let shape = Shape {
        spans_per_trace: args.spans_per_trace,
        services: args.services,
    };
    let run = Arc::new(Run {
        shop: Shop::new(shape, None),
        budget: (args.rate > 0).then(|| Arc::new(Semaphore::new(0))),
        started: Instant::now(),
        tally: Tally::default(),
        watcher,
        probes: Probes::default(),
        watched: AtomicU64::new(0),
        probed: AtomicU64::new(0),
        run_id: rand::thread_rng().gen(),
        args,
    });
    if let Some(w) = run.watcher.clone() {
        if run.args.probes_per_sec > 0.0 {
            let r = run.clone();
            tokio::spawn(w.follow(run.probes.clone(), move |d| r.tally.sse_visible(d)));
        }
    }
    let pacer = run
        .budget
        .clone()
        .map(|b| tokio::spawn(pace(run.clone(), b)));
    let progress = (!run.args.quiet).then(|| tokio::spawn(progress(run.clone())));
    let workers: Vec<_> = (0..run.args.concurrency)
        .map(|_| tokio::spawn(work(run.clone(), sender.clone())))
        .collect();
    let mut watches = Vec::new();
    for w in workers {
        watches.extend(w.await.context("a sending task failed")?);
    }
    let elapsed = run.started.elapsed();
    if let Some(p) = pacer {
        p.abort();
    }
    // Errors still on their way are waited for (each watch has its own deadline).
    for w in watches {
        let _ = w.await;
    }
    if let Some(p) = progress {
        p.abort();
    }
    let unseen = run.probes.lock().map(|p| p.len()).unwrap_or(0);
    Ok(run.tally.report(elapsed, unseen as u64))
}

/// At a fixed rate: adds export permits as time passes, at most a second's worth ahead.
async fn pace(run: Arc<Run>, budget: Arc<Semaphore>) {
    let spans_per_export = (run.args.spans_per_trace * run.args.traces_per_export) as f64;
    let per_sec = run.args.rate as f64 / spans_per_export;
    let mut issued = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    loop {
        tick.tick().await;
        let due = (run.started.elapsed().as_secs_f64() * per_sec) as u64;
        let add = due.saturating_sub(issued);
        let room = (per_sec.ceil() as usize).saturating_sub(budget.available_permits());
        budget.add_permits((add as usize).min(room));
        issued = due;
    }
}

/// One sender: builds and sends exports until the duration is over. Returns the visibility
/// watches it started.
async fn work(run: Arc<Run>, mut sender: Sender) -> Vec<tokio::task::JoinHandle<()>> {
    let mut rng = StdRng::from_entropy();
    let mut dice = StdRng::from_entropy();
    let mut watches = Vec::new();
    let end = run.started + run.args.duration;
    loop {
        if let Some(budget) = &run.budget {
            tokio::select! {
                permit = budget.acquire() => match permit {
                    Ok(p) => p.forget(),
                    Err(_) => break,
                },
                _ = tokio::time::sleep_until(end.into()) => break,
            }
        }
        if Instant::now() >= end {
            break;
        }
        let probe_type = run
            .watcher
            .as_ref()
            .and_then(|_| run.due(&run.probed, run.args.probes_per_sec))
            .map(|n| format!("LoadgenProbe{:08x}No{n}", run.run_id));
        let (export, traces) = run.shop.export(&mut rng, run.args.traces_per_export, |i| {
            if i == 0 {
                if let Some(ty) = &probe_type {
                    return Some(Failure::Probe(ty.clone()));
                }
            }
            let fails = dice.gen_bool(run.args.error_ratio);
            fails.then(|| Failure::Kind(dice.gen_range(0..run.args.exception_kinds)))
        });
        let spans = (traces.len() * run.args.spans_per_trace) as u64;
        let sent = Instant::now();
        if let Some(ty) = &probe_type {
            if let Ok(mut p) = run.probes.lock() {
                p.insert(ty.clone(), sent);
            }
        }
        let outcome = sender.send(&export).await;
        run.tally.sent(spans, sent.elapsed(), &outcome);
        let Ok(Outcome::Accepted { .. }) = outcome else {
            if let Some(ty) = &probe_type {
                if let Ok(mut p) = run.probes.lock() {
                    p.remove(ty);
                }
            }
            continue;
        };
        let failed = traces.iter().filter(|t| t.failure.is_some()).count() as u64;
        run.tally.failing(failed);
        let Some(watcher) = &run.watcher else {
            continue;
        };
        for t in traces.iter().filter(|t| t.failure.is_some()) {
            if run.due(&run.watched, run.args.watch_per_sec).is_none() {
                break;
            }
            let (watcher, run, trace) = (watcher.clone(), run.clone(), t.trace_id.clone());
            watches.push(tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(60);
                tokio::time::sleep_until((sent + run.args.watch_after).into()).await;
                match watcher.until_listed(&trace, sent, deadline).await {
                    Some(d) => run.tally.api_visible(d),
                    None => run.tally.never_listed(),
                }
            }));
        }
    }
    watches
}

impl Run {
    /// Takes the next sample of something wanted `per_sec` times a second, if one is due:
    /// its number.
    fn due(&self, taken: &AtomicU64, per_sec: f64) -> Option<u64> {
        if per_sec <= 0.0 {
            return None;
        }
        let allowed = (self.started.elapsed().as_secs_f64() * per_sec) as u64 + 1;
        taken
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < allowed).then_some(n + 1)
            })
            .ok()
    }
}

/// A line a second on standard error: the run so far.
async fn progress(run: Arc<Run>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        eprintln!("{}", run.tally.progress(run.started.elapsed()));
    }
}
