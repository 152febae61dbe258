//! Logging set-up. Log lines carry ids and codes, never phone numbers, bodies or secrets:
//! the domain types mask themselves in `Debug`, and handlers log reason codes only.

use tracing_subscriber::EnvFilter;

/// Libraries whose verbose levels record data Warden must not log, and the most they may say:
/// sea-orm's TRACE spans carry every SQL statement with its bound values (task titles) and the
/// connection options (a database URL with its password).
const LIBRARY_CAPS: &[&str] = &["sea_orm=info", "sea_orm_migration=info", "sqlx=warn"];

/// The log filter for `directives` (the `WARDEN_LOG` syntax), with the library caps applied on
/// top, so not even `WARDEN_LOG=trace` lifts them.
pub fn filter(directives: &str) -> EnvFilter {
    let base = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    LIBRARY_CAPS.iter().fold(base, |f, cap| match cap.parse() {
        Ok(directive) => f.add_directive(directive),
        Err(_) => f,
    })
}

/// Installs the global subscriber (`WARDEN_LOG`, else `default_filter`) and a panic hook that
/// logs where a panic happened but not its message, which could hold request data.
pub fn init(default_filter: &str) {
    let directives = std::env::var("WARDEN_LOG").unwrap_or_else(|_| default_filter.to_owned());
    let filter = filter(&directives);
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
