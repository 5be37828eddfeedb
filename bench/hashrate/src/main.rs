//! Raw argon2id verifications per second on this machine, the limit the login endpoint is
//! compared with (BENCHMARKS.md, "Password hashing").
//!
//! ```sh
//! hashrate [--threads N] [--seconds S] [PHC]
//! ```
//!
//! With a PHC string (a `users.password_hash` of the benchmark database) the parameters are that
//! hash's, so they are exactly the ones the auth function stores; without one, a hash is made
//! with argon2's defaults (19 MiB, 2 passes, 1 lane: the same OWASP parameters). Each of N
//! threads verifies the wrong password against the hash for S seconds (a wrong and a right
//! password cost the same); the total rate is printed as `verifications_per_s=…`, and the CPU
//! time a verification took as `cpu_ms_per_verification=…` (what holds on a shared machine).

use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

fn main() {
    let mut threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut seconds = 5.0_f64;
    let mut phc = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = number(args.next(), "--threads"),
            "--seconds" => seconds = number(args.next(), "--seconds"),
            _ if arg.starts_with("$argon2") => phc = Some(arg),
            _ => usage(),
        }
    }
    let phc = phc.unwrap_or_else(|| {
        Argon2::default()
            .hash_password(b"hashrate")
            .expect("hashing with the default parameters")
            .to_string()
    });
    let parsed = PasswordHash::new(&phc).unwrap_or_else(|e| {
        eprintln!("not a PHC string: {e}");
        std::process::exit(2)
    });
    let window = Duration::from_secs_f64(seconds);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let verified: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while started.elapsed() < window {
                        let _ = Argon2::default().verify_password(b"not the password", &parsed);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    println!(
        "params={} threads={threads} verifications={verified} seconds={elapsed:.2} verifications_per_s={:.2} cpu_ms_per_verification={}",
        parsed.params,
        verified as f64 / elapsed,
        cpu.map_or("unknown".into(), |c| format!(
            "{:.1}",
            c * 1000.0 / verified.max(1) as f64
        )),
    );
}

/// CPU time (user + system) of this process so far, from /proc (Linux): on a shared machine
/// the CPU time a verification takes holds where its wall time does not.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ: 100 on every Linux this runs on.
    Some((utime + stime) / 100.0)
}

fn number<T: std::str::FromStr>(value: Option<String>, flag: &str) -> T {
    value.and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        eprintln!("{flag} needs a number");
        usage()
    })
}

fn usage() -> ! {
    eprintln!("usage: hashrate [--threads N] [--seconds S] [PHC]");
    std::process::exit(2)
}
