"""Stage ``weather_baselines``: test error of persistence, linear regression and the training mean.

Tidy table: model, target, mae, rmse (original units, degrees C for the
Seattle record), on the same test windows the Elman networks are scored on.
"""

from __future__ import annotations

import argparse

from rnninfo.io import parse_json_arg, write_tsv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rnninfo.cli weather_baselines", description=__doc__)
    ap.add_argument("--params", required=True, help="JSON: the weather config (data keys)")
    ap.add_argument("--out", required=True, help="output .tsv")
    args = ap.parse_args(argv)

    from rnninfo.weather_data import DataConfig, load_weather
    from rnninfo.weather_info import baseline_errors

    data = load_weather(DataConfig.from_params(parse_json_arg(args.params)))
    table = baseline_errors(data)
    print(table.to_string(index=False), flush=True)
    write_tsv(table, args.out)
    return 0
