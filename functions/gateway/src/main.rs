//! `gateway`: the whole system on one port. The one command a new user runs.

use gateway::{GatewayConfig, build};

fn main() {
    // The in-process worker reads untrusted files in bounded children of this very binary
    // (`gateway extract <request>`, see `worker::bounded`): dispatched before any runtime thread
    // exists, so the child's memory cap counts only the work.
    worker::bounded::exit_if_child();
    // `gateway openapi`: the API's OpenAPI document on stdout, with no server and no database
    // (the web front end's types are generated from it, see web/ci).
    if std::env::args().nth(1).as_deref() == Some("openapi") {
        let doc = gateway::openapi();
        match serde_json::to_string_pretty(&doc) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("gateway openapi: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    // Inside the runtime: the trace exporter runs on it.
    let result = runtime.block_on(async {
        shared::telemetry::init();
        let result = run().await;
        shared::telemetry::shutdown().await;
        result
    });
    if let Err(e) = result {
        eprintln!("gateway: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let config = GatewayConfig::from_env()?;
    let bind = config.bind;
    let data_dir = config.data_dir.clone();
    let gateway = build(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}; set PORT"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let login_file = std::path::absolute(data_dir.join("demo-login.txt"))?;
    // The banner comes last, after every startup log line, so it is what a person sees.
    let mut banner = vec![
        String::new(),
        "  Theatre Management System is running".to_string(),
        format!("  API:        {url}/api/v1"),
        format!("  API docs:   {url}/docs   (OpenAPI JSON: {url}/api/openapi.json)"),
        format!("  S3 store:   {}", gateway.s3_endpoint),
    ];
    if gateway::web::dist_dir().join("index.html").is_file() {
        banner.insert(2, format!("  Web UI:     {url}/"));
    }
    if gateway.worker.is_some() {
        banner.push("  Worker:     running in this process".to_string());
    }
    banner.push(String::new());
    if let Some((email, password)) = &gateway.demo_login {
        banner.push("  A demo theatre was created. Sign in as its administrator:".to_string());
        banner.push(format!("    email:    {email}"));
        banner.push(format!("    password: {password}"));
        banner.push(format!(
            "  (saved, readable only by you, in {})",
            login_file.display()
        ));
        if let Some(seeded) = &gateway.demo_seed {
            banner.push(format!(
                "  It has {} items, {} documents, {} productions and {} more accounts",
                seeded.items, seeded.documents, seeded.performances, seeded.users
            ));
            banner.push(
                "  (technical director, props head, stage manager, ...: see that file)".to_string(),
            );
        }
    } else if login_file.exists() {
        banner.push(format!("  Demo sign-in: {}", login_file.display()));
    }
    banner.push(String::new());
    println!("{}", banner.join("\n"));
    let served = shared::runner::serve(listener, gateway.router).await;
    if let Some(worker) = gateway.worker {
        worker.shutdown().await?;
    }
    served
}
