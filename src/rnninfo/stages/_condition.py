"""Command-line arguments shared by the stages that work on one paper-A condition."""

from __future__ import annotations

import argparse

from rnninfo.archs import check_arch
from rnninfo.tasks import parse_delay, _check_name


def condition_parser(stage: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser with --task, --arch, --delay and --seeds (one condition, all its seeds)."""
    ap = argparse.ArgumentParser(
        prog=f"rnninfo.cli {stage}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--task", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--delay", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    return ap


def parse_condition(ap: argparse.ArgumentParser, argv: list[str], *per_seed: str) -> argparse.Namespace:
    """Parse and check: a known task, arch and delay, and one path per seed in each ``per_seed`` option."""
    args = ap.parse_args(argv)
    try:
        _check_name(args.task)
        check_arch(args.arch)
        parse_delay(args.delay)
    except ValueError as err:
        ap.error(str(err))
    for name in per_seed:
        paths = getattr(args, name)
        if len(paths) != len(args.seeds):
            ap.error(f"--seeds ({len(args.seeds)}) and --{name} ({len(paths)}) must have the same length")
    return args
