//! `worker`: consumes the job queues until SIGTERM/Ctrl-C (finishing running jobs), or with
//! `--once` processes every version and image waiting in the database and exits (tests, drains).

#[tokio::main]
async fn main() {
    shared::telemetry::init();
    if let Err(e) = run().await {
        eprintln!("worker: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let once = std::env::args().skip(1).any(|a| a == "--once");
    let deps = worker::Deps::from_env().await?;
    if once {
        let n = worker::drain_once(&deps).await?;
        println!("processed {n} version(s) and image(s)");
        return Ok(());
    }
    worker::run(deps, async {
        shared::runner::shutdown_signal().await;
        Ok(())
    })
    .await
}
