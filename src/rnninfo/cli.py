"""Command line entry: ``python -m rnninfo.cli <stage> [options]``.

Every Snakemake rule calls one stage here. A stage is the module
``rnninfo.stages.<stage>`` with a ``main(argv)`` function; it is imported only
when called so that a stage that does not need torch never pays for it.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import rnninfo.stages


def available_stages() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(rnninfo.stages.__path__) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    stages = available_stages()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m rnninfo.cli <stage> [options]\n\nstages:\n  " + "\n  ".join(stages))
        print("\n`python -m rnninfo.cli <stage> --help` shows a stage's options.")
        return 0
    stage, rest = argv[0], argv[1:]
    if stage not in stages:
        print(f"rnninfo.cli: unknown stage {stage!r}; known stages: {', '.join(stages)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"rnninfo.stages.{stage}")
    return module.main(rest) or 0


if __name__ == "__main__":
    sys.exit(main())
