"""The benchmark summary names each job's file by the rules' own patterns and sums time per rule."""

import pytest

from rnninfo.stages.benchmarks import collect, markdown, name_file, per_rule

PATTERNS = {
    "train": "res/benchmarks/train/{task}/{arch}/{delay}.tsv",
    "training_table": "res/benchmarks/training_table.tsv",
    "weather_train": "res/benchmarks/weather/train_seed{seed}.tsv",
    "relay_table": "res/benchmarks/relay_table/{kind}.tsv",
    "pca": "res/benchmarks/pca/{task}/{arch}/{delay}/seed{seed,\\d+}.tsv",
}


def _bench(path, seconds, rss):
    """A file in Snakemake's benchmark format (one repeat)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
                    f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{seconds / 2}\n")


def test_files_are_named_by_rule_and_wildcards():
    assert name_file("res/benchmarks/train/memory/LSTM/random.tsv", PATTERNS) == (
        "train", "task=memory,arch=LSTM,delay=random")
    assert name_file("res/benchmarks/weather/train_seed3.tsv", PATTERNS) == ("weather_train", "seed=3")
    assert name_file("res/benchmarks/training_table.tsv", PATTERNS) == ("training_table", "")
    # `relay_table/{kind}` would also match a literal file name: the literal pattern wins.
    both = {**PATTERNS, "relay_table_all": "res/benchmarks/relay_table/all.tsv"}
    assert name_file("res/benchmarks/relay_table/all.tsv", both) == ("relay_table_all", "")
    assert name_file("res/benchmarks/pca/memory/RNN/2/seed1.tsv", PATTERNS)[1].endswith("seed=1")
    assert name_file("res/benchmarks/pca/memory/RNN/2/seedX.tsv", PATTERNS) is None  # constraint \d+
    assert name_file("res/benchmarks/gone/rule.tsv", PATTERNS) is None


def test_table_and_per_rule_sums(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "res/benchmarks"
    _bench(root / "train/memory/LSTM/2.tsv", 10.0, 300)
    _bench(root / "train/memory/RNN/2.tsv", 4.0, 200)
    _bench(root / "training_table.tsv", 1.0, 90)
    _bench(root / "old_rule/x.tsv", 99.0, 1)  # left over from a renamed rule
    skipped = []
    table = collect("res/benchmarks", PATTERNS, log=skipped.append)
    assert len(skipped) == 1 and "old_rule" in skipped[0]
    assert sorted(table.rule) == ["train", "train", "training_table"]
    assert table.seconds.sum() == pytest.approx(15.0) and table.cpu_seconds.sum() == pytest.approx(7.5)
    rules = per_rule(table)
    assert list(rules.rule) == ["train", "training_table"]
    row = rules.iloc[0]
    assert (row.jobs, row.job_seconds, row.per_job, row.max_rss_mb) == (2, 14.0, 7.0, 300)
    assert rules.share.sum() == pytest.approx(1.0)
    text = markdown(table)
    assert "| train | 2 | 14 | 93% | 7.0 | 300 |" in text and "| **all** | 3 | 15 | | | |" in text
    assert text.splitlines()[0] == "| rule | jobs | job-seconds | share | per job (s) | max RSS (MB) |"


def test_not_a_benchmark_file_is_named(tmp_path):
    bad = tmp_path / "res/benchmarks/training_table.tsv"
    bad.parent.mkdir(parents=True)
    bad.write_text("a\tb\n1\t2\n")
    with pytest.raises(SystemExit, match="not a Snakemake benchmark file"):
        collect(tmp_path / "res/benchmarks", {"training_table": str(bad)})
