//! `lifecircle compare`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use lifecircle::district::compare::{compare, default_labels, load_run, run_file};
use lifecircle::io::OutputDir;
use lifecircle::io::manifest::RunManifest;

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run A: an `analyze` output folder, its summary.json, or a districts.csv
    #[arg(value_name = "A")]
    a: PathBuf,
    /// Run B: the same kinds as A
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Output folder for compare.md and compare.csv
    #[arg(long, value_name = "DIR", default_value = "compare")]
    out: PathBuf,
    /// Names of the two runs in the table [default: the folder or file names]
    #[arg(long, value_name = "NAME_A,NAME_B", value_delimiter = ',')]
    labels: Option<Vec<String>>,
    /// Do not print the Markdown table on stdout
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `compare`.
pub fn run(args: CompareArgs) -> Result<()> {
    let labels = match &args.labels {
        Some(l) if l.len() == 2 && l.iter().all(|s| !s.trim().is_empty()) => [l[0].trim().into(), l[1].trim().into()],
        Some(_) => anyhow::bail!("--labels: give two non-empty names, NAME_A,NAME_B"),
        None => default_labels(&args.a, &args.b),
    };
    let out = OutputDir::prepare(&args.out)?;
    let a = load_run(&args.a)?;
    let b = load_run(&args.b)?;
    let comparison = compare(&a, &b);
    let labels = [labels[0].as_str(), labels[1].as_str()];
    let mut manifest = RunManifest::new(&super::invocation());
    manifest.add_input("run_a", &run_file(&args.a)?)?;
    manifest.add_input("run_b", &run_file(&args.b)?)?;
    comparison.write(&out, labels, manifest)?;
    if !args.quiet {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(comparison.to_markdown(labels).as_bytes()).context("writing the comparison")?;
        stdout.flush().context("writing the comparison")?;
    }
    Ok(())
}
