"""No text overlaps in any figure: titles, labels, tick labels, legends.

rnninfo.figure_checks.text_overlaps is tested on planted overlaps first; then
every figure job of a finished tiny run is run again in-process (on a copy of
its results) with the figure checked right before it is saved.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnninfo.figure_checks import text_overlaps  # noqa: E402


def test_planted_overlaps_are_found_and_clean_figures_pass():
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="line")
        ax.set(title="title", xlabel="x", ylabel="y")
    axes[0].legend()
    fig.tight_layout()
    assert text_overlaps(fig) == []

    ax = axes[1]
    ax.text(0.5, 0.5, "planted")
    ax.text(0.52, 0.5, "planted two")
    found = [str(o) for o in text_overlaps(fig)]
    assert len(found) == 1 and found[0].startswith("'planted' overlaps 'planted two'"), found

    # a legend pushed above the panel covers its title
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 0.97))
    found = [str(o) for o in text_overlaps(fig)]
    assert any(f.startswith("legend overlaps 'title'") for f in found), found
    plt.close(fig)


def test_only_drawn_tick_labels_count():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xticks([0, 1, 5, 5.01])
    ax.set_xlim(0, 1)  # the last two ticks lie outside the view: not drawn
    assert text_overlaps(fig) == []
    ax.set_xticks([0, 0.01, 1])  # crowded: "0.00" and "0.01" overlap
    assert len(text_overlaps(fig)) == 1
    plt.close(fig)


def figure_commands(ws) -> list[list[str]]:
    """argv (after `python -m rnninfo.cli`) of every job whose stage saves figures, from a forced dry run."""
    from workflow_runs import run

    proc = run(ws.args("--dry-run", "--forceall", "--printshellcmds", cores=1), env_vars=ws.env(), timeout=300)
    commands = []
    for line in proc.stdout.splitlines() + proc.stderr.splitlines():
        m = re.search(r"python -m rnninfo\.cli (.*)$", line)
        if m:
            argv = shlex.split(m[1])
            argv = argv[: argv.index(">")] if ">" in argv else argv
            stage = importlib.import_module(f"rnninfo.stages.{argv[0]}")
            if hasattr(stage, "save_figure") and argv not in commands:
                commands.append(argv)
    return commands


@pytest.mark.slow
def test_no_figure_of_the_tiny_run_has_overlapping_text(tmp_path_factory, tmp_path, monkeypatch):
    from workflow_runs import finished_tiny_run

    ws = finished_tiny_run(tmp_path_factory)
    commands = figure_commands(ws)
    shutil.copytree(ws.results, tmp_path / "results")  # the stages rewrite tables beside their figures
    monkeypatch.chdir(tmp_path)

    checked: dict[str, list] = {}

    def check_then_save(fig, path, *args, **kwargs):
        checked[os.fspath(path)] = [str(o) for o in text_overlaps(fig)]
        plt.close(fig)

    for argv in commands:
        stage = importlib.import_module(f"rnninfo.stages.{argv[0]}")
        monkeypatch.setattr(stage, "save_figure", check_then_save)
        stage.main(argv[1:])
        plt.close("all")

    figures = {p.relative_to(ws.path).as_posix() for p in ws.results.rglob("*.png")}
    assert figures and figures <= set(checked), f"figures not checked: {sorted(figures - set(checked))}"
    bad = {path: found for path, found in checked.items() if found}
    assert not bad, "overlapping text:\n" + "\n".join(f"{p}:\n  " + "\n  ".join(f) for p, f in sorted(bad.items()))
