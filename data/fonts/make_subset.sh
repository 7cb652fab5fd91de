#!/usr/bin/env bash
# Rebuilds data/fonts/NotoSansSC-lifecircle-subset.otf, the font the PNG maps
# embed (src/report/png/font.rs), from Noto Sans CJK SC Regular.
#
# Needs: Debian's fonts-noto-cjk (apt-get install -y fonts-noto-cjk) and
# fonttools (pip install fonttools==4.68.0). Run from anywhere:
#   bash data/fonts/make_subset.sh
# Rerun it whenever a label in data/report/labels.json or a category label in
# data/taxonomy*.toml or data/taxonomies/*.toml gains a character (a test
# fails until then).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="${NOTO_CJK_TTC:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}"
out="$here/NotoSansSC-lifecircle-subset.otf"
# Face 2 of the collection is Noto Sans CJK SC (0 JP, 1 KR, 2 SC, 3 TC, 4 HK).
face=2

if [ ! -f "$src" ]; then
  echo "missing $src: apt-get install -y fonts-noto-cjk" >&2
  exit 1
fi
command -v pyftsubset >/dev/null || { echo "missing pyftsubset: pip install fonttools" >&2; exit 1; }

chars="$(mktemp)"
trap 'rm -f "$chars"' EXIT
python3 - "$root" > "$chars" <<'PY'
import json, sys, tomllib
root = sys.argv[1]
text = set()
# Printable ASCII, Latin-1 and a few typographic marks.
text.update(chr(c) for c in range(0x20, 0x7F))
text.update(chr(c) for c in range(0xA0, 0x100))
text.update("©–—‘’“”…·•×−≤≥²³°")
# Drawn by the map itself: the north arrow's label, full-width punctuation.
text.update("北（），：；。、／")
labels = json.load(open(f"{root}/data/report/labels.json", encoding="utf-8"))
for table in labels.values():
    for value in table.values():
        text.update(value)
import glob
for path in [f"{root}/data/taxonomy.toml", f"{root}/data/taxonomy-peers.toml"] + sorted(glob.glob(f"{root}/data/taxonomies/*.toml")):
    with open(path, "rb") as f:
        tax = tomllib.load(f)
    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("label_en", "label_zh") and isinstance(x, str):
                    text.update(x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(tax)
text.discard("\n")
print(",".join(f"U+{ord(c):04X}" for c in sorted(text)))
PY

# A fixed timestamp in the head table, so the same inputs give the same bytes.
SOURCE_DATE_EPOCH=1700000000 pyftsubset "$src" \
  --font-number="$face" \
  --unicodes-file="$chars" \
  --layout-features='' \
  --no-hinting \
  --desubroutinize \
  --drop-tables+=BASE,VORG,vhea,vmtx,GSUB,GPOS,GDEF \
  --name-IDs='*' \
  --name-languages='*' \
  --output-file="$out"
echo "wrote $out ($(wc -c < "$out") bytes, $(tr ',' '\n' < "$chars" | wc -l) characters)"
