"""Stage `traces`: state traces of every seed of one condition (see rnninfo.traces)."""

from __future__ import annotations

import torch

from rnninfo.stages._condition import condition_parser, parse_condition
from rnninfo.io import parse_json_arg, save_npz_compressed
from rnninfo.models import load_model
from rnninfo.tasks import TaskParams, input_size
from rnninfo.traces import STATES, record_traces


def main(argv: list[str]) -> int:
    ap = condition_parser("traces", __doc__)
    ap.add_argument("--models", nargs="+", required=True)
    ap.add_argument("--traces", nargs="+", required=True)
    ap.add_argument("--params", required=True, help="JSON: seed, hidden_size, task_params, n_test, eval_delays")
    args = parse_condition(ap, argv, "models", "traces")
    p = parse_json_arg(args.params)
    torch.set_num_threads(1)
    params = TaskParams.from_config(p["task_params"])
    d = input_size(args.task, params)
    states = [load_model(m, args.arch, d, p["hidden_size"]).state_dict() for m in args.models]
    traces = record_traces(
        args.task, args.arch, args.delay, args.seeds, states,
        root_seed=p["seed"], n_test=p["n_test"], eval_delays=p["eval_delays"], params=params,
    )
    for trace, path in zip(traces, args.traces):
        save_npz_compressed(path, stored=STATES, **trace)
    print(f"wrote {len(traces)} traces", flush=True)
    return 0
