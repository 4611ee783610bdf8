"""Record the hidden states of any PyTorch recurrent model: `record`, `Trace`, `knockout`.

**Which units.** `record` finds every ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` inside
a module (``model.named_modules()``, any attribute names), or the ones named in
``layers``. ``Trace.hidden`` concatenates their units along the last axis in this
documented order:

    recurrent modules in ``named_modules()`` order (or the order of ``layers``)
      -> stacked layer 0, 1, ..., num_layers - 1
        -> direction forward, then backward (bidirectional modules)
          -> unit 0 .. hidden_size - 1 (proj_size for a projected LSTM)

``Trace.units`` names every column (``"<module>.l<layer>[.rev]:<unit>"``) and
``Trace.layers`` gives each block's start and stop column.

**How.** A forward hook on each recurrent module captures its input and initial
state while the model runs once (in eval mode, without gradients; the mode is
restored afterwards). The per-step states of every stacked layer, which the
modules return only for the top layer, are then recomputed step by step from the
module's own weights (`_run_module`) and checked against the module's own output
and final state (every layer's last step): a mismatch above ``1e-4`` is an error,
never a silent difference. A module called several times in one forward pass
(a model that steps an ``nn.GRU`` one time step per call) contributes its calls
concatenated along time.

**Custom cells.** A model without those modules is recorded with ``step_fn``:
``step_fn(model, x)`` (x a float32 tensor [batch, T, d]) returns the hidden state
per step, either one tensor/array [batch, T, N] or a list of T tensors [batch, N],
or a dict with key ``"hidden"`` and optional ``"outputs"`` and ``"cell"``.

**Knockout.** `knockout` holds chosen units at 0 from step ``time`` on (the state at
step ``time`` and every later one, so steps ``time + 1, ...`` receive the zeroed
state), by a forward hook that replaces each recurrent module's output with the
same step-by-step recomputation under the mask. The model's class, parameters
and buffers are untouched; the hooks are removed afterwards.

**File format** (`Trace.save` / `Trace.load`, an uncompressed ``.npz`` that numpy
alone can write; loading refuses pickles)::

    key          required  dtype            shape
    hidden       yes       float (-> f32)   [batch, T, N]        every unit at every step
    x            no        float (-> f32)   [batch, T_x, d]      the inputs
    outputs      no        float (-> f32)   [batch, ...]         the model's outputs
    cell         no        float (-> f32)   [batch, T, N_cell]   LSTM cell states
    units        no        str (unicode)    [N]                  a name per hidden column
    version      no        int              []                   format version, 1

A writer from JAX, TensorFlow or a recording rig needs only
``np.savez(path, hidden=h)`` (plus any optional key). Unknown keys are an error
naming them, so a misspelt optional key is never silently dropped.

torch is imported inside the functions that need it: ``import rnninfo.recording``
does not import torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from rnninfo.io import atomic_path

__all__ = ["Trace", "record", "knockout", "find_recurrent", "TRACE_KEYS", "TRACE_VERSION"]

TRACE_VERSION = 1
TRACE_KEYS = ("hidden", "x", "outputs", "cell", "units", "version")
CHECK_ATOL = 1e-4
"""Largest difference allowed between the recomputed states and the module's own output."""


# --------------------------------------------------------------------------- the trace


def _float_array(value, key: str, ndim: int | None, shape_doc: str) -> np.ndarray:
    a = np.asarray(value)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"trace key {key!r}: expected a numeric array {shape_doc}, found dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"trace key {key!r}: expected shape {shape_doc}, found shape {a.shape}")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError(f"trace key {key!r}: {int((~np.isfinite(a)).sum())} NaN/inf value(s)")
    return a


