#!/usr/bin/env bash
# Fuzz lifecircle's readers with cargo-fuzz (libFuzzer), one target after the other.
#
#   scripts/fuzz.sh                      # every target, FUZZ_SECONDS (600) each
#   FUZZ_SECONDS=60 scripts/fuzz.sh pbf points
#
# Not run in CI: it takes FUZZ_SECONDS per target on one core. Needs
# `cargo install cargo-fuzz`; builds on the stable toolchain through
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly-only flags).
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 600)
#   FUZZ_SANITIZER  none (default: the library forbids unsafe code, and
#                   without AddressSanitizer it runs about twice as fast) or address
#   FUZZ_RSS_MB     libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_EXTRA      more libFuzzer flags, e.g. "-seed=1"
#
# Per target: the working corpus is fuzz/corpus/<target>/ (seeded from
# fuzz/seeds/<target>/ and the files under data/ and tests/fixtures listed
# below), crashes go to fuzz/artifacts/<target>/, the log to
# fuzz/logs/<target>.log; all three are ignored by git. A summary table is
# printed at the end; the exit status is 1 when any target crashed.
#
# A crash is replayed with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none <target> fuzz/artifacts/<target>/<file>
# and becomes a test in tests/suite/fuzz_regressions.rs (see fuzz/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_TARGETS=(points districts taxonomy_toml targets_toml profiles_toml tiers_toml pbf wire)
SECONDS_PER_TARGET="${FUZZ_SECONDS:-600}"
SANITIZER="${FUZZ_SANITIZER:-none}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
read -r -a EXTRA <<<"${FUZZ_EXTRA:-}"
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi
export RUSTC_BOOTSTRAP=1
# The PBF reader decodes blobs on rayon: one thread keeps the run on one core.
export RAYON_NUM_THREADS=1

# Seed files from the repository, per target (globs).
seed_files() {
    case "$1" in
    points)
        ls tests/fixtures/points/*.{csv,tsv,geojson} tests/fixtures/userdata/*.{csv,geojson} \
            data/examples/*.csv 2>/dev/null
        ;;
    districts) ls tests/fixtures/points/*.geojson tests/fixtures/userdata/*.geojson 2>/dev/null ;;
    taxonomy_toml) ls data/taxonomy*.toml ;;
    targets_toml) ls data/targets/*.toml ;;
    profiles_toml) ls data/profiles.toml ;;
    tiers_toml) ls data/tiers.toml ;;
    pbf) ls tests/fixtures/*.osm.pbf ;;
    esac
}

max_len() {
    case "$1" in
    pbf | wire) echo 1048576 ;;
    *) echo 65536 ;;
    esac
}

dict() {
    case "$1" in
    points)
        cat fuzz/dict/csv.dict fuzz/dict/geojson.dict >fuzz/corpus/points.dict
        echo fuzz/corpus/points.dict
        ;;
    districts) echo fuzz/dict/geojson.dict ;;
    pbf | wire) echo fuzz/dict/pbf.dict ;;
    *) echo fuzz/dict/toml.dict ;;
    esac
}

mkdir -p fuzz/corpus fuzz/logs
echo "== building fuzz targets (sanitizer: $SANITIZER)"
cargo fuzz build -O -a -s "$SANITIZER"

if [[ " ${TARGETS[*]} " == *" pbf "* ]]; then
    echo "== PBF seeds (raw blobs) from tests/fixtures"
    (cd fuzz && cargo run --quiet --release --example pbf_seeds -- corpus/pbf-generated)
fi

if [[ " ${TARGETS[*]} " == *" wire "* ]]; then
    echo "== wire seeds (inflated blocks) from tests/fixtures"
    (cd fuzz && cargo run --quiet --release --example wire_seeds -- corpus/wire-generated)
fi

SUMMARY=()
FAILED=0
for t in "${TARGETS[@]}"; do
    corpus="fuzz/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    log="fuzz/logs/$t.log"
    mkdir -p "$corpus" "$artifacts"
    cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
    for f in $(seed_files "$t"); do cp -n "$f" "$corpus"/; done
    if [ "$t" = pbf ]; then cp -n fuzz/corpus/pbf-generated/* "$corpus"/; fi
    if [ "$t" = wire ]; then cp -n fuzz/corpus/wire-generated/* "$corpus"/; fi
    before=$(find "$artifacts" -type f | wc -l)
    echo "== $t: ${SECONDS_PER_TARGET}s, corpus $(find "$corpus" -type f | wc -l) files, log $log"
    status=0
    cargo fuzz run -O -a -s "$SANITIZER" "$t" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" -max_len="$(max_len "$t")" \
        -timeout=10 -dict="$(dict "$t")" -print_final_stats=1 "${EXTRA[@]}" >"$log" 2>&1 || status=$?
    after=$(find "$artifacts" -type f | wc -l)
    crashes=$((after - before))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    files=$(find "$corpus" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        FAILED=1
        echo "   CRASH (exit $status):"
        grep -a -m3 -E -A1 'panicked at|ERROR: libFuzzer|ALARM: working' "$log" | sed 's/^/   /' || true
        grep -a -o 'Test unit written to .*' "$log" | sed 's/^/   /' || true
    fi
    SUMMARY+=("$(printf '%-14s %6s %12s %8s %6s %7s %7s %7s' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" \
        "${rate:-?}" "${cov:-?}" "$files" "${rss:-?}" "$crashes")")
done

echo
printf '%-14s %6s %12s %8s %6s %7s %7s %7s\n' target seconds execs exec/s cov corpus rss_mb crashes
printf '%s\n' "${SUMMARY[@]}"
exit "$FAILED"
