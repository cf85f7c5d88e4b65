//! `assay serve`: the clearinghouse HTTP server (crates/assay-server), and its bootstrap.

use std::io::Write;
use std::sync::Arc;

use clap::Args;
use serde_json::json;

use crate::context::{Ctx, Format, Outcome};
use crate::output::print_json;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Server database: a file path or sqlite:PATH (default: server.db in the workspace), or
    /// a PostgreSQL URL: postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME (no TLS: loopback or
    /// a unix socket, postgres://USER@%2Fsocket%2Fdir/DBNAME).
    #[arg(long, env = "ASSAY_DATABASE")]
    pub database: Option<String>,
    /// Create the first organisation and its admin user, print the admin's API token once,
    /// and exit without serving. Refused when the server has an admin already.
    #[arg(long, value_name = "NAME")]
    pub init_admin: Option<String>,
    /// The first organisation's name (with --init-admin).
    #[arg(long, default_value = "operator", requires = "init_admin")]
    pub organisation: String,
}

/// Server notes (store failures) go to stderr, one line each.
struct StderrLog;

impl assay_core::Reporter for StderrLog {
    fn note(&self, msg: &str) {
        let _ = writeln!(
            std::io::stderr(),
            "assay serve: {}",
            assay_core::quote(msg, 2000)
        );
    }
}

pub fn run(ctx: &Ctx, args: ServeArgs) -> anyhow::Result<Outcome> {
    ctx.require_format("serve", &[Format::Text, Format::Json])?;
    let store = assay_server::open_store(&ctx.workspace, args.database.as_deref())?;
    if let Some(admin) = args.init_admin {
        let (boot, token) =
            assay_server::bootstrap_admin(store.as_ref(), &args.organisation, &admin)?;
        match ctx.format {
            Format::Json => print_json(&json!({
                "organisation": boot.organisation,
                "admin": boot.admin,
                "token": token,
            }))?,
            _ => {
                println!(
                    "Created organisation {} (id {}) and admin {} (id {}).",
                    boot.organisation.name, boot.organisation.id, boot.admin.name, boot.admin.id
                );
                println!("Admin API token (shown only now; store it safely):");
                println!("{token}");
            }
        }
        return Ok(Outcome::Ok);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.addr))?;
        let addr = listener.local_addr()?;
        let mut state = assay_server::AppState::new(store, Arc::new(StderrLog));
        // The workspace's ledger is the server's ledger (review events are signed into it;
        // /api/v1/checkpoint serves it). Without a workspace (a PostgreSQL server run
        // elsewhere) the server keeps none and says so on those endpoints.
        if ctx.workspace.join("assay.db").is_file() {
            state = state.with_ledger(assay_ledger::Ledger::open(&ctx.workspace)?);
        }
        // Uploaded cases are assessed in per-organisation workspaces under the workspace.
        if ctx.workspace.is_dir() {
            state = state.with_case_root(ctx.workspace.join("organisations"));
        }
        // The first line on stdout is the address (tests and scripts read it for port 0).
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
        assay_server::serve(
            listener,
            state,
            assay_server::Limits::default(),
            assay_server::shutdown_signal(),
        )
        .await?;
        anyhow::Ok(())
    })?;
    if !ctx.quiet {
        let _ = writeln!(std::io::stderr(), "assay serve: stopped");
    }
    Ok(Outcome::Ok)
}
