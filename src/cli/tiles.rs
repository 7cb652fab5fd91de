//! `lifecircle prepare` (an extract cut into exact tiles) and `lifecircle merge`
//! (tile summaries merged into the whole run's).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use lifecircle::analysis::{DEFAULT_MIN_COMPONENT_NODES, DistrictOptions, DistrictSource, PbfSource, with_threads};
use lifecircle::{AnalyzeConfig, Profiles, Taxonomy};

/// Arguments of `prepare`.
#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// OpenStreetMap PBF extract [default: the Liechtenstein extract built into the binary]
    #[arg(long, value_name = "FILE")]
    pbf: Option<PathBuf>,
    /// Side of a tile's core in km
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    tile_km: f64,
    /// The largest walk the tiles answer exactly, minutes (`analyze --tile` searches this far)
    #[arg(long, value_name = "MIN", default_value_t = 15.0, allow_negative_numbers = true)]
    reach_minutes: f64,
    /// Output folder for the tiles and manifest.json
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Walking speed in km/h [default: the profile's, 4.5 for adult]
    #[arg(long, allow_negative_numbers = true)]
    speed_kmh: Option<f64>,
    /// Walking profile from data/profiles.toml: adult, elderly, wheelchair (or peers)
    #[arg(long, default_value = "adult")]
    profile: String,
    /// Service categories: a bundled list by name or a taxonomy TOML file
    #[arg(long, value_name = "NAME|FILE")]
    taxonomy: Option<String>,
    /// Homes and facilities farther than this from any walkable way are unreachable
    #[arg(long, allow_negative_numbers = true, default_value_t = 500.0)]
    max_snap_m: f64,
    /// Keep, besides the largest, every connected component with at least this many junctions
    #[arg(long, default_value_t = DEFAULT_MIN_COMPONENT_NODES)]
    min_component_nodes: usize,
    /// Keep the extract's administrative boundaries at these admin_levels (comma-separated) in the
    /// tiles folder, for tile runs with --admin-level / --levels
    #[arg(long = "admin-level", value_name = "N,...", value_delimiter = ',')]
    admin_levels: Vec<u8>,
    /// Worker threads [default: one per core]
    #[arg(long)]
    threads: Option<usize>,
    /// No progress on stderr and no table on stdout
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `prepare`: the tiles and their manifest, a line per tile on stdout unless `--quiet`.
pub fn run_prepare(args: PrepareArgs) -> Result<()> {
    let pbf = args.pbf.map_or(PbfSource::BuiltIn, PbfSource::File);
    let profile = Profiles::builtin().get(&args.profile)?.clone();
    let mut config = AnalyzeConfig::new(pbf, args.out.clone());
    config.speed_kmh = args.speed_kmh.unwrap_or(profile.speed_kmh);
    config.set_taxonomy(Taxonomy::chosen(args.taxonomy.as_deref())?);
    config.profile = profile;
    config.profile_name = args.profile;
    config.invocation = super::invocation();
    config.max_snap_m = args.max_snap_m;
    config.min_component_nodes = args.min_component_nodes;
    config.reach_minutes = Some(args.reach_minutes);
    config.minutes = vec![args.reach_minutes.clamp(f64::MIN_POSITIVE, 600.0)];
    config.threads = args.threads;
    config.progress = !args.quiet;
    if let Some((finest, coarser)) = args.admin_levels.split_last() {
        let mut districts = DistrictOptions::new(DistrictSource::AdminLevel(*finest));
        districts.coarser = coarser.iter().map(|l| DistrictSource::AdminLevel(*l)).collect();
        config.districts = Some(districts);
    }
    let manifest = with_threads(config.threads, || lifecircle::tile::prepare(&config, args.tile_km, &args.out))??;
    if !args.quiet {
        let mut out = std::io::stdout().lock();
        for t in &manifest.tiles {
            writeln!(
                out,
                "{}: {} homes, {} edges, {} facilities, halo {:.0} m",
                t.id, t.homes, t.edges, t.facilities, t.halo_m
            )?;
        }
        writeln!(
            out,
            "{} tiles ({} cells without homes skipped) in {}",
            manifest.tiles.len(),
            manifest.skipped,
            args.out.display()
        )?;
    }
    Ok(())
}

/// Arguments of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The summary.json of every tile run (or folders holding one)
    #[arg(required = true, value_name = "SUMMARY")]
    summaries: Vec<PathBuf>,
    /// Output folder for the merged summary.json and, when the tiles had them, the district and
    /// H3 tables
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Formats of the district and hexagon layers: any of geojson, parquet (GeoParquet 1.1), fgb
    /// (FlatGeobuf), comma-separated
    #[arg(long, value_name = "LIST", default_value = "geojson")]
    format: String,
    /// Merge only some tiles (or partial merges) into a summary that merges again with the rest
    /// (a country's tiles per province, then the provinces); no tables are written
    #[arg(long)]
    partial: bool,
    /// No warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `merge`: the whole run's summary.json, and its district and H3
/// tables, from the tiles' summaries.
pub fn run_merge(args: MergeArgs) -> Result<()> {
    let formats = lifecircle::output::Format::parse_list(&args.format)?;
    let paths: Vec<PathBuf> =
        args.summaries.iter().map(|p| if p.is_dir() { p.join("summary.json") } else { p.clone() }).collect();
    let quiet = args.quiet;
    lifecircle::tile::merge::write_merged(&paths, &args.out, &formats, &super::invocation(), args.partial, |w| {
        if !quiet {
            eprintln!("lifecircle: warning: {w}");
        }
    })?;
    Ok(())
}
