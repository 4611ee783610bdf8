"""The workflow plans the right jobs and rejects bad configurations before any job runs."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(tmp_path, config_text=None, *extra):
    args = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
            "--directory", str(ROOT)]
    if config_text is not None:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(config_text)
        args += ["--configfile", str(cfg)]
    return subprocess.run(args + list(extra), capture_output=True, text=True, cwd=ROOT)


def job_counts(stdout):
    return {m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", stdout, flags=re.M)}


def test_paper_scale_plans_one_training_job_per_condition(tmp_path):
    # A fresh results folder so that nothing is already done.
    run = dry_run(tmp_path, f"results: {tmp_path / 'res'}\n")
    assert run.returncode == 0, run.stderr
    counts = job_counts(run.stdout)
    assert counts["train"] == 36  # 2 tasks x 3 archs x 6 delays, not 720 seeds
    assert counts["traces"] == 36


@pytest.mark.parametrize(
    "text, named",
    [
        ("trian:\n  lr: 0.1\n", "'trian' was unexpected"),
        ("train:\n  lrr: 0.1\n", "'lrr' was unexpected"),
        ("archs: [RNN, FOO]\n", "archs"),
        ("delays: ['0', '1']\n", "delays"),
        ("delays: [0, 1]\n", "delays"),
        ("first_seed: -2\n", "first_seed"),
        ("replicates: 0\n", "replicates"),
        ("tasks: [memory, maze]\n", "tasks"),
        ("train:\n  lr: -0.1\n", "lr"),
    ],
)
def test_bad_config_stops_before_any_job_naming_the_key(tmp_path, text, named):
    run = dry_run(tmp_path, text + f"results: {tmp_path / 'res'}\n")
    assert run.returncode != 0
    assert "Error validating config" in run.stderr + run.stdout
    assert named in run.stderr + run.stdout
    assert not (tmp_path / "res").exists()


def test_integer_delays_are_accepted(tmp_path):
    run = dry_run(tmp_path, f"delays: [2, random]\nresults: {tmp_path / 'res'}\n")
    assert run.returncode == 0, run.stderr
    assert job_counts(run.stdout)["train"] == 12


def test_config_readme_is_generated_from_the_schema():
    """config/README.md equals `python -m rnninfo.config_docs` (rerun it after changing a key)."""
    import yaml

    from rnninfo.config_docs import render

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    expected = render(schema, (ROOT / "config.yaml").read_text())
    committed = (ROOT / "config" / "README.md").read_text()
    assert committed == expected, "config/README.md is stale: run `python -m rnninfo.config_docs > config/README.md`"
    for key in ("`seed`", "`relay.exhaustive`", "`weather.flow.thresholds`", "`task_params.memory.onsets`"):
        assert f"| {key} |" in committed, key


def test_config_docs_render_types_defaults_and_meanings():
    from rnninfo.config_docs import config_comments, render

    schema = {"properties": {
        "seed": {"type": "integer", "minimum": 0, "default": 7, "description": "root seed"},
        "mode": {"enum": ["a", "b"], "default": "a"},
        "box": {"type": "object", "description": "a section", "properties": {
            "size": {"type": ["number", "null"], "exclusiveMinimum": 0, "default": None},
            "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
                    "default": [1, 2], "description": "two | ids"},
        }},
    }}
    config_text = "mode: a   # which mode\nbox:\n  size: 3   # the size\n"
    assert config_comments(config_text) == {"mode": "which mode", "box.size": "the size"}
    text = render(schema, config_text)
    assert "| `seed` | `7` | integer >= 0 | root seed |" in text
    assert "| `mode` | `a` | one of `a`, `b` | which mode |" in text  # meaning from config.yaml's comment
    assert "## `box`\n\nA section.\n" in text
    assert "| `box.size` | `null` | number > 0 or `null` | the size |" in text
    assert "| `box.ids` | `[1, 2]` | list of integer (exactly 2) | two \\| ids |" in text
