//! One module per command group. Each exposes its clap types and a `run`.

mod assess;
mod eval;
mod evidence;
mod init;
mod keys;
mod log;
pub mod pad;
pub mod rules;
mod serve;
pub mod vuln;

use clap::Subcommand;

use crate::context::{Ctx, Outcome};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The main job: assess a case folder (subject manifest, PAD campaigns, SBOMs, VEX,
    /// descriptions, lab evidence) and write verdicts, a signed dossier, a filing package and a
    /// delivery plan. Exit 1 when a mandatory obligation is unmet or failing.
    Assess(assess::AssessArgs),
    /// Create a workspace: database, blob store and a default Ed25519 signing key.
    Init(init::InitArgs),
    /// Manage this workspace's signing keys.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Manage trusted issuers (labs, manufacturers, developers, reviewers) and their keys.
    #[command(subcommand)]
    Trust(keys::TrustCommand),
    /// Add, list, show and export signed evidence.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Check an exported evidence bundle offline, with public keys alone.
    VerifyBundle(evidence::VerifyBundleArgs),
    /// Verify the log, sign checkpoints, produce inclusion and consistency proofs.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// Presentation attack detection (ISO/IEC 30107-3) metrics, schemes and reports.
    #[command(subcommand)]
    Pad(pad::PadCommand),
    /// Vulnerability advisories, SBOM scans, VEX and remediation deadlines.
    #[command(subcommand)]
    Vuln(vuln::VulnCommand),
    /// Rule packs and the obligations that apply to a product or model per market.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Frontier-model cyber evaluations: task suites, sandboxed runs, scores with confidence.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// The clearinghouse server: HTTP API with organisations, users, tokens and roles.
    Serve(serve::ServeArgs),
}

pub fn run(ctx: &Ctx, command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Assess(args) => assess::run(ctx, args),
        Command::Init(args) => init::run(ctx, args),
        Command::Key(c) => keys::run_key(ctx, c),
        Command::Trust(c) => keys::run_trust(ctx, c),
        Command::Evidence(c) => evidence::run(ctx, c),
        Command::VerifyBundle(args) => evidence::verify_bundle(ctx, args),
        Command::Log(c) => log::run(ctx, c),
        Command::Pad(c) => pad::run(ctx, c),
        Command::Vuln(c) => vuln::run(ctx, c),
        Command::Rules(c) => rules::run(ctx, c),
        Command::Eval(c) => eval::run_cmd(ctx, c),
        Command::Serve(args) => serve::run(ctx, args),
    }
}
