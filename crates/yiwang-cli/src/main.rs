//! `yiwang`: the one binary. Sets up tracing, parses the command line and hands each
//! subcommand to its module.

mod apikey;
mod backup;
mod bench;
mod bench_scale;
mod bench_text;
mod command;
mod config;
mod record;

use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("YIWANG_LOG").unwrap_or_else(|_| "info".into());
    // YIWANG_LOG_FORMAT=json: one JSON object per line, with the request's span (its
    // id, method and path) on every line logged while serving it.
    if std::env::var("YIWANG_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    let cli = command::Cli::parse();
    match command::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
