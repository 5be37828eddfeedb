//! The dual runner: the same Router served by `lambda_http` on AWS Lambda, or on a local port.

use std::net::SocketAddr;

use axum::Router;

/// Serves `router` through the Lambda runtime when `AWS_LAMBDA_RUNTIME_API` is set, otherwise on
/// `BIND_ADDR` (default 127.0.0.1) and `PORT` (default `default_port`) until Ctrl-C or SIGTERM.
pub async fn run(router: Router, default_port: u16) -> anyhow::Result<()> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        // Checked before touching the runtime: lambda_http panics outside Lambda.
        return lambda_http::run(router)
            .await
            .map_err(|e| anyhow::anyhow!("lambda runtime failed: {e}"));
    }
    let port: u16 = crate::config::parsed_or("PORT", default_port)?;
    let host: std::net::IpAddr =
        crate::config::parsed_or("BIND_ADDR", std::net::IpAddr::from([127, 0, 0, 1]))?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {host}:{port}: {e}"))?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    serve(listener, router).await
}

/// Serves on an already bound listener (tests bind port 0) with graceful shutdown.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
    tracing::info!("shutting down");
}
