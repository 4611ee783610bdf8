"""Training of paper A's networks: all seeds of one condition as one ensemble.

Every replicate ``seed`` and attempt ``attempt`` has its own random stream
``np.random.default_rng([root_seed, TRAIN_STREAM, seed, attempt])``, which draws its training
and validation data, its initial weights and its minibatch order. A seed trains
until its mean held-out accuracy reaches the criterion or ``max_epochs`` pass;
a seed that misses is replaced by a fresh network (next attempt) up to
``max_retries`` times. Converged seeds leave the ensemble (their parameters and
Adam moments are carried over for the rest), so a straggler trains alone: for
RNN and LSTM, once at most ``HANDOFF_SEEDS`` seeds remain, each finishes in a
compiled single-network loop (``rnninfo.straggler``) with its parameters, Adam
moments and minibatch stream handed over (same math to float tolerance),
because a small network's step in torch costs its per-op overhead, not its
arithmetic.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from rnninfo.models import Ensemble, RecurrentClassifier, init_state_dict
from rnninfo.recurrence import keep_freed_memory
from rnninfo.tasks import TaskParams, input_size, make_task

TRAIN_STREAM = 1  # keeps training draws apart from test draws (rnninfo.traces.TEST_STREAM)
HEARTBEAT_SECONDS = 30.0  # training logs its progress at least this often
# Seeds left in an ensemble at or below which each trains on alone in rnninfo.straggler (RNN, LSTM).
# Measured (memory/random, paper-scale data, 1 thread, loaded 2-core VM), an epoch of S seeds batched
# vs compiled (one network ~3.6 ms RNN, ~15 ms LSTM): RNN S=1 44 ms, S=4 57, S=10 102, S=20 148 ms;
# LSTM S=1 82 ms, S=12 268, S=20 396 ms. So at paper scale (20 seeds) every seed of these archs
# trains compiled; above 20 seeds the batched ensemble runs first (not measured there). GRU has no
# compiled path.
HANDOFF_SEEDS = {"RNN": 20, "LSTM": 20}
# Ensemble parameters in the order of rnninfo.straggler.KEYS.
ENSEMBLE_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "readout_weight", "readout_bias")


@dataclass(frozen=True)
class TrainConfig:
    lr: float = 0.01
    batch_size: int = 128
    max_epochs: int = 2000
    accuracy_criterion: float = 0.98
    max_retries: int = 5
    n_train: int = 2048
    n_valid: int = 1024
    threads: int = 1
    hidden_size: int = 12
    root_seed: int = 2024
    task_params: TaskParams = field(default_factory=TaskParams)

    @classmethod
    def from_params(cls, params: dict) -> "TrainConfig":
        """From the pipeline's parameter JSON: {seed, hidden_size, train, task_params}."""
        return cls(
            **params["train"],
            hidden_size=params["hidden_size"],
            root_seed=params["seed"],
            task_params=TaskParams.from_config(params["task_params"]),
        )


@dataclass
class SeedData:
    """One replicate's data and initial weights; tensors are (N, T, D), (N, 3), (N,)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    t_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor
    t_valid: torch.Tensor
    init: dict
    batch_rng: np.random.Generator


def seed_data(task: str, arch: str, delay, seed: int, attempt: int, cfg: TrainConfig) -> SeedData:
    rng = np.random.default_rng([cfg.root_seed, TRAIN_STREAM, seed, attempt])
    x_tr, y_tr, t_tr = make_task(task, cfg.n_train, delay, rng, cfg.task_params)
    x_va, y_va, t_va = make_task(task, cfg.n_valid, delay, rng, cfg.task_params)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    init = init_state_dict(arch, input_size(task, cfg.task_params), cfg.hidden_size, gen)
    t = torch.from_numpy
    return SeedData(t(x_tr), t(y_tr), t(t_tr), t(x_va), t(y_va), t(t_va), init, rng)


def batches(rng: np.random.Generator, n: int, batch_size: int) -> list[np.ndarray]:
    """One epoch's minibatch indices, in a fresh random order."""
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def at_readout(outputs: torch.Tensor, t_end: torch.Tensor) -> torch.Tensor:
    """Each sample's output at its own readout step: (..., B, T, 3), (..., B) -> (..., B, 3)."""
    index = t_end[..., None, None].expand(*t_end.shape, 1, outputs.shape[-1])
    return outputs.gather(-2, index).squeeze(-2)


