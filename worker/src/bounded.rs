//! Reading untrusted files under hard limits. Text extraction (`pdf_extract`, zipped XML) and
//! thumbnails run in a child process of the `worker` binary (`worker extract …`) whose address
//! space is capped with `RLIMIT_AS` (the per-job memory budget) and which is killed at the
//! deadline: a thread cannot be stopped, a process can. The parent passes the task as
//! arguments and reads one JSON reply from the child's stdout.
//!
//! Worker memory is then bounded by configuration: `concurrency` × the per-job budget for
//! document jobs (each runs at most one child at a time) plus `poster_concurrency` × the
//! decoder budget of posters, plus the process itself (streaming, constant).
//!
//! Without the binary (a process that embeds the worker and has no `worker` next to it), the
//! same code runs in-process: the archive, pixel and decoder limits still hold, the memory cap
//! and the deadline do not (a warning says so at start).

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use crate::extract::{ExtractLimits, Failure, MAX_TEXT_CHARS, extract_text};
use crate::preview::thumbnail;
use crate::variants::ImageLimits;

/// The first argument that makes the `worker` binary run one task and exit.
pub const CHILD_ARG: &str = "extract";

/// One task for a child.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Task {
    /// The text of the file, of sniffed type `mime`.
    Text { mime: String },
    /// A PNG thumbnail of the image, written to `out`.
    Thumbnail { out: PathBuf },
}

/// Everything a child needs (one JSON argument).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Request {
    task: Task,
    input: PathBuf,
    limits: ExtractLimits,
    image_limits: ImageLimits,
}

/// The child's answer: text (for [`Task::Text`]) or why not.
type Reply = Result<Option<String>, Failure>;

/// Runs `task` on the file at `input`: in a child process of `program` when there is one,
/// else in-process on a blocking thread.
pub async fn run(
    program: Option<&Path>,
    task: Task,
    input: &Path,
    limits: &ExtractLimits,
    image_limits: &ImageLimits,
) -> Reply {
    let request = Request {
        task,
        input: input.to_path_buf(),
        limits: *limits,
        image_limits: *image_limits,
    };
    match program {
        Some(program) => in_child(program, &request).await,
        None => tokio::task::spawn_blocking(move || perform(&request))
            .await
            .unwrap_or_else(|_| Err(Failure::Unreadable("the extractor panicked".into()))),
    }
}

/// Does the work (in the child, or in-process).
fn perform(request: &Request) -> Reply {
    match &request.task {
        Task::Text { mime } => extract_text(&request.input, mime, &request.limits),
        Task::Thumbnail { out } => {
            let png = thumbnail(&request.input, &request.image_limits)?;
            std::fs::write(out, png).map_err(Failure::unreadable)?;
            Ok(None)
        }
    }
}

/// Largest reply read from a child: the capped text, JSON-escaped.
const MAX_REPLY_BYTES: u64 = (MAX_TEXT_CHARS * 4 * 2 + 64 * 1024) as u64;

async fn in_child(program: &Path, request: &Request) -> Reply {
    let arg = serde_json::to_string(request).map_err(Failure::unreadable)?;
    let mut child = tokio::process::Command::new(program)
        .arg(CHILD_ARG)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::Unreadable(format!("starting the extractor: {e}")))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let deadline = request.limits.deadline;
    let finished = tokio::time::timeout(deadline, async {
        let mut reply = Vec::new();
        let read = (&mut stdout)
            .take(MAX_REPLY_BYTES)
            .read_to_end(&mut reply)
            .await;
        let status = child.wait().await;
        (read.map(|_| reply), status)
    })
    .await;
    let (reply, status) = match finished {
        Ok((Ok(reply), Ok(status))) => (reply, status),
        Ok((read, status)) => {
            let _ = child.kill().await;
            return Err(Failure::Unreadable(format!(
                "talking to the extractor: {:?} {:?}",
                read.err(),
                status.err()
            )));
        }
        Err(_) => {
            tracing::warn!(pid = ?child.id(), ?deadline, "extraction killed at its deadline");
            // Kills and reaps the child: nothing of the work is left running.
            let _ = child.kill().await;
            return Err(Failure::Refused(format!(
                "reading the file took longer than {} s; it may be damaged or built to exhaust the server",
                deadline.as_secs().max(1)
            )));
        }
    };
    if status.success() {
        return serde_json::from_slice(&reply)
            .unwrap_or_else(|e| Err(Failure::Unreadable(format!("extractor reply: {e}"))));
    }
    Err(ended_badly(status, &request.limits))
}

