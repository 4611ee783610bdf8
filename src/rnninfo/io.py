"""Atomic writes and small readers shared by every stage.

Every result file is written to a temporary name in the same folder and then
renamed, so a killed job never leaves a half-written file under a final name.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:  # pandas is imported where a table is read: stages without tables skip its ~0.3 s
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


# What to do about a result file that cannot be read. Snakemake recreates a missing
# output; `--forcerun FILE` reruns the job that writes FILE (and what depends on it).
REMEDY = "delete it and run snakemake again, or rerun the job that writes it: snakemake --cores all --forcerun {path}"


def broken_file(path: str | os.PathLike, problem: str, err: BaseException | None = None) -> SystemExit:
    """The error for a result file that cannot be read: the file, what is wrong, what to do.

    ``raise broken_file(path, "truncated")`` ends a stage with a one-line message
    (no traceback): ``<path>: <problem> (<error>); delete it and run snakemake again ...``.
    """
    detail = "" if err is None else f" ({': '.join(filter(None, (type(err).__name__, _first_line(err))))})"
    return SystemExit(f"{path}: {problem}{detail}; {REMEDY.format(path=path)}")


def _first_line(err: BaseException) -> str:
    """The gist of an error message: its first sentence (torch's run on for lines)."""
    text = str(err).strip()
    return text.splitlines()[0].split(". ")[0].rstrip(".:") if text else ""


def _require_file(path: str | os.PathLike, kind: str) -> None:
    if not Path(path).is_file():
        raise SystemExit(f"{path}: {kind} does not exist; run snakemake to create it (or check the path)")


def read_tsv(path: str | os.PathLike, columns=()) -> pd.DataFrame:
    """Read a table written by `write_tsv`; errors name the file, the problem and the remedy.

    Every table `write_tsv` writes ends with a newline, so a file that does not was
    cut short. ``columns``: column names the table must have.
    """
    _require_file(path, "table")
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            raise broken_file(path, "empty file, not a table (truncated?)")
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) != b"\n":
            raise broken_file(path, "truncated table (the last line is incomplete)")
    import pandas as pd

    try:
        df = pd.read_csv(path, sep="\t")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise broken_file(path, "not a tab-separated table", err) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise broken_file(path, f"table lacks column(s) {missing} (written by another version?)")
    return df


def read_tables(paths, columns=()) -> pd.DataFrame:
    """Tables of one kind (e.g. one per condition) read by `read_tsv` and stacked.

    A ``delay`` column stays text: delay regimes are labels ("1" .. "5", "random"),
    and a table of fixed delays alone would otherwise be read as integers.
    """
    import pandas as pd

    tables = []
    for path in paths:
        table = read_tsv(path, columns=columns)
        if "delay" in table.columns:
            table["delay"] = table["delay"].astype(str)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Save arrays to an uncompressed ``.npz``, atomically."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def save_npz_compressed(path: str | os.PathLike, level: int = 1, stored=(), **arrays: np.ndarray) -> None:
    """Save arrays to a deflate-compressed ``.npz`` (what ``np.load`` reads), atomically.

    ``level`` 1 is zlib's fastest. Arrays named in ``stored`` go in
    uncompressed: float32 network states shrink by only ~10-25% at ~0.4 s per
    MB, while inputs (mostly zeros) shrink 3-15x almost for free. Member
    dates are fixed, so the same arrays give the same bytes.
    """
    with atomic_path(path, suffix=".npz") as tmp:
        with zipfile.ZipFile(tmp, "w") as archive:
            for name, value in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
                info._compresslevel = level  # ZipInfo has no public field for it
                with archive.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


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


def load_npz(path: str | os.PathLike, keys=()) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` written by `save_npz` (no pickles).

    A missing, truncated or foreign file, or one without the arrays ``keys``,
    raises SystemExit naming the file, the problem and the remedy.
    """
    _require_file(path, "array file")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise broken_file(path, "a single .npy array, not an .npz archive")
        with data:
            arrays = {k: data[k] for k in data.files}
    except zipfile.BadZipFile as err:
        raise broken_file(path, "not a readable .npz (zip) archive: truncated or another format", err) from None
    except EOFError as err:
        raise broken_file(path, "empty or truncated .npz file", err) from None
    except (OSError, ValueError, KeyError, zlib.error) as err:
        raise broken_file(path, "corrupt .npz file (truncated, or not written by rnninfo)", err) from None
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise broken_file(path, f"lacks {missing} (written by another version of rnninfo?)")
    return arrays


def load_torch(path: str | os.PathLike) -> dict:
    """A state dict saved by `save_torch`, loaded with ``weights_only=True`` (nothing in it can run code).

    A missing, truncated or foreign file raises SystemExit naming the file, the
    problem and the remedy. A file holding anything but tensors and plain
    containers is refused with ``pickle.UnpicklingError`` (it may be crafted to run code).
    """
    import torch

    _require_file(path, "model file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise pickle.UnpicklingError(
            f"{path}: refused: not a plain tensor file ({_first_line(err)}); it may be crafted to run code, or is not "
            f"a model file at all; {REMEDY.format(path=path)}"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as err:
        raise broken_file(path, "truncated or not a torch model file", err) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise broken_file(path, f"not a state dict of tensors (got {type(state).__name__})")
    return state


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