@dataclass
class Trace:
    """Hidden states of a recurrent network (or a recording) at every step.

    ``hidden`` float32 [batch, T, N]; ``x`` float32 [batch, T_x, d] or None;
    ``outputs`` float32 [batch, ...] or None; ``cell`` float32 [batch, T, N_cell]
    or None (LSTM); ``units`` a name per hidden column; ``layers`` one dict per
    block of columns (module, layer, direction, kind, start, stop).
    """

    hidden: np.ndarray
    outputs: np.ndarray | None = None
    x: np.ndarray | None = None
    cell: np.ndarray | None = None
    units: list[str] | None = None
    layers: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.hidden = _float_array(self.hidden, "hidden", 3, "[batch, T, N]")
        b, T, N = self.hidden.shape
        if b < 1 or T < 1 or N < 1:
            raise ValueError(f"trace key 'hidden': expected a non-empty [batch, T, N], found shape {self.hidden.shape}")
        if self.x is not None:
            self.x = _float_array(self.x, "x", 3, "[batch, T_x, d]")
            if self.x.shape[0] != b:
                raise ValueError(f"trace key 'x': expected batch {b} (as hidden), found shape {self.x.shape}")
        if self.outputs is not None:
            self.outputs = _float_array(self.outputs, "outputs", None, "[batch, ...]")
            if self.outputs.ndim < 1 or self.outputs.shape[0] != b:
                raise ValueError(
                    f"trace key 'outputs': expected shape [batch={b}, ...], found shape {self.outputs.shape}"
                )
        if self.cell is not None:
            self.cell = _float_array(self.cell, "cell", 3, f"[batch={b}, T={T}, N_cell]")
            if self.cell.shape[:2] != (b, T):
                raise ValueError(f"trace key 'cell': expected shape [{b}, {T}, N_cell], found shape {self.cell.shape}")
        if self.units is None:
            self.units = [str(j) for j in range(N)]
        self.units = [str(u) for u in self.units]
        if len(self.units) != N:
            raise ValueError(f"trace key 'units': expected shape [{N}], found shape [{len(self.units)}]")

    @property
    def n_units(self) -> int:
        return int(self.hidden.shape[2])

    def save(self, path: str | os.PathLike) -> None:
        """Write the documented ``.npz`` format (see module doc), atomically."""
        arrays: dict[str, np.ndarray] = {"hidden": self.hidden, "version": np.asarray(TRACE_VERSION)}
        for key in ("x", "outputs", "cell"):
            if getattr(self, key) is not None:
                arrays[key] = getattr(self, key)
        arrays["units"] = np.asarray(self.units, dtype=str)
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Trace":
        """Read a trace ``.npz``; refuses pickled (object) arrays; errors name the key and shapes."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Trace.load: {path} does not exist")
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as err:  # a pickled .npy
            raise ValueError(f"Trace.load: {path}: holds Python objects (a pickle); expected an .npz of arrays") from err
        except (OSError, EOFError) as err:
            raise ValueError(f"Trace.load: {path} is not a readable .npz file ({err})") from err
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(
                f"Trace.load: {path} holds a single array (shape {np.shape(data)}), not an .npz with key 'hidden'; "
                "write np.savez(path, hidden=h)"
            )
        try:
            with data:
                arrays = {}
                for k in data.files:
                    try:
                        arrays[k] = data[k]
                    except ValueError as err:  # object arrays need pickle
                        raise ValueError(
                            f"Trace.load: {path}: key {k!r} holds Python objects (a pickle); "
                            "store numeric arrays (and units as a unicode array)"
                        ) from err
        except (OSError, EOFError) as err:
            raise ValueError(f"Trace.load: {path} is not a readable .npz file ({err})") from err
        unknown = sorted(set(arrays) - set(TRACE_KEYS))
        if unknown:
            raise ValueError(f"Trace.load: {path}: unknown key(s) {unknown}; allowed keys {list(TRACE_KEYS)}")
        if "hidden" not in arrays:
            raise ValueError(f"Trace.load: {path}: missing required key 'hidden' [batch, T, N]")
        version = int(arrays.pop("version", TRACE_VERSION))
        if version != TRACE_VERSION:
            raise ValueError(f"Trace.load: {path}: format version {version}, this rnninfo reads {TRACE_VERSION}")
        units = arrays.pop("units", None)
        if units is not None:
            if units.dtype.kind not in "US" or units.ndim != 1:
                raise ValueError(
                    f"trace key 'units': expected a 1-D string array [N], found dtype {units.dtype} shape {units.shape}"
                )
            units = [str(u) for u in units]
        try:
            return cls(units=units, **arrays)
        except ValueError as err:
            raise ValueError(f"Trace.load: {path}: {err}") from None


# --------------------------------------------------------------------------- input checks


def _as_input(x, name: str = "x"):
    """x as a float32 tensor [batch, T, d]; errors name the argument and shapes."""
    import torch

    if isinstance(x, torch.Tensor):
        if x.requires_grad:
            raise ValueError(
                f"{name}: the tensor requires grad; pass {name}.detach() (recording and knockouts need no gradients)"
            )
        t = x.detach()
    else:
        a = np.asarray(x)
        if a.dtype == object or not np.issubdtype(a.dtype, np.number):
            raise ValueError(f"{name}: expected a numeric tensor or array [batch, T, d], found dtype {a.dtype}")
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    if t.ndim != 3:
        raise ValueError(f"{name}: expected shape [batch, T, d] (3 axes), found shape {tuple(t.shape)}")
    if min(t.shape) < 1:
        raise ValueError(f"{name}: expected a non-empty [batch, T, d], found shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name}: contains NaN or inf")
    return t.to(torch.float32) if t.is_floating_point() else t.float()


def _on_device(model, xt):
    """x on the device (and dtype) of the model's first parameter, if it has one."""
    param = next(iter(model.parameters()), None)
    return xt if param is None else xt.to(device=param.device, dtype=param.dtype)