/// What a child's abnormal end means. Over its address-space cap an allocation fails and the
/// Rust runtime aborts (SIGABRT; SIGSEGV when a stack cannot grow); over its CPU cap the
/// kernel sends SIGXCPU/SIGKILL.
fn ended_badly(status: ExitStatus, limits: &ExtractLimits) -> Failure {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(libc::SIGABRT) | Some(libc::SIGSEGV) | Some(libc::SIGBUS) => {
            Failure::Refused(format!(
                "reading the file needs more than {} MB of memory; it may be damaged or built to exhaust the server",
                limits.memory_bytes / (1024 * 1024)
            ))
        }
        Some(libc::SIGXCPU) | Some(libc::SIGKILL) => Failure::Refused(format!(
            "reading the file took longer than {} s; it may be damaged or built to exhaust the server",
            limits.deadline.as_secs().max(1)
        )),
        _ => Failure::Unreadable(format!("the extractor ended with {status}")),
    }
}

/// Runs the child's side and exits when this process was started as a child (`<binary> extract
/// <request>`); returns otherwise. Call it first in `main`, before any runtime thread exists, so
/// the child's memory cap counts only the work. Both `worker` and `gateway` do.
pub fn exit_if_child() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [first, request] = args.as_slice()
        && first == CHILD_ARG
    {
        std::process::exit(child_main(request));
    }
}

/// The child's side: `worker extract <request JSON>`. Caps its own address space and CPU time
/// before reading anything, does the task, prints the reply. Returns the exit code.
pub fn child_main(arg: &str) -> i32 {
    let request: Request = match serde_json::from_str(arg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("worker extract: bad request: {e}");
            return 2;
        }
    };
    if let Err(e) = limit_self(&request.limits) {
        eprintln!("worker extract: cannot set resource limits: {e}");
        return 2;
    }
    let reply = perform(&request);
    match serde_json::to_writer(std::io::stdout().lock(), &reply) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("worker extract: writing the reply: {e}");
            2
        }
    }
}

/// `RLIMIT_AS` = the memory budget; `RLIMIT_CPU` = the deadline plus a second, a backstop in
/// case the parent dies before it can kill this process.
fn limit_self(limits: &ExtractLimits) -> std::io::Result<()> {
    let cpu = limits.deadline.as_secs() + 1;
    for (resource, value) in [
        (libc::RLIMIT_AS, limits.memory_bytes),
        (libc::RLIMIT_CPU, cpu),
    ] {
        let limit = libc::rlimit {
            rlim_cur: value as libc::rlim_t,
            rlim_max: value as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct we pass and changes only this process's limits.
        if unsafe { libc::setrlimit(resource, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The program used for children: `WORKER_EXTRACTOR` if set, else this executable when it is
/// the `worker` or the `gateway` binary (both dispatch [`CHILD_ARG`] before anything else), else
/// a `worker` binary next to it. `None` (a test binary embedding the worker): in-process.
pub fn discover() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WORKER_EXTRACTOR") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    if exe
        .file_stem()
        .is_some_and(|s| s == "worker" || s == "gateway")
    {
        return Some(exe);
    }
    let sibling = exe.with_file_name("worker");
    sibling.is_file().then_some(sibling)
}

/// This process's peak resident set (`VmHWM`), in KiB (reported by `worker --once`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
