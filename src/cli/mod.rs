//! Command-line glue: clap arguments, validation into library configs, exit codes.
//! Exit 0 on success, 2 on bad input or parameters, 1 on an internal failure.

mod analyze;
mod compare;
mod map;
mod site;
mod tiles;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// 15-minute service-circle analysis on OpenStreetMap data.
#[derive(Debug, Parser)]
#[command(name = "lifecircle", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walking time from every home to the nearest grocery, elder canteen, clinic and childcare.
    Analyze(analyze::AnalyzeArgs),
    /// The same, plus every facility's walking service area and each category's coverage area.
    Isochrones(analyze::AnalyzeArgs),
    /// The same, plus a row of statistics per district and the policy targets checked in each.
    Districts(analyze::AnalyzeArgs),
    /// The analysis plus report.html: one self-contained page with the map, legend, summary and policy checks.
    Report(analyze::AnalyzeArgs),
    /// The coverage map as a PNG (legend, scale bar, north arrow, attribution) for documents.
    Map(map::MapArgs),
    /// Where to build the next N facilities of a category to cover the most people.
    Site(site::SiteArgs),
    /// Two runs (two cities, or before and after a plan) side by side, with differences, as Markdown and CSV.
    Compare(compare::CompareArgs),
    /// Cut an extract into tiles with a halo that `analyze --tile` answers exactly, in parallel or apart.
    Prepare(tiles::PrepareArgs),
    /// Merge the summary.json of tile runs into the whole run's summary.
    Merge(tiles::MergeArgs),
}

/// Exit code of an interrupted run (SIGINT or SIGTERM): 128 + SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Runs the CLI and maps errors to exit codes.
pub fn main() -> ExitCode {
    // On SIGINT / SIGTERM: remove this run's temporary files (a commit in
    // progress completes first) and exit 130, leaving no partial output.
    let _ = ctrlc::set_handler(|| {
        let _guard = lifecircle::io::atomic::interrupt();
        eprintln!("lifecircle: interrupted; no output was written");
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Isochrones(mut args) => {
            args.isochrones = true;
            analyze::run(args)
        }
        Command::Districts(mut args) => {
            args.district_command = true;
            analyze::run(args)
        }
        Command::Report(mut args) => {
            args.report = true;
            analyze::run(args)
        }
        Command::Map(args) => map::run(args),
        Command::Site(args) => site::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Prepare(args) => tiles::run_prepare(args),
        Command::Merge(args) => tiles::run_merge(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let library = e.downcast_ref::<lifecircle::Error>();
            if library.is_some_and(|le| matches!(le.kind(), lifecircle::ErrorKind::Interrupted)) {
                eprintln!("lifecircle: interrupted; no output was written");
                return ExitCode::from(EXIT_INTERRUPTED);
            }
            eprintln!("lifecircle: error: {e:#}");
            let input = library.is_none_or(|le| le.is_input_error());
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}

/// Prints the run's notes on stderr, `lifecircle: note: ...` (whatever `--quiet` says).
pub(crate) fn warn_notes(notes: &[String]) {
    let mut err = std::io::stderr().lock();
    for n in notes {
        let _ = writeln!(err, "lifecircle: note: {n}");
    }
}

/// The command and its arguments as given, for the run's manifest.
pub(crate) fn invocation() -> lifecircle::io::manifest::Invocation {
    let mut args = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned());
    let command = args.next().unwrap_or_default();
    lifecircle::io::manifest::Invocation::new(command, args.collect())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
