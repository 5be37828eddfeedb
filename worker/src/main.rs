//! `worker`: consumes the job queues until SIGTERM/Ctrl-C (finishing running jobs), or with
//! `--once` processes every version and image waiting in the database and exits (tests, drains).
//! `worker extract <request>` is the bounded child the worker starts to read one file (see
//! `worker::bounded`); it is dispatched before any runtime thread exists, so its memory cap
//! counts only the work.

fn main() {
    worker::bounded::exit_if_child();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    // Inside the runtime: the trace exporter and the EMF metrics flush run on it.
    let result = runtime.block_on(async {
        shared::telemetry::init();
        let result = run(args.iter().any(|a| a == "--once")).await;
        shared::telemetry::shutdown().await;
        result
    });
    if let Err(e) = result {
        eprintln!("worker: {e:#}");
        std::process::exit(1);
    }
}

async fn run(once: bool) -> anyhow::Result<()> {
    let deps = worker::Deps::from_env().await?;
    if once {
        let n = worker::drain_once(&deps).await?;
        println!(
            "processed {n} version(s) and image(s); peak resident memory {} KiB",
            worker::bounded::peak_rss_kib().unwrap_or(0)
        );
        return Ok(());
    }
    worker::run(deps, async {
        shared::runner::shutdown_signal().await;
        Ok(())
    })
    .await
}
