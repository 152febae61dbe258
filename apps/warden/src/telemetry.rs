//! Logging set-up. Log lines carry ids and codes, never phone numbers, bodies or secrets:
//! the domain types mask themselves in `Debug`, and handlers log reason codes only.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (`WARDEN_LOG`, else `default_filter`) and a panic hook that
/// logs where a panic happened but not its message, which could hold request data.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_env("WARDEN_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (message withheld: it may contain request data)");
    }));
}
