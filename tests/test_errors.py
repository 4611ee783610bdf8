"""Broken result files end a stage with a message naming the file, the problem and the remedy.

One test per file kind the pipeline reads back: trace / activation arrays (.npz),
model files (.pt) and tables (.tsv). Each writes a real file, cuts it short (or
swaps its format) and checks the message, not just that something failed.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from rnninfo.io import load_npz, read_tsv, save_npz, save_torch, write_tsv

REMEDY = "--forcerun"


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _assert_named(message: str, path, problem: str):
    assert str(path) in message, message
    assert problem in message, message
    assert "delete it and run snakemake again" in message and f"{REMEDY} {path}" in message, message


def test_truncated_npz_names_the_file_and_the_remedy(tmp_path):
    from rnninfo.stages import generalization
    from rnninfo.traces import read_trace

    good = tmp_path / "seed1.npz"
    save_npz(good, x=np.zeros((4, 3, 2), np.float32), t_end=np.arange(4))
    assert set(load_npz(good)) == {"x", "t_end"}

    bad = tmp_path / "seed0.npz"
    save_npz(bad, x=np.zeros((400, 30, 2), np.float32))
    _truncate(bad)
    with pytest.raises(SystemExit) as err:
        load_npz(bad)
    _assert_named(str(err.value), bad, "truncated")
    assert "BadZipFile" in str(err.value)

    # the stage readers add their name; the seed's file is the one named
    with pytest.raises(SystemExit) as err:
        read_trace(bad, "relay")
    assert str(err.value).startswith("relay: trace ")
    _assert_named(str(err.value), bad, "truncated")
    with pytest.raises(SystemExit) as err:
        generalization.main(["--task", "memory", "--arch", "RNN", "--delay", "2", "--seeds", "0", "1",
                             "--traces", str(bad), str(good), "--out", str(tmp_path / "out.tsv")])
    _assert_named(str(err.value), bad, "truncated")

    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(SystemExit) as err:
        load_npz(empty)
    _assert_named(str(err.value), empty, "empty or truncated")

    with pytest.raises(SystemExit) as err:  # a complete file without the arrays a trace needs
        read_trace(good, "knockout")
    _assert_named(str(err.value), good, "lacks ['y', 'hidden', 'outputs', 'n_info']")

    npy = tmp_path / "plain.npz"
    np.save(npy.with_suffix(".npy"), np.zeros(3))
    npy.with_suffix(".npy").rename(npy)
    with pytest.raises(SystemExit) as err:
        load_npz(npy)
    _assert_named(str(err.value), npy, "not an .npz archive")

    with pytest.raises(SystemExit, match="does not exist; run snakemake"):
        load_npz(tmp_path / "nope.npz")


def test_truncated_model_file_names_the_file_and_the_remedy(tmp_path):
    import torch

    from rnninfo.models import RecurrentClassifier, load_model

    model = RecurrentClassifier("GRU", 3, 12)
    path = tmp_path / "seed0.pt"
    save_torch(model.state_dict(), path)
    loaded = load_model(path, "GRU", 3, 12)
    x = torch.ones(2, 5, 3)
    assert torch.equal(loaded(x)[0], model(x)[0])

    _truncate(path)
    with pytest.raises(SystemExit) as err:
        load_model(path, "GRU", 3, 12)
    _assert_named(str(err.value), path, "truncated or not a torch model file")
    assert "PytorchStreamReader" in str(err.value)  # torch's reason, first sentence only

    other = tmp_path / "other.pt"
    save_torch(model.state_dict(), other)
    with pytest.raises(SystemExit) as err:  # a whole file, written for another configuration
        load_model(other, "GRU", 3, 20)
    _assert_named(str(err.value), other, "does not fit a GRU with input_size 3, hidden_size 20")

    garbage = tmp_path / "garbage.pt"
    garbage.write_text("not a model\n")
    with pytest.raises(pickle.UnpicklingError) as err:  # refused, never unpickled
        load_model(garbage, "GRU", 3, 12)
    _assert_named(str(err.value), garbage, "refused: not a plain tensor file")


def test_broken_table_names_the_file_and_the_remedy(tmp_path):
    path = tmp_path / "training.tsv"
    table = pd.DataFrame({"seed": [0, 1, 2], "accuracy": [0.5, 0.99, 0.25]})
    write_tsv(table, path)
    pd.testing.assert_frame_equal(read_tsv(path, columns=["seed"]), table)

    with pytest.raises(SystemExit) as err:
        read_tsv(path, columns=["seed", "epochs"])
    _assert_named(str(err.value), path, "lacks column(s) ['epochs']")

    data = path.read_bytes()
    path.write_bytes(data[:-4])  # cut inside the last row: pandas alone would read a NaN
    with pytest.raises(SystemExit) as err:
        read_tsv(path)
    _assert_named(str(err.value), path, "truncated table")

    path.write_bytes(b"")
    with pytest.raises(SystemExit) as err:
        read_tsv(path)
    _assert_named(str(err.value), path, "empty file")

    path.write_bytes(b"seed\taccuracy\n0\t0.5\n1\t0.9\t7\t8\n")  # more fields than the header
    with pytest.raises(SystemExit) as err:
        read_tsv(path)
    _assert_named(str(err.value), path, "not a tab-separated table")