def accuracy(answers: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-concept accuracy of sign(answer) against +-1 targets: (..., B, 3) -> (..., 3)."""
    return (torch.sign(answers) == y).float().mean(dim=-2)


def descend(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step on ``loss``."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def train_condition(
    task: str,
    arch: str,
    delay,
    seeds: list[int],
    cfg: TrainConfig,
    log: Callable[[str], None] = print,
) -> tuple[dict[int, dict], list[dict]]:
    """Train every seed of one condition; returns ({seed: state_dict}, attempt rows)."""
    models: dict[int, dict] = {}
    rows: list[dict] = []
    pending = list(seeds)
    for attempt in range(cfg.max_retries + 1):
        if not pending:
            break
        if attempt:
            log(f"restart: seeds {pending} missed the criterion; attempt {attempt} with fresh networks")
        results = train_ensemble(task, arch, delay, pending, attempt, cfg, log)
        missed = []
        for seed, (state, epochs, acc) in results.items():
            converged = bool(acc.mean() >= cfg.accuracy_criterion)
            last_chance = attempt == cfg.max_retries
            if converged or last_chance:
                models[seed] = state
            else:
                missed.append(seed)
            rows.append(
                dict(
                    seed=seed,
                    attempt=attempt,
                    epochs=epochs,
                    accuracy=float(acc.mean()),
                    **{f"accuracy_{c}": float(a) for c, a in enumerate(acc)},
                    converged=converged,
                    kept=converged or last_chance,
                    below_criterion=last_chance and not converged,
                )
            )
            if last_chance and not converged:
                log(f"seed {seed}: no network reached {cfg.accuracy_criterion} in {attempt + 1} attempts; kept the last")
        pending = missed
    rows.sort(key=lambda r: (r["seed"], r["attempt"]))
    return models, rows


def train_ensemble(
    task: str,
    arch: str,
    delay,
    seeds: list[int],
    attempt: int,
    cfg: TrainConfig,
    log: Callable[[str], None] = print,
    max_steps: int | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    handoff: int | None = None,
) -> dict[int, tuple[dict, int, np.ndarray]]:
    """One attempt for ``seeds`` trained together; {seed: (state_dict, epochs, per-concept accuracy)}.

    ``max_steps`` stops after that many optimiser steps (for tests). Every
    ``heartbeat`` seconds (checked after each epoch) a line goes to ``log``:
    epoch, seeds done, best validation accuracy so far. ``handoff``: seeds left
    at or below which each finishes alone (default ``HANDOFF_SEEDS``; 0 = never).
    """
    handoff = HANDOFF_SEEDS.get(arch, 0) if handoff is None else handoff
    keep_freed_memory()
    last_beat, best = time.monotonic(), 0.0

    def beat(epoch: int) -> None:
        nonlocal last_beat
        if time.monotonic() - last_beat >= heartbeat:
            last_beat = time.monotonic()
            log(f"attempt {attempt}, epoch {epoch}: {len(done)}/{len(seeds)} seeds done, "
                f"best validation accuracy so far {best:.4f}")

    def progress(epoch: int, accuracy: float) -> None:
        nonlocal best
        best = max(best, accuracy)
        beat(epoch)

    data = [seed_data(task, arch, delay, s, attempt, cfg) for s in seeds]
    active = list(range(len(seeds)))  # positions in `data` still training
    model = Ensemble(arch, [d.init for d in data])
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    stack = lambda name, idx: torch.stack([getattr(data[i], name) for i in idx])
    x_tr, y_tr, t_tr = (stack(n, active) for n in ("x_train", "y_train", "t_train"))  # (S, N, ...)
    x_va, y_va, t_va = (stack(n, active) for n in ("x_valid", "y_valid", "t_valid"))
    done: dict[int, tuple[dict, int, np.ndarray]] = {}
    steps = 0
    for epoch in range(1, cfg.max_epochs + 1):
        if len(active) <= handoff and max_steps is None:
            log(f"epoch {epoch}: {len(active)} seed(s) continue alone (compiled single-network steps)")
            for k, i in enumerate(active):
                done[seeds[i]] = _finish_alone(model, opt, k, data[i], epoch - 1, cfg, progress)
            break
        per_seed = [batches(data[i].batch_rng, cfg.n_train, cfg.batch_size) for i in active]
        for b in range(len(per_seed[0])):
            idx = torch.from_numpy(np.stack([p[b] for p in per_seed]))  # (S, B)
            rows = torch.arange(len(active))[:, None]
            answers = model.answers(x_tr[rows, idx], t_tr[rows, idx])  # (S, B, 3)
            # Sum of per-seed means: each seed's gradient is its own loss's gradient.
            descend(opt, ((answers - y_tr[rows, idx]) ** 2).mean(dim=(1, 2)).sum())
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        with torch.no_grad():
            acc = accuracy(validation_answers(model, x_va, t_va, cfg.batch_size), y_va).numpy()  # (S, 3)
        finished = [
            k for k in range(len(active))
            if acc[k].mean() >= cfg.accuracy_criterion or epoch == cfg.max_epochs or max_steps is not None
        ]
        for k in finished:
            done[seeds[active[k]]] = (model.state_dict_of(k), epoch, acc[k].astype(np.float64))
        best = max(best, float(acc.mean(axis=1).max()))
        beat(epoch)
        if finished:
            keep = [k for k in range(len(active)) if k not in finished]
            if keep:
                log(f"epoch {epoch}: {len(finished)} seed(s) done, {len(keep)} still training")
            if not keep:
                break
            model, opt = _subset(model, opt, keep, cfg.lr)
            active = [active[k] for k in keep]
            x_tr, y_tr, t_tr, x_va, y_va, t_va = (a[keep] for a in (x_tr, y_tr, t_tr, x_va, y_va, t_va))
        if max_steps is not None:
            break
    return {s: done[s] for s in seeds}


def _finish_alone(model: Ensemble, opt: torch.optim.Adam, k: int, d: SeedData, epoch: int, cfg: TrainConfig,
                  progress: Callable[[int, float], None]):
    """Seed ``k`` of an RNN or LSTM ensemble after ``epoch`` epochs, trained on alone (rnninfo.straggler).

    Its parameters, Adam moments and step count and its minibatch stream carry
    over, so it follows the trajectory it would follow in the ensemble (to float
    tolerance) under the same stopping rule. ``progress(epoch, mean accuracy)``
    runs after every epoch. Returns (state_dict, epochs, accuracy).
    """
    from rnninfo import straggler

    params = [getattr(model, name) for name in ENSEMBLE_PARAMS]
    theta = straggler.pack([p[k].detach().numpy() for p in params])
    moment = lambda p, key: opt.state[p][key][k].numpy() if p in opt.state else np.zeros(p.shape[1:])
    m = straggler.pack([moment(p, "exp_avg") for p in params])
    v = straggler.pack([moment(p, "exp_avg_sq") for p in params])
    step = int(opt.state[params[0]]["step"].item()) if params[0] in opt.state else 0
    group = opt.param_groups[0]
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    D, H, G = d.x_train.shape[2], model.hidden_size, straggler.GATES[model.arch]
    x, y, t_end = (a.numpy() for a in (d.x_train, d.y_train, d.t_train))
    x_va, t_va, y_va = d.x_valid.numpy(), d.t_valid.numpy(), d.y_valid.numpy()
    while epoch < cfg.max_epochs:
        epoch += 1
        order = batches(d.batch_rng, cfg.n_train, cfg.batch_size)
        index = np.zeros((len(order), cfg.batch_size), dtype=np.int64)  # (n_batches, B), padded
        for b, rows in enumerate(order):
            index[b, : len(rows)] = rows
        sizes = np.array([len(rows) for rows in order], dtype=np.int64)
        step = straggler.train_epoch(theta, m, v, step, x, y, t_end, index, sizes, lr, beta1, beta2, eps, D, H, G)
        answers = straggler.answers(theta, x_va, t_va, D, H, G)  # (N, 3)
        acc = (np.sign(answers) == y_va).astype(np.float32).mean(axis=0)  # (3,), as `accuracy`
        progress(epoch, float(acc.mean()))
        if acc.mean() >= cfg.accuracy_criterion:
            break
    state = {key: torch.from_numpy(a) for key, a in zip(straggler.KEYS, straggler.unpack(theta, D, H, G))}
    return state, epoch, acc.astype(np.float64)


def validation_answers(model: Ensemble, x: torch.Tensor, t_end: torch.Tensor, chunk: int) -> torch.Tensor:
    """``model.answers`` over (S, N, T, D) in chunks of ``chunk`` samples: the same numbers, but
    small buffers that stay in the allocator's reuse instead of fresh pages every epoch."""
    return torch.cat([model.answers(x[:, i : i + chunk], t_end[:, i : i + chunk])
                      for i in range(0, x.shape[1], chunk)], dim=1)


def _subset(model: Ensemble, opt: torch.optim.Adam, keep: list[int], lr: float):
    """The ensemble restricted to positions ``keep``, with their Adam state carried over."""
    small = Ensemble(model.arch, [model.state_dict_of(k) for k in keep])
    small_opt = torch.optim.Adam(small.parameters(), lr=lr)
    for old, new in zip(model.parameters(), small.parameters()):
        state = opt.state[old]
        small_opt.state[new] = {
            "step": state["step"].clone(),
            "exp_avg": state["exp_avg"][keep].clone(),
            "exp_avg_sq": state["exp_avg_sq"][keep].clone(),
        }
    return small, small_opt


def train_plain(
    task: str,
    arch: str,
    delay,
    seed: int,
    attempt: int,
    cfg: TrainConfig,
    max_steps: int | None = None,
) -> tuple[dict, int, np.ndarray]:
    """The same seed trained alone with the plain torch.nn module (reference and benchmark)."""
    d = seed_data(task, arch, delay, seed, attempt, cfg)
    model = RecurrentClassifier(arch, d.x_train.shape[2], cfg.hidden_size)
    model.load_state_dict(d.init)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps = 0
    for epoch in range(1, cfg.max_epochs + 1):
        for idx in batches(d.batch_rng, cfg.n_train, cfg.batch_size):
            idx = torch.from_numpy(idx)
            out, _ = model(d.x_train[idx])
            descend(opt, ((at_readout(out, d.t_train[idx]) - d.y_train[idx]) ** 2).mean())
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        with torch.no_grad():
            acc = accuracy(at_readout(model(d.x_valid)[0], d.t_valid), d.y_valid).numpy()
        if acc.mean() >= cfg.accuracy_criterion or max_steps is not None:
            break
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, epoch, acc.astype(np.float64)
