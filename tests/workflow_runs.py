"""Helpers for the tests that drive Snakemake itself (reruns, resilience, SLURM, report).

They run the small configuration tests/configs/tiny.yaml, never the repository's
results folder: every run happens in a temporary working directory, either with
the repository's Snakefile (`-s Snakefile --directory tmp`) or in a copy of the
workflow (Snakefile, config.yaml, workflow/, envs/, src/) when a test edits code,
so that an edit never touches the real source files. A copy runs its own
`src/` (PYTHONPATH), and its rules list the copy's files as inputs.

One finished local run of the tiny configuration is shared by the tests of a
session (`finished_tiny_run`); tests that edit it restore what they edited.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "tiny.yaml"
WORKFLOW_PARTS = ("Snakefile", "config.yaml", "workflow", "envs", "src")
CORES = 2
RUN_TIMEOUT = 1200  # seconds; a tiny run takes one to three minutes on two cores


def env(pythonpath: Path | None = None) -> dict[str, str]:
    """The test's environment with this interpreter's folder first on PATH.

    Rules call `python -m rnninfo.cli`; the jobs (local or SLURM, which exports the
    submitting environment) then find the interpreter that runs the tests.
    """
    e = dict(os.environ)
    e["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), e.get("PATH", "")])
    if pythonpath is not None:
        e["PYTHONPATH"] = os.pathsep.join([str(pythonpath)] + ([e["PYTHONPATH"]] if e.get("PYTHONPATH") else []))
    return e


def snakemake_args(workdir: Path, *extra, snakefile: Path | None = None, configfile: Path = TINY,
                   cores: int | None = CORES) -> list[str]:
    args = [sys.executable, "-m", "snakemake", "-s", str(snakefile or ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(configfile)]
    if cores is not None:
        args += ["--cores", str(cores)]
    return args + [str(a) for a in extra]


def run(args: list[str], *, env_vars: dict | None = None, timeout: float = RUN_TIMEOUT,
        check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a command; on failure raise with the tail of its output (and the failed jobs' logs).

    A Snakemake command runs from its --directory, so nothing lands in the repository.
    """
    workdir = Path(args[args.index("--directory") + 1]) if "--directory" in args else None
    if cwd is None and workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        cwd = workdir
    proc = subprocess.run(args, capture_output=True, text=True, env=env_vars or env(),
                          timeout=timeout, cwd=cwd or ROOT)
    if check and proc.returncode != 0:
        tail = (proc.stdout[-3000:] + "\n--- stderr ---\n" + proc.stderr[-6000:])
        workdir = workdir or ROOT
        for log in re.findall(r"log: (\S+) \(check log file", proc.stdout + proc.stderr)[:3]:
            path = workdir / log
            if path.is_file():
                tail += f"\n--- {log} ---\n" + path.read_text(errors="replace")[-2000:]
        raise AssertionError(f"command failed ({proc.returncode}): {' '.join(args)}\n{tail}")
    return proc


def copy_workflow(dest: Path) -> Path:
    """Copy what a run needs (not results, not .snakemake) to ``dest``; return it."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for part in WORKFLOW_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=ignore, symlinks=True)
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


class Workspace:
    """A copy of the workflow that is also its own working directory."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def snakefile(self) -> Path:
        return self.path / "Snakefile"

    @property
    def results(self) -> Path:
        return self.path / "results"

    def env(self) -> dict[str, str]:
        return env(pythonpath=self.path / "src")

    def args(self, *extra, configfile: Path = TINY, cores: int | None = CORES) -> list[str]:
        return snakemake_args(self.path, *extra, snakefile=self.snakefile, configfile=configfile, cores=cores)

    def run(self, *extra, **kw) -> subprocess.CompletedProcess:
        configfile = kw.pop("configfile", TINY)
        return run(self.args(*extra, configfile=configfile), env_vars=self.env(), **kw)

    def dry_run(self, *extra, configfile: Path = TINY) -> dict[str, int]:
        """Jobs a run would execute now, per rule (without the target rule `all`)."""
        proc = run(self.args("--dry-run", "--quiet", "rules", *extra, configfile=configfile),
                   env_vars=self.env(), timeout=300)
        return job_counts(proc.stdout)

    def job_dag(self, configfile: Path = TINY) -> "JobDag":
        """Every job the targets need (done or not) and which jobs consume whose outputs."""
        proc = run(self.args("--dag", configfile=configfile, cores=None), env_vars=self.env(), timeout=300)
        return JobDag(proc.stdout)


def job_counts(stdout: str) -> dict[str, int]:
    """Parse the first "Job stats" table of Snakemake's output: rule -> jobs (no `all`, no total)."""
    if "Nothing to be done" in stdout or "Job stats" not in stdout:
        return {}
    block = stdout.split("Job stats:", 1)[1]
    counts = {}
    for line in block.splitlines()[3:]:
        m = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not m:
            break
        counts[m[1]] = int(m[2])
    counts.pop("total", None)
    counts.pop("all", None)
    return counts


