//! `yiwang apikey issue|list|revoke`: the keys of Open311 client apps. A key is
//! printed once, when it is issued; yiwang keeps only its SHA-256.

use crate::config::DataArgs;
use anyhow::{Result, anyhow};
use clap::Subcommand;
use std::process::ExitCode;
use yiwang_core::org::Actor;

#[derive(Subcommand)]
pub enum ApikeyCommand {
    /// Issue a key to a named client app and print it (it cannot be shown again).
    Issue {
        #[command(flatten)]
        data: DataArgs,
        /// The client app, e.g. "区政务App".
        #[arg(long)]
        name: String,
    },
    /// List the keys issued (their ids, apps and dates; never the keys).
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a key by its id: its app's posts are refused from then on.
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        id: i64,
    },
}

pub fn run(cmd: ApikeyCommand) -> Result<ExitCode> {
    // The command line is the administrator at the machine.
    let admin = Actor::System;
    match cmd {
        ApikeyCommand::Issue { data, name } => {
            let (_store, app) = data.existing()?.open_app()?;
            let k = app.issue_api_key(&admin, &name).map_err(|e| anyhow!("{e}"))?;
            eprintln!("issued key {} to {}; it is shown only now:", k.id, k.name);
            println!("{}", k.key);
            Ok(ExitCode::SUCCESS)
        }
        ApikeyCommand::List { data } => {
            let (_store, app) = data.existing()?.open_app()?;
            for k in app.api_keys(&admin).map_err(|e| anyhow!("{e}"))? {
                let state = match k.revoked_at {
                    Some(t) => format!("revoked {}", t.to_rfc3339()),
                    None => "active".into(),
                };
                println!("{}\t{}\tissued {}\t{state}", k.id, k.name, k.created_at.to_rfc3339());
            }
            Ok(ExitCode::SUCCESS)
        }
        ApikeyCommand::Revoke { data, id } => {
            let (_store, app) = data.existing()?.open_app()?;
            match app.revoke_api_key(&admin, id) {
                Ok(()) => {
                    println!("revoked key {id}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(yiwang_app::AppError::NotFound(_)) => {
                    eprintln!("no active key {id}");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(anyhow!("{e}")),
            }
        }
    }
}
