//! `yiwang`: the one binary. Parses the command line (with the configuration file,
//! `settings.rs`), sets up tracing and hands each subcommand to its module.

mod apikey;
mod backup;
mod bench;
mod bench_application;
mod bench_feeds;
mod bench_policy;
mod bench_scale;
mod bench_text;
mod command;
mod config;
mod record;
mod settings;
mod stream;

use clap::{CommandFactory, FromArgMatches};
use command::{Cli, LogFormat};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(&cli.log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "error: --log (YIWANG_LOG) {:?} is not a filter such as info or warn,yiwang_web=debug: {e}",
                cli.log
            );
            return std::process::ExitCode::from(2);
        }
    };
    // --log-format json: one JSON object per line, with the request's span (its id,
    // method and path) on every line logged while serving it.
    if cli.log_format == LogFormat::Json {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    if let Some(file) = &cli.config {
        tracing::debug!(file = %file.display(), "settings read from the configuration file");
    }
    match command::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The command line, over the configuration file's settings. clap's own errors (and
/// `--help`) exit as clap does; the file's are returned.
fn parse() -> anyhow::Result<Cli> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cmd = Cli::command();
    if let Some(file) = settings::config_path(&args)? {
        cmd = settings::apply_file(cmd, &file)?;
    }
    let matches = cmd.try_get_matches_from(args).unwrap_or_else(|e| e.exit());
    Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}
