#!/usr/bin/env python3
"""What the Python call adds over the Rust run, on the bundled extract.

    cargo build --release                              # the CLI, for comparison
    (cd python && maturin develop --release)           # or pip install ./python
    python python/bench/overhead.py [--repeat 9] [--threads N]

Times, each the median of ``--repeat`` runs after one warm-up, in one process:

- rust: ``lifecircle::run`` (read the extract, build the network, analyse),
  timed inside Rust with the GIL released (``_lifecircle.rust_run_seconds``);
- python: ``lifecircle.analyze(progress=False)``, the same work from Python
  (arguments, the run on its thread); paired with the Rust time of the same
  call (``summary["timings"]["total_s"]``, measured in Rust), so that machine
  noise cancels;
- python + layers: the same, then ``.homes`` and ``.facilities`` as
  GeoDataFrames (through Arrow; the conversion is also timed alone);
- cli: ``lifecircle analyze --quiet`` as a process (``target/release``),
  which also writes its GeoJSON files.

The overhead is the python call minus its own Rust time (target: at most
50 ms); python − rust between medians is printed too, but on a shared machine
its noise is larger than the overhead. Runs alternate so that
machine noise spreads over all of them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import lifecircle
from lifecircle import _lifecircle

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--cli", default=str(ROOT / "target" / "release" / "lifecircle"))
    args = parser.parse_args()
    warnings.simplefilter("ignore", lifecircle.LifecircleWarning)

    def rust() -> float:
        return _lifecircle.rust_run_seconds(1, threads=args.threads)[0]

    paired = []

    def python() -> float:
        t = time.perf_counter()
        run = lifecircle.analyze(threads=args.threads, progress=False)
        wall = time.perf_counter() - t
        # The same call's Rust time, measured in Rust: the pair shares the machine's noise.
        paired.append(wall - run.summary["timings"]["total_s"])
        return wall

    convert = []

    def python_layers() -> float:
        t = time.perf_counter()
        run = lifecircle.analyze(threads=args.threads, progress=False)
        c = time.perf_counter()
        run.homes, run.facilities
        end = time.perf_counter()
        convert.append(end - c)
        return end - t

    cli = Path(args.cli)
    threads = [] if args.threads is None else ["--threads", str(args.threads)]

    def cli_run() -> float:
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run([str(cli), "analyze", "--out", out, "--quiet", *threads], check=True, capture_output=True)
            return time.perf_counter() - t

    cases = {"rust": rust, "python": python, "python + layers": python_layers}
    if cli.exists():
        cases["cli"] = cli_run
    times = {name: [] for name in cases}
    for f in cases.values():
        f()  # warm-up
    for _ in range(args.repeat):
        for name, f in cases.items():
            times[name].append(f())
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:16s} median {1000 * median[name]:8.1f} ms  (min {1000 * min(t):.1f}, max {1000 * max(t):.1f})")
    paired = paired[1:]  # without the warm-up
    print(
        f"python call − its own Rust time: median {1000 * statistics.median(paired):.1f} ms "
        f"(min {1000 * min(paired):.1f}, max {1000 * max(paired):.1f})"
    )
    convert = convert[1:]
    print(
        f".homes + .facilities as GeoDataFrames (Arrow): median {1000 * statistics.median(convert):.1f} ms "
        f"(min {1000 * min(convert):.1f}, max {1000 * max(convert):.1f})"
    )
    over = median["python"] - median["rust"]
    print(f"python − rust between medians (unpaired, noisy on a shared machine): {1000 * over:+.1f} ms")
    met = statistics.median(paired) <= 0.050
    print("target: the Python call adds <= 50 ms over its Rust run:", "met" if met else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