class JobDag:
    """The job graph of `snakemake --dag` (DOT): job id -> label, job id -> consumers."""

    def __init__(self, dot: str):
        self.labels = {i: lab.replace("\\n", " ") for i, lab in
                       re.findall(r'^\s*(\d+)\[label = "([^"]*)"', dot, flags=re.M)}
        self.children: dict[str, set[str]] = {i: set() for i in self.labels}
        for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot, flags=re.M):
            self.children[a].add(b)

    def rule(self, job: str) -> str:
        return self.labels[job].split(" ", 1)[0]

    def downstream(self, rules=(), where=lambda label: True) -> dict[str, int]:
        """Jobs of ``rules`` whose label satisfies ``where``, and every job after them:
        counts per rule (without `all`), i.e. what a change to those jobs must rerun."""
        todo = [j for j in self.labels if self.rule(j) in rules and where(self.labels[j])]
        seen: set[str] = set()
        while todo:
            j = todo.pop()
            if j not in seen:
                seen.add(j)
                todo += self.children[j]
        counts: dict[str, int] = {}
        for j in seen:
            counts[self.rule(j)] = counts.get(self.rule(j), 0) + 1
        counts.pop("all", None)
        return counts


def result_files(workdir: Path, patterns=("*.tsv",)) -> dict[str, str]:
    """sha256 of every result file matching ``patterns`` under workdir/results.

    Logs and the run's own timings (Snakemake benchmark files and the table and
    figure stacked from them) are excluded: they measure the run, not its results.
    """
    out = {}
    results = workdir / "results"
    for pattern in patterns:
        for f in sorted(results.rglob(pattern)):
            rel = f.relative_to(workdir).as_posix()
            timing = "/benchmarks/" in rel or f.stem == "benchmarks"
            if "/logs/" in rel or timing or f.name.startswith("."):
                continue
            out[rel] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


_CACHE: dict[str, object] = {}


def finished_tiny_run(tmp_path_factory) -> Workspace:
    """A workflow copy with a finished local run of the tiny configuration (once a session).

    Tests must leave it as they found it (restore edited files and their mtimes).
    """
    if "tiny" not in _CACHE:
        ws = Workspace(copy_workflow(tmp_path_factory.mktemp("tiny_run") / "wf"))
        start = time.time()
        ws.run()
        _CACHE["tiny_seconds"] = time.time() - start
        _CACHE["tiny"] = ws
    return _CACHE["tiny"]  # type: ignore[return-value]


def rules_using(ws: Workspace, path: Path, configfile: Path = TINY) -> set[str]:
    """Rules with ``path`` among their input files (from `snakemake --detailed-summary`)."""
    proc = run(ws.args("--detailed-summary", configfile=configfile, cores=None), env_vars=ws.env(), timeout=300)
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("output_file\t"))
    header = lines[start].split("\t")
    rule_col, input_col = header.index("rule"), header.index("input-file(s)")
    target = str(path)
    rules = set()
    for line in lines[start + 1:]:
        cols = line.split("\t")
        if len(cols) > input_col and target in cols[input_col].split(","):
            rules.add(cols[rule_col])
    return rules


def merged_config(base: Path, change: dict, dest: Path) -> Path:
    """Write ``base`` updated (recursively) with ``change`` to ``dest``."""
    import yaml

    def merge(a, b):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    dest.write_text(yaml.safe_dump(merge(yaml.safe_load(base.read_text()) or {}, change), sort_keys=False))
    return dest


class edited:
    """Context manager: append a comment to a source file, restore content and mtime after."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.text = self.path.read_bytes()
        self.stat = self.path.stat()
        time.sleep(0.01)
        self.path.write_bytes(self.text + b"\n# edited by a test: a change that does not alter behaviour\n")
        return self.path

    def __exit__(self, *exc):
        self.path.write_bytes(self.text)
        os.utime(self.path, ns=(self.stat.st_atime_ns, self.stat.st_mtime_ns))
        return False


_LIST_OUTPUTS = """
import sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.io import get_flag_value, is_flagged
from snakemake.settings.types import (ConfigSettings, DeploymentSettings, OutputSettings,
                                      ResourceSettings, StorageSettings, WorkflowSettings)

with SnakemakeApi(OutputSettings()) as api:
    wf = api.workflow(resource_settings=ResourceSettings(), config_settings=ConfigSettings(),
                      storage_settings=StorageSettings(), workflow_settings=WorkflowSettings(),
                      deployment_settings=DeploymentSettings(),
                      snakefile=Path(sys.argv[1]), workdir=Path(sys.argv[2]))
    for rule in wf._workflow.rules:
        for f in rule.output:
            r = get_flag_value(f, "report") if is_flagged(f, "report") else None
            fields = (r.caption or "", r.category or "", r.subcategory or "") if r else ("", "", "")
            print("OUT", rule.name, f, *fields, sep="\\t")
"""


def rule_outputs(workdir: Path) -> list[tuple[str, str, str, str, str]]:
    """(rule, output pattern, report caption, category, subcategory) of every rule output of the
    paper-scale config; the report fields are "" for outputs not in the report."""
    proc = subprocess.run([sys.executable, "-c", _LIST_OUTPUTS, str(ROOT / "Snakefile"), str(workdir)],
                          capture_output=True, text=True, env=env(), timeout=300, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [tuple(line.split("\t")[1:]) for line in proc.stdout.splitlines() if line.startswith("OUT\t")]
    assert rows
    return rows