def find_recurrent(model, layers: Sequence[str] | None = None) -> list[tuple[str, Any]]:
    """The (name, module) pairs of the nn.RNN / nn.GRU / nn.LSTM modules to record."""
    import torch.nn as nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, found {type(model).__name__}")
    kinds = (nn.RNN, nn.GRU, nn.LSTM)
    found = [(name, m) for name, m in model.named_modules() if isinstance(m, kinds)]
    if layers is not None:
        if isinstance(layers, str):
            layers = [layers]
        by_name = dict(found)
        missing = [n for n in layers if n not in by_name]
        if missing:
            raise ValueError(
                f"layers: {missing} are not nn.RNN/nn.GRU/nn.LSTM modules of the model; "
                f"its recurrent modules are {[n or '<model>' for n, _ in found]}"
            )
        found = [(n, by_name[n]) for n in layers]
    if not found:
        raise ValueError(
            f"model: {type(model).__name__} contains no nn.RNN / nn.GRU / nn.LSTM module; "
            "for a custom cell pass step_fn(model, x) returning the hidden state per step"
        )
    return found


def _kind(m) -> str:
    import torch.nn as nn

    if isinstance(m, nn.LSTM):
        return "LSTM"
    if isinstance(m, nn.GRU):
        return "GRU"
    return "RNN_RELU" if m.nonlinearity == "relu" else "RNN_TANH"


# --------------------------------------------------------------------------- step-by-step recomputation


def _unit_size(m) -> int:
    return int(getattr(m, "proj_size", 0) or m.hidden_size)


def _direction_step(m, kind, layer, direction, inp, h, c, mask, t0, time):
    """One direction of one stacked layer over a sequence, step by step.

    inp [batch, T, in]; h [batch, H_out]; c [batch, H] or None. ``mask`` [H_out]
    (1 keep / 0 knocked out) applies at global steps >= ``time`` (``t0`` = global
    index of inp's first step). Returns outputs [batch, T, H_out], cells or None,
    final h, final c.
    """
    import torch

    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    w_ih = getattr(m, "weight_ih" + sfx)
    w_hh = getattr(m, "weight_hh" + sfx)
    b_ih = getattr(m, "bias_ih" + sfx) if m.bias else None
    b_hh = getattr(m, "bias_hh" + sfx) if m.bias else None
    w_hr = getattr(m, "weight_hr" + sfx, None) if getattr(m, "proj_size", 0) else None
    T = inp.shape[1]
    steps = range(T - 1, -1, -1) if direction else range(T)
    outs: list = [None] * T
    cells: list = [None] * T
    gi_all = inp @ w_ih.T  # [batch, T, gates]
    if b_ih is not None:
        gi_all = gi_all + b_ih
    for s in steps:
        gi = gi_all[:, s]
        gh = h @ w_hh.T
        if b_hh is not None:
            gh = gh + b_hh
        if kind == "LSTM":
            i, f, g, o = (gi + gh).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            if w_hr is not None:
                h = h @ w_hr.T
        elif kind == "GRU":
            r_i, z_i, n_i = gi.chunk(3, dim=1)
            r_h, z_h, n_h = gh.chunk(3, dim=1)
            r = torch.sigmoid(r_i + r_h)
            z = torch.sigmoid(z_i + z_h)
            n = torch.tanh(n_i + r * n_h)
            h = (1 - z) * n + z * h
        else:
            pre = gi + gh
            h = torch.tanh(pre) if kind == "RNN_TANH" else torch.relu(pre)
        if mask is not None and t0 + s >= time:
            h = h * mask
        outs[s] = h
        cells[s] = c
    out = torch.stack(outs, dim=1)
    cell = torch.stack(cells, dim=1) if kind == "LSTM" else None
    return out, cell, h, c


