"""The recurrent architectures of paper A (names only: no torch import here)."""

ARCHS = ("RNN", "GRU", "LSTM")


def check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; known archs: {', '.join(ARCHS)}")
