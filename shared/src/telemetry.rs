//! Logs through `tracing`: human-readable lines on a terminal, JSON otherwise (a service's logs
//! go to a collector). `LOG_FORMAT=json` or `LOG_FORMAT=pretty` overrides the choice; `RUST_LOG`
//! filters (default `info` without the libraries' chatter: refinery's file paths, PostgreSQL
//! NOTICEs, the HTTP stack).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The default filter: our INFO, the libraries' warnings.
pub const DEFAULT_FILTER: &str = "info,tower_http=warn,aws_config=warn,aws_smithy_runtime=warn,\
hyper=warn,refinery_core=warn,refinery=warn,tokio_postgres=warn,apalis=warn,apalis_redis=warn,s3s=off,s3s_fs=warn";

/// Whether lines are for a person: `LOG_FORMAT` decides when set, else whether stderr is a TTY.
fn human(format: Option<&str>, stderr_is_tty: bool) -> bool {
    match format {
        Some("json") => false,
        Some("pretty") | Some("text") => true,
        _ => stderr_is_tty,
    }
}

/// Installs the global subscriber once; later calls do nothing.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let format = std::env::var("LOG_FORMAT").ok();
    let pretty = human(format.as_deref(), std::io::stderr().is_terminal());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if pretty {
        builder.compact().with_target(false).try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    };
}

/// Logs for tests: only when `TEST_LOG` is set, so test output stays readable.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_gets_lines_a_pipe_gets_json_unless_told() {
        assert!(human(None, true));
        assert!(!human(None, false));
        assert!(!human(Some("json"), true));
        assert!(human(Some("pretty"), false));
    }

    #[test]
    fn the_default_filter_parses() {
        assert!(EnvFilter::try_new(DEFAULT_FILTER).is_ok());
    }
}
