"""Atomic writes and small readers shared by every stage.

Every result file is written to a temporary name in the same folder and then
renamed, so a killed job never leaves a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    ``suffix`` keeps an extension that a writer insists on (``np.savez`` adds
    ``.npz`` to names that lack it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for the group to read
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_tsv(df: pd.DataFrame, path: str | os.PathLike, float_format: str = "%.10g") -> None:
    """Write a tidy table as TSV, atomically, with a fixed float format (same bytes every run)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format=float_format, lineterminator="\n")


def read_tsv(path: str | os.PathLike) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t")


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Save arrays to an uncompressed ``.npz``, atomically."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def save_torch(obj, path: str | os.PathLike) -> None:
    """``torch.save`` atomically, with the same bytes every time.

    torch names the archive's inner folder after the file it writes to, so the
    archive is built in memory under the final name, then written.
    """
    import io as _io

    import torch

    buffer = _io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> None:
    """Save a matplotlib figure atomically; metadata stripped so bytes are stable."""
    suffix = Path(path).suffix
    with atomic_path(path, suffix=suffix) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", metadata={"Software": None})


def with_defaults(raw: dict, defaults: dict, stage: str) -> dict:
    """A stage's parameters: ``defaults`` overridden by ``raw``; an unknown key is an error naming it."""
    unknown = set(raw) - set(defaults)
    if unknown:
        raise SystemExit(f"{stage}: unknown parameter(s) {sorted(unknown)}")
    return {**defaults, **raw}


def parse_json_arg(text: str, name: str = "--params") -> dict:
    """Parse the JSON a rule passes as parameters, naming the option on error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise SystemExit(f"{name}: not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise SystemExit(f"{name}: expected a JSON object, got {type(value).__name__}")
    return value
