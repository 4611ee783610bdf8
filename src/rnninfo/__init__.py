"""rnninfo: open recurrent neural networks with information theory."""

__version__ = "0.1.0"

# Public API for users' own networks and recordings (docs/api.md). Three floors:
# estimators (relay, ksg, tse) -> analyses of a trace (record, api: relays, knockout,
# PCA, flow, generalisation) -> the pipeline's stages (rnninfo.stages, rnninfo.cli).
# Loaded on first use, so `import rnninfo` imports neither torch nor pandas.
_PUBLIC = {
    "Trace": "rnninfo.recording",
    "record": "rnninfo.recording",
    "relay_table": "rnninfo.api",
    "accuracy": "rnninfo.api",
    "pca_table": "rnninfo.api",
    "flow_table": "rnninfo.api",
    "generalization_table": "rnninfo.api",
    "plot_relay": "rnninfo.api",
    "RelayBiasWarning": "rnninfo.api",
}

__all__ = ["__version__", "knockout", *_PUBLIC]


def __getattr__(name):
    if name in _PUBLIC:
        import importlib

        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rnninfo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC) | {"knockout"})


# `rnninfo.knockout` is both the public function knockout(model, x, nodes, time) and
# the pipeline's module rnninfo/knockout.py (whose import sets the package attribute).
# A property on the package's class answers both: the module, made callable as the
# function. `import rnninfo.knockout` and `rnninfo.knockout(model, ...)` both work.
import sys  # noqa: E402
import types  # noqa: E402


class _CallableKnockout(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from rnninfo.recording import knockout

        return knockout(*args, **kwargs)


class _Package(types.ModuleType):
    @property
    def knockout(self):
        import importlib

        module = self.__dict__.get("_knockout_module") or importlib.import_module("rnninfo.knockout")
        if not isinstance(module, _CallableKnockout):
            module.__class__ = _CallableKnockout
        self.__dict__["_knockout_module"] = module
        return module

    @knockout.setter
    def knockout(self, module):  # the import system sets the submodule here
        self.__dict__["_knockout_module"] = module


sys.modules[__name__].__class__ = _Package
