//! A guard against a lost wake-up in apalis-core 1.0.0 that parks a worker for good.
//!
//! Its backend state machine only looks at the heartbeat timer while no fetch is in flight. When
//! the timer fires during a slow fetch (a busy machine, right after a task completed) and that
//! fetch comes back empty, the worker registers a waker that only a completing task or a
//! shutdown ever wakes, and nothing is left to wake it: jobs pile up in Redis while the worker
//! sits idle (found by `back_to_back_jobs_never_stall_the_worker` in `tests/posters.rs`, which
//! stalled within 10 jobs under load).
//!
//! Every worker reports its heartbeats here; a worker that is running, has no task and has not
//! heartbeated for several intervals is paused and resumed, which is apalis's public way of
//! waking its task. A healthy worker is never touched.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apalis::prelude::{Event, WorkerContext};

/// What one worker last said.
#[derive(Clone, Default)]
pub struct Liveness {
    inner: Arc<Mutex<Seen>>,
}

#[derive(Default)]
struct Seen {
    context: Option<WorkerContext>,
    last_beat: Option<Instant>,
}

impl Liveness {
    /// The `on_event` hook of the worker.
    pub fn observe(&self, context: &WorkerContext, event: &Event) {
        if !matches!(event, Event::Start | Event::HeartBeat) {
            return;
        }
        if let Ok(mut seen) = self.inner.lock() {
            seen.context = Some(context.clone());
            seen.last_beat = Some(Instant::now());
        }
    }

    /// Wakes the worker if it is idle and silent for longer than `quiet`; returns whether it
    /// did.
    pub fn nudge_if_stalled(&self, quiet: Duration) -> bool {
        let Ok(mut seen) = self.inner.lock() else {
            return false;
        };
        let stalled = seen.last_beat.is_some_and(|t| t.elapsed() > quiet);
        let Some(context) = seen.context.as_ref().filter(|_| stalled) else {
            return false;
        };
        if !context.is_running() || context.task_count() > 0 || context.is_shutting_down() {
            return false;
        }
        if context.pause().is_err() {
            return false;
        }
        let _ = context.resume();
        // Count the nudge as a beat: the next one is due a full `quiet` later.
        seen.last_beat = Some(Instant::now());
        true
    }

    /// Checks every `every` until dropped (run it beside the monitor).
    pub async fn watch(self, name: &'static str, every: Duration, quiet: Duration) {
        loop {
            tokio::time::sleep(every).await;
            if self.nudge_if_stalled(quiet) {
                tracing::warn!(worker = name, "woke a stalled queue consumer");
            }
        }
    }
}
