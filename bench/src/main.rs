//! `warden-load`: the load benchmark of the full message path.
//!
//! `fixture` pre-signs the requests; `run` replays each exactly once over keep-alive
//! connections and reports throughput and latency percentiles.

#![allow(clippy::print_stdout, reason = "a CLI tool prints its results")]

mod fixture;
mod run;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "warden-load")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Write pre-signed requests and the gateway environment.
    Fixture(fixture::Args),
    /// Replay a fixture against a running gateway.
    Run(run::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Fixture(args) => fixture::write(&args),
        Cmd::Run(args) => run::run(&args),
    }
}
