//! `lifecircle map`: the coverage map of a run as a PNG picture.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use lifecircle::io::AtomicFile;
use lifecircle::io::atomic::FinishedFile;
use lifecircle::report::labels::category_label;
use lifecircle::report::png::{PngOptions, render_png};
use lifecircle::report::{Labels, Lang, MapData};

use super::analyze::AnalyzeArgs;

/// Arguments of `map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    analysis: AnalyzeArgs,
    /// PNG file to write
    #[arg(long, value_name = "FILE")]
    png: PathBuf,
    /// Picture width, pixels (64 to 10000)
    #[arg(long, default_value_t = 1600)]
    width: u32,
    /// Picture height, pixels (64 to 10000)
    #[arg(long, default_value_t = 1200)]
    height: u32,
    /// The area shown: west,south,east,north in degrees [default: the network with a small margin]
    #[arg(long, value_name = "W,S,E,N", value_delimiter = ',', allow_negative_numbers = true)]
    bbox: Vec<f64>,
    /// Language of the title and legend: en or zh
    #[arg(long, default_value = "en")]
    lang: String,
    /// Colour homes by whether they reach this category only (a taxonomy key, e.g. grocery)
    #[arg(long = "colour-by", value_name = "KEY")]
    colour_by: Option<String>,
}

/// Runs `map`: the analysis in memory, then the picture, written atomically.
pub fn run(args: MapArgs) -> Result<()> {
    let quiet = args.analysis.is_quiet();
    let bbox = match args.bbox.as_slice() {
        [] => None,
        &[w, s, e, n] => Some([w, s, e, n]),
        other => bail!("--bbox: expected 4 numbers west,south,east,north, got {}", other.len()),
    };
    let lang: Lang = args.lang.parse().map_err(|e| anyhow::anyhow!("--lang: {e}"))?;
    let mut opts = PngOptions { width_px: args.width, height_px: args.height, bbox, lang, ..PngOptions::default() };
    opts.validate()?;
    if args.analysis.report {
        bail!("--report: `lifecircle map` draws a PNG; use `lifecircle report` for the HTML page");
    }
    if args.analysis.has_out() {
        bail!(
            "--out: `lifecircle map` writes only the picture named by --png; use `lifecircle analyze --out` for the data"
        );
    }
    let is_png = args.png.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        bail!("--png: {}: the map is written as PNG; give a file name ending in .png", args.png.display());
    }
    // Fail before the analysis, naming the flag, when the picture cannot be written there.
    let folder = match args.png.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        bail!("--png: folder {} does not exist", folder.display());
    }
    if args.png.is_dir() {
        bail!("--png: {} is a folder; give a file name", args.png.display());
    }
    let map_opts = args.analysis.map_options();
    let config = args.analysis.into_config()?;
    if let Some(key) = &args.colour_by {
        let Some(c) = config.taxonomy.category_id(key) else {
            let keys: Vec<&str> = config.taxonomy.categories.iter().map(|c| c.key.as_str()).collect();
            bail!("--colour-by: unknown category {key:?} (known: {})", keys.join(", "));
        };
        opts.category = Some(c.idx());
    }
    let analysis = lifecircle::analysis::with_threads(config.threads, || lifecircle::run(&config))??;
    let map = MapData::from_analysis(&analysis, None, &map_opts);
    // A user's taxonomy may name categories in characters the embedded font lacks: say so.
    let mut missing: Vec<char> = map
        .categories
        .iter()
        .flat_map(|c| category_label(c, lang).chars())
        .filter(|&ch| !ch.is_whitespace() && !ch.is_control() && !lifecircle::report::png::font::has_glyph(ch))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let list: String = missing.iter().collect();
        eprintln!(
            "lifecircle: warning: the PNG font has no glyph for {list:?} (category labels); they are drawn as boxes"
        );
    }
    let bytes = render_png(&map, &Labels::builtin(), &opts)?;
    let mut file = AtomicFile::create(&args.png)?;
    file.writer().write_all(&bytes).map_err(|e| file.err(e))?;
    let finished = file.finish()?;
    FinishedFile::commit_all(vec![finished])?;
    super::warn_notes(&analysis.summary.notes);
    if !quiet {
        writeln!(std::io::stdout().lock(), "wrote {}", args.png.display()).context("writing to stdout")?;
    }
    Ok(())
}
