"""The HTML report: every figure is in it, with a caption that names the paper figure.

`snakemake --report report.html` after a finished run (README). The captions are
checked for the paper-scale workflow (every figure rule, both tasks); the report
itself is built from the finished tiny run (tests/workflow_runs.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflow_runs import ROOT, finished_tiny_run, rule_outputs

@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """(rule, output pattern, caption path or "") of every rule output, paper-scale config."""
    return [(rule, out, cap) for rule, out, cap, _, _ in rule_outputs(tmp_path_factory.mktemp("captions"))]


def test_every_figure_is_in_the_report_with_a_caption(outputs):
    figures = [(rule, out, cap) for rule, out, cap in outputs if out.endswith(".png")]
    assert figures
    no_report = [out for rule, out, cap in figures if not cap]
    assert not no_report, f"figures without report(..., caption=...): {no_report}"
    for rule, out, cap in figures:
        path = Path(cap)
        assert path.is_file(), f"{rule}: caption {cap} does not exist"
        assert path.resolve().parent == (ROOT / "workflow" / "report").resolve()


def test_captions_name_the_paper_figure_they_reproduce(outputs):
    for rule, out, cap in outputs:
        if not cap:
            continue
        text = " ".join(Path(cap).read_text().split())
        assert len(text) > 80, f"{cap}: a caption says what the figure shows"
        assert re.search(r"paper [AB]", text, flags=re.I), f"{cap}: name the paper (A or B)"
        assert re.search(r"Figs?\.?\s*\d|section\s*\d|\bnot\b[^.]*\bpaper", text, flags=re.I), \
            f"{cap}: name the figure it reproduces (or say it is not in the paper)"


@pytest.mark.slow
def test_report_builds_from_a_finished_run(tmp_path_factory):
    ws = finished_tiny_run(tmp_path_factory)
    report = ws.path / "report.html"
    ws.run("--report", report, timeout=600)
    html = report.read_text(errors="replace")
    assert len(html) > 100_000  # self-contained: figures are embedded
    figures = sorted(p.name for p in (ws.results / "figures").glob("*.png"))
    assert figures
    missing = [name for name in figures if name not in html]
    assert not missing, f"figures not in the report: {missing}"
    # the report renders the captions (first words of one of them)
    assert "Temporal generalisation" in html
