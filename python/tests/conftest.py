"""Shared fixtures: the CLI binary and its runs, for comparisons with the package.

The CLI is ``$LIFECIRCLE_BIN`` when set, else ``target/debug/lifecircle``
(built with ``cargo build`` when missing). Every comparison runs the CLI into
a temporary folder and reads what it wrote.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BEIJING = FIXTURES / "beijing-bupt.osm.pbf"
USERDATA = FIXTURES / "userdata"


@pytest.fixture(scope="session")
def cli() -> Path:
    given = os.environ.get("LIFECIRCLE_BIN")
    if given:
        return Path(given)
    binary = ROOT / "target" / "debug" / "lifecircle"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    return binary


def run_cli(cli: Path, args: List[str], check: bool = True) -> Tuple[int, str, str]:
    """Runs the CLI; returns (exit code, stdout, stderr)."""
    done = subprocess.run([str(cli), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"lifecircle {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.returncode, done.stdout, done.stderr


def cli_error(cli: Path, args: List[str]) -> str:
    """The CLI's error message for bad input (exit 2), without the ``lifecircle: error: `` prefix."""
    code, _, err = run_cli(cli, args, check=False)
    assert code == 2, f"exit {code}: {err}"
    lines = [line for line in err.splitlines() if line.startswith("lifecircle: error: ")]
    assert len(lines) == 1, err
    return lines[0][len("lifecircle: error: ") :]


@pytest.fixture(scope="session")
def default_cli(cli, tmp_path_factory) -> Path:
    """``lifecircle analyze`` on the bundled extract, every layer as GeoParquet."""
    out = tmp_path_factory.mktemp("cli-default")
    run_cli(cli, ["analyze", "--out", str(out), "--quiet", "--format", "parquet"])
    return out


@pytest.fixture(scope="session")
def default_run():
    import lifecircle

    return lifecircle.analyze(progress=False)
