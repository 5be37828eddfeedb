//! A login storm has a fixed memory ceiling (issue 8, item 5). Its own test binary, so the
//! process's resident memory is this test's alone.

use std::time::Duration;

use serde_json::json;
use shared::rate_limit::Limit;
use testkit::{StatusCode, TestOptions, spawn_app_with};

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a memory figure")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_logins_stay_under_a_fixed_memory_ceiling() {
    let mut options = TestOptions::default();
    options.limits.login_per_ip = Limit::new(10_000, Duration::from_secs(60));
    options.limits.login_per_account = Limit::new(10_000, Duration::from_secs(60));
    let app = spawn_app_with(options, |_| axum::Router::new()).await;
    let admin = app.new_theater().await;
    let before = status_kib("VmRSS:");

    let logins = (0..64).map(|_| {
        let app = &app;
        let admin = &admin;
        async move {
            app.call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"email": admin.email, "password": admin.password})),
            )
            .await
            .status
        }
    });
    let statuses = futures::future::join_all(logins).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );

    // The peak over the whole storm, not just what is left afterwards.
    let peak = status_kib("VmHWM:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    let threads = auth::password::hash_threads() as u64;
    // Each running hash holds 19 MiB; allow twice that per hashing thread plus 192 MiB for the
    // requests themselves. Unbounded (one blocking thread per login) this grew by > 1 GiB.
    let ceiling_mib = threads * 2 * 19 + 192;
    eprintln!(
        "64 concurrent logins: RSS before {} MiB, peak {} MiB (+{growth_mib} MiB; ceiling +{ceiling_mib} MiB with {threads} hashing threads)",
        before / 1024,
        peak / 1024
    );
    assert!(
        growth_mib <= ceiling_mib,
        "peak RSS grew by {growth_mib} MiB, above the {ceiling_mib} MiB ceiling"
    );
}
