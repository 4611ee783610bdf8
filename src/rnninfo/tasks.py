"""The two time-series classification tasks of paper A (shared/DESIGN.md).

Both tasks share one shape: ``n_info`` informative steps, then ``delay`` blank
steps (all inputs 0.0), then the answer is read at the last step. Three binary
concepts per sample, coded as targets of +-1.

- memory: three sensors; sensor k shows ``s_k * u_k`` (s_k = +-1, u_k ~ U(lo, hi))
  at its onset (one-based time points 4, 7, 10 for A, B, C), 0.0 elsewhere.
- block: a 1-D camera of ``width`` pixels sees a block of size small/large and
  intensity dark/bright move one pixel per frame left or right for ``frames``
  frames; targets are (size, direction, brightness). The camera is a ring (a
  block leaving one edge re-enters at the other) and the start is uniform over
  all ``width`` positions, independent of the direction: every single frame
  then has the same distribution for both directions (direction is at chance
  from any one frame), while two consecutive frames show the shift (+1 or -1
  pixel) and so determine it. Size and brightness show in every frame (onset
  step 0), direction from the second frame on (onset step 1).

``delay`` is an int (fixed) or ``"random"``: each sequence draws its delay from
1..5, sequences are zero-padded to the longest, and ``t_end`` gives each
sample's readout step. Trailing blank steps cannot change earlier outputs, so a
padded sample is read at its own ``t_end``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TASKS = ("memory", "block")
RANDOM_DELAYS = (1, 2, 3, 4, 5)
CONCEPTS = {"memory": ("A", "B", "C"), "block": ("size", "direction", "brightness")}


@dataclass(frozen=True)
class MemoryParams:
    onsets: tuple[int, ...] = (4, 7, 10)  # one-based time points of A, B, C
    magnitude: tuple[float, float] = (0.2, 1.0)


@dataclass(frozen=True)
class BlockParams:
    width: int = 10
    frames: int = 5
    sizes: tuple[int, int] = (2, 4)  # small (-1), large (+1)
    intensities: tuple[float, float] = (0.5, 1.0)  # dark (-1), bright (+1)
    noise: float = 0.05


@dataclass(frozen=True)
class TaskParams:
    memory: MemoryParams = field(default_factory=MemoryParams)
    block: BlockParams = field(default_factory=BlockParams)

    @classmethod
    def from_config(cls, cfg: dict | None) -> "TaskParams":
        cfg = cfg or {}
        mem = {k: tuple(v) if isinstance(v, list) else v for k, v in cfg.get("memory", {}).items()}
        blk = {k: tuple(v) if isinstance(v, list) else v for k, v in cfg.get("block", {}).items()}
        return cls(MemoryParams(**mem), BlockParams(**blk))


def n_info_steps(name: str, params: TaskParams | None = None) -> int:
    """Number of informative steps before the blank delay."""
    params = params or TaskParams()
    _check_name(name)
    return max(params.memory.onsets) if name == "memory" else params.block.frames


def input_size(name: str, params: TaskParams | None = None) -> int:
    params = params or TaskParams()
    _check_name(name)
    return 3 if name == "memory" else params.block.width


def concept_onsets(name: str, params: TaskParams | None = None) -> np.ndarray:
    """Zero-based step at which each concept first becomes available.

    memory: the step its sensor shows a deviation. block: size and brightness
    at step 0 (any frame shows them), direction at step 1 (it needs two frames).
    """
    params = params or TaskParams()
    _check_name(name)
    if name == "memory":
        return np.asarray(params.memory.onsets, dtype=np.int64) - 1
    return np.array([0, 1, 0], dtype=np.int64)


def parse_delay(delay) -> int | str:
    """``"3"`` or 3 -> 3; ``"random"`` stays; anything else is an error."""
    if isinstance(delay, str) and delay == "random":
        return delay
    try:
        value = int(delay)
    except (TypeError, ValueError):
        raise ValueError(f"delay must be a non-negative integer or 'random', got {delay!r}") from None
    if value < 0 or str(value) != str(delay).strip():
        raise ValueError(f"delay must be a non-negative integer or 'random', got {delay!r}")
    return value


def max_delay(delay) -> int:
    delay = parse_delay(delay)
    return max(RANDOM_DELAYS) if delay == "random" else delay


def make_task(
    name: str,
    n: int,
    delay,
    rng: np.random.Generator,
    params: TaskParams | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` sequences of a task.

    Returns ``x`` float32 (n, T, d), ``y`` float32 (n, 3) with values +-1, and
    ``t_end`` int64 (n,), the index of each sample's readout step. T is
    ``n_info + delay`` (``n_info + 5`` for the random regime).
    """
    _check_name(name)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(seed)")
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    params = params or TaskParams()
    delay = parse_delay(delay)
    n_info = n_info_steps(name, params)

    if name == "memory":
        x_info, y = _memory(n, rng, params.memory)  # (n, n_info, 3), (n, 3)
    else:
        x_info, y = _block(n, rng, params.block)  # (n, n_info, W), (n, 3)

    if delay == "random":
        delays = rng.choice(np.asarray(RANDOM_DELAYS), size=n)
        T = n_info + max(RANDOM_DELAYS)
    else:
        delays = np.full(n, delay)
        T = n_info + delay
    x = np.zeros((n, T, x_info.shape[2]), dtype=np.float32)
    x[:, :n_info] = x_info
    t_end = (n_info + delays - 1).astype(np.int64)
    return x, y.astype(np.float32), t_end


def _memory(n: int, rng: np.random.Generator, p: MemoryParams) -> tuple[np.ndarray, np.ndarray]:
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n, 3))
    lo, hi = p.magnitude
    values = signs * rng.uniform(lo, hi, size=(n, 3))
    x = np.zeros((n, max(p.onsets), 3))
    for k, onset in enumerate(p.onsets):
        x[:, onset - 1, k] = values[:, k]
    return x, signs


def _block(n: int, rng: np.random.Generator, p: BlockParams) -> tuple[np.ndarray, np.ndarray]:
    """Block frames on a ring camera; see the module docstring for why a ring."""
    if p.frames < 2:
        raise ValueError(f"block task: direction needs at least 2 frames, got frames={p.frames}")
    if max(p.sizes) > p.width - 2:
        # a block must leave at least 2 pixels dark, or a shift by +1 and by -1 look alike
        raise ValueError(f"block task: width {p.width} too small for size {max(p.sizes)} (need width >= size + 2)")
    large, rightward, bright = (rng.integers(0, 2, size=n) for _ in range(3))
    size = np.where(large, p.sizes[1], p.sizes[0])
    step = np.where(rightward, 1, -1)
    start = rng.integers(0, p.width, size=n)  # independent of the direction
    left = start[:, None] + step[:, None] * np.arange(p.frames)[None, :]  # (n, frames)
    offset = (np.arange(p.width)[None, None, :] - left[:, :, None]) % p.width  # (n, frames, W)
    on = offset < size[:, None, None]  # pixel lies within the block, around the ring
    x = on * np.where(bright, p.intensities[1], p.intensities[0])[:, None, None]
    if p.noise > 0:
        x = x + rng.normal(0.0, p.noise, size=x.shape)
    y = np.stack([large, rightward, bright], axis=1) * 2.0 - 1.0
    return x, y


def _check_name(name: str) -> None:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")
