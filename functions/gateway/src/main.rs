//! `gateway`: the whole system on one port. The one command a new user runs.

use gateway::{GatewayConfig, build};

#[tokio::main]
async fn main() {
    shared::telemetry::init();
    if let Err(e) = run().await {
        eprintln!("gateway: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let config = GatewayConfig::from_env()?;
    let bind = config.bind;
    let gateway = build(config).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}; set PORT"))?;
    let url = format!("http://{}", listener.local_addr()?);
    println!();
    println!("  Theatre Management System is running");
    println!("  API:        {url}/api/v1");
    println!("  API docs:   {url}/docs   (OpenAPI: {url}/api/openapi.json)");
    println!("  S3 store:   {}", gateway.s3_endpoint);
    if let Some((email, password)) = &gateway.demo_login {
        println!();
        println!("  A demo theatre was created. Sign in as its administrator:");
        println!("    email:    {email}");
        println!("    password: {password}");
        println!("  (also saved in the data directory as demo-login.txt)");
        if let Some(seeded) = &gateway.demo_seed {
            println!(
                "  It has {} items, {} documents, {} productions and {} more accounts",
                seeded.items, seeded.documents, seeded.performances, seeded.users
            );
            println!("  (technical director, props head, stage manager, ...: see that file).");
        }
    }
    if gateway.worker.is_some() {
        println!("  Worker:     running in this process");
    }
    println!();
    let served = shared::runner::serve(listener, gateway.router).await;
    if let Some(worker) = gateway.worker {
        worker.shutdown().await?;
    }
    served
}
