"""docs/python-example.ipynb runs from top to bottom, prints the CLI's
summary table, and draws its figures."""

from __future__ import annotations

import pytest

from conftest import ROOT, run_cli

NOTEBOOK = ROOT / "docs" / "python-example.ipynb"


def outputs(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stdout")


def test_the_example_notebook_runs_and_reproduces_the_cli(cli, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    tagged = {t: c for c in nb.cells for t in c.get("metadata", {}).get("tags", [])}
    _, cli_out, _ = run_cli(cli, ["analyze", "--minutes", "5,10,15", "--out", str(tmp_path / "cli")])
    table = outputs(tagged["summary"]).split("\ntimings:")[0]
    assert table.count("\n") > 8 and cli_out.startswith(table)

    # The README's sites table: childcare 49.0 % -> 82.2 %, elder canteens 15.6 % -> 61.7 %, from the CLI.
    sites = outputs(tagged["sites"])
    for category in ["childcare", "elder_canteen"]:
        out = tmp_path / category
        run_cli(cli, ["site", "--category", category, "--add", "5", "--minutes", "5,10,15", "--out", str(out), "--quiet"])
        md = (out / "sites.md").read_text()
        lines = sites.split(category + "\n")[1].splitlines()
        last = next(line.split() for line in lines if line.split()[0] == "15")
        assert last[0] == "15"
        before, after = float(last[1]), float(last[2])
        assert f"{100 * before:.1f} %" in md or f"{100 * before:.1f}%" in md, (before, md)
        assert f"{100 * after:.1f} %" in md or f"{100 * after:.1f}%" in md, (after, md)

    figures = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(figures) >= 4
