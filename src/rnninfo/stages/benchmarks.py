"""Stage `benchmarks`: every job's Snakemake benchmark file in one table, and where the time went.

Snakemake's ``benchmark:`` directive writes one small TSV per job (wall time
``s``, peak memory ``max_rss`` in MB, ``cpu_time``, ...). This stage reads those
under ``--root``, names each file's rule and wildcards by matching its path
against the rules' benchmark patterns (``--patterns``, JSON {rule: pattern}, as
the workflow declares them), and writes

    table   one row per job: rule, wildcards, seconds, max_rss_mb, cpu_seconds, file
    figure  job-seconds per rule (bars), with the number of jobs

A file that matches no rule (left over from a renamed rule) is listed in the
log and skipped. ``per_rule`` gives the README's per-rule table
(``python bench/benchmark_table.py results/tables/benchmarks.tsv``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rnninfo.io import parse_json_arg, save_figure, write_tsv

_WILDCARD = re.compile(r"\{\s*(\w+)\s*(?:,\s*((?:[^{}]|\{[^{}]*\})*))?\}")


def pattern_regex(pattern: str) -> tuple[re.Pattern, list[str]]:
    """A Snakemake path pattern as a regex with one group per wildcard, and the wildcard names."""
    parts, names, pos = [], [], 0
    for m in _WILDCARD.finditer(pattern):
        parts.append(re.escape(pattern[pos : m.start()]))
        name, constraint = m.group(1), m.group(2)
        if name in names:
            parts.append(f"(?P={name})")
        else:
            names.append(name)
            parts.append(f"(?P<{name}>{constraint or '[^/]+'})")
        pos = m.end()
    parts.append(re.escape(pattern[pos:]))
    return re.compile("".join(parts) + r"\Z"), names


def name_file(path: str, patterns: dict[str, str]) -> tuple[str, str] | None:
    """(rule, "key=value,...") of a benchmark file, or None when no rule's pattern matches.

    Where several patterns match, the one with fewest wildcards (the most literal) wins.
    """
    best = None
    for rule, pattern in patterns.items():
        regex, names = pattern_regex(pattern)
        m = regex.match(path)
        if m and (best is None or len(names) < best[0]):
            best = (len(names), rule, ",".join(f"{n}={m.group(n)}" for n in names))
    return None if best is None else best[1:]


def read_benchmark(path: Path) -> dict:
    """The first repeat of one Snakemake benchmark file: seconds, max_rss_mb, cpu_seconds."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep="\t", na_values=["NA", "-"])
    except (OSError, ValueError) as err:
        raise SystemExit(f"benchmarks: cannot read {path}: {err}; delete it and rerun the job that wrote it") from None
    if df.empty or "s" not in df.columns:
        raise SystemExit(f"benchmarks: {path} is not a Snakemake benchmark file (no 's' column or no row)")
    row = df.iloc[0]
    get = lambda col: float(row[col]) if col in df.columns and pd.notna(row[col]) else float("nan")
    return {"seconds": get("s"), "max_rss_mb": get("max_rss"), "cpu_seconds": get("cpu_time")}


def collect(root: str | Path, patterns: dict[str, str], log=print):
    """One row per benchmark file under ``root`` that matches a rule's pattern."""
    import pandas as pd

    rows = []
    for path in sorted(Path(root).rglob("*.tsv")):
        named = name_file(str(path), patterns)
        if named is None:
            log(f"benchmarks: {path} matches no rule's benchmark pattern; skipped")
            continue
        rule, wildcards = named
        rows.append({"rule": rule, "wildcards": wildcards, **read_benchmark(path), "file": str(path)})
    columns = ["rule", "wildcards", "seconds", "max_rss_mb", "cpu_seconds", "file"]
    return pd.DataFrame(rows, columns=columns)


def per_rule(table):
    """Jobs, job-seconds (and share of all), seconds per job and largest max RSS per rule, slowest first."""
    g = table.groupby("rule")
    out = g.agg(jobs=("seconds", "size"), job_seconds=("seconds", "sum"), max_rss_mb=("max_rss_mb", "max"))
    out["per_job"] = out.job_seconds / out.jobs
    out["share"] = out.job_seconds / out.job_seconds.sum()
    return out.sort_values("job_seconds", ascending=False).reset_index()


def markdown(table) -> str:
    """The README's per-rule table: rule, jobs, job-seconds, share, seconds per job, max RSS; slowest first."""
    rules = per_rule(table)
    lines = ["| rule | jobs | job-seconds | share | per job (s) | max RSS (MB) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rules.itertuples():
        lines.append(f"| {r.rule} | {r.jobs} | {r.job_seconds:.0f} | {r.share:.0%} | {r.per_job:.1f} | {r.max_rss_mb:.0f} |")
    lines.append(f"| **all** | {int(rules.jobs.sum())} | {rules.job_seconds.sum():.0f} | | | |")
    return "\n".join(lines)


def figure(table):
    """Horizontal bars: job-seconds per rule, labelled with jobs and seconds per job."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rules = per_rule(table).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(rules) + 1.2))
    ax.barh(rules.rule, rules.job_seconds, color="tab:blue")
    for y, r in enumerate(rules.itertuples()):
        ax.text(r.job_seconds, y, f"  {r.jobs} job(s), {r.per_job:.1f} s each", va="center", fontsize=7)
    ax.set_xlabel("job-seconds (wall time summed over the rule's jobs)")
    ax.set_xlim(0, rules.job_seconds.max() * 1.6 if len(rules) else 1)
    ax.set_title(f"Where the time went: {int(rules.jobs.sum())} jobs, {rules.job_seconds.sum():.0f} job-seconds")
    fig.tight_layout()
    return fig


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True, help="folder of the benchmark files")
    ap.add_argument("--patterns", required=True, help="JSON {rule: benchmark path pattern}")
    ap.add_argument("--table", required=True)
    ap.add_argument("--figure", required=True)
    args = ap.parse_args(argv)
    patterns = parse_json_arg(args.patterns, "--patterns")
    table = collect(args.root, patterns, log=lambda m: print(m, flush=True))
    if table.empty:
        raise SystemExit(f"benchmarks: no benchmark file under {args.root} matches a rule")
    write_tsv(table, args.table)
    save_figure(figure(table), args.figure)
    print(markdown(table), flush=True)
    return 0
