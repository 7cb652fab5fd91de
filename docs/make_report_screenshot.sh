#!/usr/bin/env bash
# The README's screenshot of the report: the project's own `lifecircle report`
# on the bundled data, opened in headless Chromium and captured.
#   bash docs/make_report_screenshot.sh            -> docs/report.png (English)
#   LANG_FRAGMENT=zh bash docs/make_report_screenshot.sh  -> docs/report-zh.png
set -euo pipefail
cd "$(dirname "$0")/.."
lang="${LANG_FRAGMENT:-en}"
out="$(mktemp -d)"
cargo run --release --quiet -- report --quiet --isochrones --admin-level 8 --out "$out"
chromium="${LIFECIRCLE_CHROMIUM:-$(command -v chromium || command -v chromium-browser)}"
png="docs/report.png"
[ "$lang" = en ] || png="docs/report-$lang.png"
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/chromium" --hide-scrollbars --window-size=1400,900 \
  --virtual-time-budget=10000 --screenshot="$png" "file://$out/report.html#lang=$lang" 2>/dev/null
echo "wrote $png (report: $out/report.html)"
