#!/usr/bin/env bash
# Side-by-side comparison with the peer tools (scipy, pandana, ...) through the
# peer harness in ../shared/peers (or $PEERS_DIR) and its lifecircle adapter.
#
#   benches/compare_peers.sh                 # Liechtenstein: scipy, pandana, lifecircle (3 reps)
#   DATASETS=scale-6regions TOOLS="scipy lifecircle" benches/compare_peers.sh
#   MODE=agreement benches/compare_peers.sh  # lifecircle with the harness's own definitions
#
# MODE=default runs lifecircle with its own rules (edge snapping with access
# walk, residential homes, the built-in taxonomy): the timing comparison.
# MODE=agreement runs it with data/taxonomy-peers.toml, --profile peers,
# --min-component-nodes 1 and --snap vertex, which mirror the harness's
# definitions: the per-home agreement table should then show ~100 %.
# The report is printed and kept in $PEERS_WORK/out/tables.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS_DIR:-$here/../shared/peers}
[ -x "$peers/run_all.sh" ] || { echo "peer harness not found at $peers (set PEERS_DIR)" >&2; exit 2; }
export PEERS_WORK=${PEERS_WORK:-/tmp/lifecircle-peers}
export REPS=${REPS:-3}
export TOOLS=${TOOLS:-"scipy pandana lifecircle"}
export DATASETS=${DATASETS:-liechtenstein-2024-03}
(cd "$here" && cargo build --release --quiet)
export LIFECIRCLE_BIN=$here/target/release/lifecircle
case "${MODE:-default}" in
  default) export LIFECIRCLE_ARGS=${LIFECIRCLE_ARGS:-} ;;
  agreement)
    export LIFECIRCLE_ARGS="--taxonomy $here/data/taxonomy-peers.toml --profile peers --min-component-nodes 1 --snap vertex" ;;
  *) echo "MODE must be default or agreement" >&2; exit 2 ;;
esac
cd "$peers"
./run_all.sh
