"""Show the end of each failed job's log on the console (the Snakefile's ``onerror:`` handler).

Snakemake itself only says "check log file(s) for error details". Every rule of
this workflow sends its job's output to a log file, so the reason a job failed
is in that file: the handler prints its last lines under the job's name.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# Snakemake's error block names the logs of a failed job on one line:
#     log: results/logs/a.log, results/logs/b.log (check log file(s) for error details)
_LOG_LINE = re.compile(r"^\s*log: (.+?) \(check log file\(s\) for error details\)\s*$", re.M)
_RULE_LINE = re.compile(r"^\s*Error in rule (\S+):\s*$", re.M)


def failed_job_logs(text: str) -> list[tuple[str, str]]:
    """(rule, log path) of every failed job in Snakemake's console/log text, in order, once each."""
    found, seen = [], set()
    rules = [(m.start(), m[1]) for m in _RULE_LINE.finditer(text)]
    for m in _LOG_LINE.finditer(text):
        rule = next((r for start, r in reversed(rules) if start < m.start()), "?")
        for path in (p.strip() for p in m[1].split(",")):
            if path and path not in seen:
                seen.add(path)
                found.append((rule, path))
    return found


def tail(path: str | Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a text file (undecodable bytes replaced)."""
    text = Path(path).read_text(errors="replace").rstrip("\n")
    return "\n".join(text.splitlines()[-lines:])


def print_failed_logs(snakemake_logs, lines: int = 20, out=None) -> int:
    """Print the last ``lines`` lines of each failed job's log; returns how many logs were shown.

    ``snakemake_logs``: the log file(s) of the Snakemake run (``log`` in ``onerror:``).
    """
    out = out or sys.stderr
    if isinstance(snakemake_logs, (str, Path)):
        snakemake_logs = [snakemake_logs]
    text = ""
    for path in snakemake_logs or []:
        if Path(path).is_file():
            text += Path(path).read_text(errors="replace")
    shown = 0
    for rule, path in failed_job_logs(text):
        if not Path(path).is_file():
            print(f"\n=== rule {rule} failed; its log {path} was not written ===", file=out)
            continue
        print(f"\n=== rule {rule} failed; last {lines} lines of {path} ===\n{tail(path, lines)}", file=out)
        shown += 1
    if shown:
        print("\n(the whole logs are in the files named above; see README, Troubleshooting)", file=out)
    return shown