def _run_module(m, args, masks=None, t0: int = 0, time: int = 0):
    """Recompute one call of a recurrent module step by step.

    ``args`` the call's positional arguments (input, optional hx). Returns
    (output as the module returns it, per-layer-direction hidden list
    [batch, T, H_out], per-layer-direction cell list or None, T).
    ``masks`` (optional) a list with one [H_out] tensor per (layer, direction).
    """
    import torch
    from torch.nn.utils.rnn import PackedSequence

    inp = args[0]
    if isinstance(inp, PackedSequence):
        raise ValueError("record/knockout: packed sequences are not supported; pass padded tensors")
    hx = args[1] if len(args) > 1 else None
    kind = _kind(m)
    unbatched = inp.dim() == 2
    if unbatched:
        inp = inp.unsqueeze(0) if m.batch_first else inp.unsqueeze(1)
    if not m.batch_first:
        inp = inp.transpose(0, 1)  # [batch, T, in]
    batch, T = inp.shape[:2]
    D = 2 if m.bidirectional else 1
    H_out = _unit_size(m)
    if hx is None:
        h0 = inp.new_zeros(m.num_layers * D, batch, H_out)
        c0 = inp.new_zeros(m.num_layers * D, batch, m.hidden_size) if kind == "LSTM" else None
    else:
        h0, c0 = hx if kind == "LSTM" else (hx, None)
        if unbatched:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None
    layer_in = inp
    hiddens, cells, h_n, c_n = [], [], [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            mask = masks[k] if masks is not None else None
            o, c, hl, cl = _direction_step(
                m, kind, layer, d, layer_in, h0[k], c0[k] if c0 is not None else None, mask, t0, time
            )
            outs.append(o)
            hiddens.append(o)
            cells.append(c)
            h_n.append(hl)
            c_n.append(cl)
        layer_in = torch.cat(outs, dim=2) if D == 2 else outs[0]
        if m.training and m.dropout and layer < m.num_layers - 1:
            raise ValueError("record/knockout: module in training mode with dropout; call model.eval()")
    out = layer_in if m.batch_first else layer_in.transpose(0, 1)
    hn = torch.stack(h_n)
    cn = torch.stack(c_n) if kind == "LSTM" else None
    if unbatched:
        out = out.squeeze(0) if m.batch_first else out.squeeze(1)
        hn = hn.squeeze(1)
        cn = cn.squeeze(1) if cn is not None else None
    result = (out, (hn, cn)) if kind == "LSTM" else (out, hn)
    return result, hiddens, (cells if kind == "LSTM" else None), T


def _max_diff(a, b) -> float:
    if isinstance(a, tuple):
        return max(_max_diff(u, v) for u, v in zip(a, b))
    return float((a - b).abs().max()) if a.numel() else 0.0


class _Capture:
    """Forward hooks that keep every call's arguments and output."""

    def __init__(self, modules):
        self.calls = {name: [] for name, _ in modules}
        self.handles = [
            m.register_forward_hook(self._hook(name), with_kwargs=True) for name, m in modules
        ]

    def _hook(self, name):
        def hook(module, args, kwargs, output):
            if kwargs:
                args = tuple(args) + tuple(kwargs.values())
            self.calls[name].append((tuple(args), output))

        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def _to_numpy_outputs(out):
    """The model's output as a float32 array: a tensor, or the first tensor of a tuple/list/dict."""
    import torch

    if isinstance(out, torch.Tensor):
        return out.detach().cpu().float().numpy()
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (tuple, list)):
        for v in out:
            if isinstance(v, torch.Tensor):
                return v.detach().cpu().float().numpy()
    return None


class _EvalMode:
    """Put the model in eval mode and restore every submodule's mode afterwards."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.modes = {m: m.training for m in self.model.modules()}
        self.model.eval()

    def __exit__(self, *exc):
        for m, mode in self.modes.items():
            m.training = mode


def _layout(modules, counts) -> tuple[list[str], list[dict]]:
    units, layers, start = [], [], 0
    for name, m in modules:
        D = 2 if m.bidirectional else 1
        H = _unit_size(m)
        for layer in range(m.num_layers):
            for d in range(D):
                tag = f"{name or 'model'}.l{layer}" + (".rev" if d else "")
                units += [f"{tag}:{j}" for j in range(H)]
                layers.append(
                    dict(module=name, layer=layer, direction=d, kind=_kind(m), start=start, stop=start + H)
                )
                start += H
    return units, layers


def record(model, x, layers: Sequence[str] | None = None, step_fn: Callable | None = None) -> Trace:
    """Run ``model`` on ``x`` once and return a `Trace` of every recurrent unit at every step.

    model: a torch ``nn.Module`` containing ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``
    modules (or any model, with ``step_fn``); ``model(x)`` must run with x as its
    only argument (wrap it otherwise). x is moved to the device and dtype of the
    model's parameters. x: tensor or array [batch, T, d]
    (not requiring grad). layers: names (as in ``model.named_modules()``) of
    the recurrent modules to record, in the order wanted; default all.
    step_fn: for custom cells, ``step_fn(model, x)`` (see module doc).

    Returns a `Trace`: ``hidden`` [batch, T, N] float32 in the documented order,
    ``outputs`` the model's output for x (first tensor if it returns a tuple),
    ``cell`` for LSTM modules (all recorded modules must be LSTMs), ``x``.
    """
    import torch

    xt = _as_input(x)
    if step_fn is not None:
        return _record_custom(model, _on_device(model, xt), step_fn)
    modules = find_recurrent(model, layers)
    xt = _on_device(model, xt)
    cap = _Capture(modules)
    try:
        with torch.no_grad(), _EvalMode(model):
            out = model(xt)
            hidden_blocks, cell_blocks, T_seen = [], [], {}
            for name, m in modules:
                calls = cap.calls[name]
                if not calls:
                    raise ValueError(f"record: recurrent module {name!r} was not called by model.forward")
                per_call_h, per_call_c = [], []
                for args, output in calls:
                    result, hiddens, cells, T = _run_module(m, args)
                    diff = _max_diff(result[0], output[0])
                    diff = max(diff, _max_diff(result[1], output[1]))
                    if diff > CHECK_ATOL:
                        raise RuntimeError(
                            f"record: recomputed states of {name!r} differ from the module's own output by {diff:.3g}"
                        )
                    per_call_h.append(torch.cat(hiddens, dim=2))
                    if cells is not None:
                        per_call_c.append(torch.cat(cells, dim=2))
                h = torch.cat(per_call_h, dim=1)  # calls along time
                T_seen[name] = h.shape[1]
                hidden_blocks.append(h)
                if per_call_c:
                    cell_blocks.append(torch.cat(per_call_c, dim=1))
    finally:
        cap.remove()
    if len(set(T_seen.values())) > 1:
        raise ValueError(
            f"record: the recurrent modules ran different numbers of steps {T_seen}; "
            "record them separately with layers=[name]"
        )
    hidden = torch.cat(hidden_blocks, dim=2).cpu().float().numpy()
    cell = torch.cat(cell_blocks, dim=2).cpu().float().numpy() if len(cell_blocks) == len(hidden_blocks) else None
    units, lay = _layout(modules, None)
    return Trace(hidden=hidden, outputs=_to_numpy_outputs(out), x=xt.cpu().float().numpy(), cell=cell, units=units,
                 layers=lay)


def _record_custom(model, xt, step_fn) -> Trace:
    import torch

    with torch.no_grad(), _EvalMode(model):
        res = step_fn(model, xt)
        outputs, cell = None, None
        if isinstance(res, dict):
            if "hidden" not in res:
                raise ValueError("step_fn: a dict result needs the key 'hidden'")
            outputs, cell = res.get("outputs"), res.get("cell")
            res = res["hidden"]
        if outputs is None:
            outputs = model(xt)

    def as_np(v, what):
        if isinstance(v, (list, tuple)):
            if not v:
                raise ValueError(f"step_fn: {what} is an empty list")
            v = [u.detach().cpu().float().numpy() if isinstance(u, torch.Tensor) else np.asarray(u) for u in v]
            shapes = {u.shape for u in v}
            if len(shapes) != 1 or v[0].ndim != 2:
                raise ValueError(f"step_fn: {what} per step must be [batch, N] each, found shapes {sorted(shapes)}")
            return np.stack(v, axis=1)
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu().float().numpy()
        v = np.asarray(v)
        if v.ndim != 3:
            raise ValueError(f"step_fn: {what} must be [batch, T, N] or a list of [batch, N], found shape {v.shape}")
        return v

    hidden = as_np(res, "hidden")
    if hidden.shape[0] != xt.shape[0]:
        raise ValueError(f"step_fn: hidden has batch {hidden.shape[0]}, x has batch {xt.shape[0]}")
    return Trace(
        hidden=hidden,
        outputs=_to_numpy_outputs(outputs),
        x=xt.cpu().float().numpy(),
        cell=as_np(cell, "cell") if cell is not None else None,
    )


# --------------------------------------------------------------------------- knockout


def _check_nodes(nodes, n_units: int) -> list[int]:
    out = []
    for v in np.atleast_1d(np.asarray(nodes)).tolist() if not isinstance(nodes, (list, tuple)) else nodes:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"nodes: expected integer unit indices, found {v!r}")
        if not 0 <= int(v) < n_units:
            raise ValueError(f"nodes: unit {v} out of range 0..{n_units - 1} (the model has {n_units} recurrent units)")
        out.append(int(v))
    if len(set(out)) != len(out):
        raise ValueError(f"nodes: an index repeats in {out}")
    return sorted(out)


def knockout(model, x, nodes: Sequence[int], time: int = 0, layers: Sequence[str] | None = None):
    """The model's outputs for ``x`` with units ``nodes`` held at 0 from step ``time`` on.

    nodes: column indices of `record`'s ``Trace.hidden`` (the same module and
    layer order; pass the same ``layers``). time: zero-based step; the state at
    ``time`` and every later step is zeroed (so ``time = 0`` silences the units
    throughout). For an LSTM the hidden state is held at 0; a unit's cell state
    reaches the network only through its own hidden state, so zeroing the cell
    as well would change nothing. Returns the outputs as
    numpy (first tensor of a tuple), like ``Trace.outputs``. The model runs in
    eval mode without gradients; its modes, parameters and buffers are unchanged
    afterwards and the hooks are removed.
    """
    import torch

    if isinstance(time, (bool, np.bool_)) or not isinstance(time, (int, np.integer)) or time < 0:
        raise ValueError(f"time: expected an integer step >= 0, found {time!r}")
    xt = _as_input(x)
    modules = find_recurrent(model, layers)
    xt = _on_device(model, xt)
    units, lay = _layout(modules, None)
    chosen = set(_check_nodes(nodes, len(units)))
    # one [H_out] keep-mask per (module, layer, direction)
    masks: dict[str, list] = {name: [] for name, _ in modules}
    for block in lay:
        keep = torch.ones(block["stop"] - block["start"], device=xt.device, dtype=xt.dtype)
        for j in range(block["start"], block["stop"]):
            if j in chosen:
                keep[j - block["start"]] = 0.0
        masks[block["module"]].append(keep)
    steps = {name: 0 for name, _ in modules}
    handles = []

    def make_hook(name, m):
        def hook(module, args, kwargs, output):
            if kwargs:
                args = tuple(args) + tuple(kwargs.values())
            result, _, _, T = _run_module(module, args, masks[name], t0=steps[name], time=int(time))
            steps[name] += T
            return result

        return hook

    try:
        for name, m in modules:
            handles.append(m.register_forward_hook(make_hook(name, m), with_kwargs=True))
        with torch.no_grad(), _EvalMode(model):
            out = model(xt)
    finally:
        for h in handles:
            h.remove()
    return _to_numpy_outputs(out)
