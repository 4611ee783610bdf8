"""Checks of the configuration that span keys or read data, run when Snakemake parses the workflow.

The JSON schema (workflow/schemas/config.schema.yaml) checks each key on its
own. What it cannot see is checked here, before any job runs, so that a dry run
(`snakemake -n`) already refuses the configuration with the key named:

- ``results`` empty or ``/`` (every output would land under the file system root);
- ``delays`` naming one delay twice, e.g. ``["2", 2]`` (the same after normalisation);
- ``hidden_size`` above the exhaustive search's limit with ``relay.exhaustive: true``;
- ``task_params.memory.onsets`` not strictly increasing (concepts A, B, C in order);
- steps beyond the sequences a condition has: ``knockout.time``, ``relay.matrix_time``,
  ``relay.exhaustive_steps``, ``pca.time``; ``pca.panels`` removing every node;
- the weather record (``weather.csv``, or the shipped Seattle record): its header
  against ``weather.date_column`` / ``numeric`` / ``categorical`` / ``targets``, its
  values, and ``weather.window`` against its length, by the same checks
  `rnninfo.weather_data.load_weather` applies when a job reads it.

Everything but the weather check is plain Python, so the checks also run where
Snakemake's own environment lacks numpy and pandas (``--use-conda``); there the
weather record is left to the job and a note says so.

Sequence lengths follow `rnninfo.tasks` and `rnninfo.traces` (tests compare them):
a condition (task, delay) has ``n_info`` informative steps (memory: the last
onset; block: ``frames``), readouts at zero-based steps ``n_info + d - 1`` for its
delays d (1..5 for ``random``), and traces of ``T = n_info + max(max(eval_delays),
longest delay)`` steps. Relay analyses steps ``0 .. T - 1`` (``relay.horizon: full``),
else up to the last readout or the end of the Figs. 8/9 window, whichever is later.
"""

from __future__ import annotations

import sys

RANDOM_DELAYS = (1, 2, 3, 4, 5)  # rnninfo.tasks.RANDOM_DELAYS (a test checks they agree)
MAX_EXHAUSTIVE_NODES = 16  # rnninfo.relay.MAX_EXHAUSTIVE_NODES (a test checks they agree)
MEMORY_ONSETS = (4, 7, 10)  # schema defaults, for configs that skip task_params
BLOCK_FRAMES = 5


class ConfigError(ValueError):
    """One or more configuration problems; the message names each key."""


def check_config(config: dict, check_weather: bool = True) -> None:
    """Raise ConfigError listing every problem found (after schema validation filled defaults)."""
    problems = config_problems(config)
    if check_weather and not any(p.startswith("weather") for p in problems):
        problems += weather_problems(config.get("weather") or {})
    if problems:
        raise ConfigError(
            "configuration rejected before any job ran:\n  - " + "\n  - ".join(problems)
            + "\nFix the key(s) named in your --configfile (or config.yaml); config/README.md describes every key."
        )


def config_problems(config: dict) -> list[str]:
    """Every cross-key problem of ``config`` as a message naming the key (no data read)."""
    problems = []
    results = str(config.get("results", "results")).strip()
    if results.rstrip("/") == "":
        problems.append(
            f"results: {config.get('results')!r} would write every output under / ; name a folder, e.g. results"
        )

    delays = list(config.get("delays") or [])
    names = [str(d) for d in delays]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        problems.append(
            f"delays: {delays!r} names delay(s) {twice} twice ('2' and 2 are the same delay); list each once"
        )

    relay = config.get("relay") or {}
    hidden = config.get("hidden_size", 12)
    if relay.get("exhaustive", True) and hidden > MAX_EXHAUSTIVE_NODES:
        problems.append(
            f"hidden_size: {hidden} nodes with relay.exhaustive: true; the exhaustive search handles at most "
            f"{MAX_EXHAUSTIVE_NODES} nodes (2^N sets): set relay.exhaustive: false or hidden_size <= {MAX_EXHAUSTIVE_NODES}"
        )

    memory = ((config.get("task_params") or {}).get("memory") or {})
    onsets = list(memory.get("onsets", MEMORY_ONSETS))
    if any(b <= a for a, b in zip(onsets, onsets[1:])):
        problems.append(
            f"task_params.memory.onsets: {onsets} must be strictly increasing (concepts A, B, C are shown in "
            "this order, one-based steps), e.g. [4, 7, 10]"
        )
        return problems  # the sequence lengths below depend on the onsets

    conds = conditions(config)
    if not conds or twice:
        return problems
    problems += step_problems(config, conds)
    return problems


def conditions(config: dict) -> list[dict]:
    """Per (task, delay) of this run: n_info, the first and last readout step, and trace length T."""
    params = config.get("task_params") or {}
    onsets = list((params.get("memory") or {}).get("onsets", MEMORY_ONSETS))
    frames = (params.get("block") or {}).get("frames", BLOCK_FRAMES)
    eval_max = max(config.get("eval_delays") or [0])
    out = []
    for task in config.get("tasks") or []:
        n_info = max(onsets) if task == "memory" else frames
        for delay in config.get("delays") or []:
            ds = RANDOM_DELAYS if str(delay) == "random" else (int(delay),)
            out.append(dict(
                task=task, delay=str(delay), n_info=n_info,
                first_readout=n_info + min(ds) - 1, last_readout=n_info + max(ds) - 1,
                T=n_info + max(eval_max, max(ds)),
            ))
    return out


def relay_last_step(relay: dict, c: dict) -> int:
    """The last step the relay stage analyses in condition ``c`` (rnninfo.stages.relay.analysed_steps):
    every traced step (horizon full), else the last readout, extended to the Figs. 8/9
    window's end (``relay.window_end``; null = n_info + 4, the random regime's last readout)."""
    if relay.get("horizon", "training") == "full":
        return c["T"] - 1
    end = c["last_readout"]
    if "window_end" in relay:
        w = relay["window_end"]
        w = c["n_info"] + max(RANDOM_DELAYS) - 1 if w is None else int(w)
        end = max(end, min(w, c["T"] - 1))
    return end


def _where(c: dict) -> str:
    return f"task {c['task']}, delay {c['delay']}"


def step_problems(config: dict, conds: list[dict]) -> list[str]:
    """Configured steps and node counts beyond what the run's sequences and networks have."""
    problems = []
    knockout = config.get("knockout") or {}
    t = knockout.get("time")
    if isinstance(t, int):
        c = min(conds, key=lambda c: c["first_readout"])
        if t >= c["first_readout"]:
            problems.append(
                f"knockout.time: step {t} is not before the earliest readout (step {c['first_readout']} of "
                f"{_where(c)}), so the knockout could not change any answer; use at most "
                f"{c['first_readout'] - 1}, or null (n_info - 1)"
            )

    relay = config.get("relay") or {}
    c = min(conds, key=lambda c: relay_last_step(relay, c))
    end = relay_last_step(relay, c)
    where = f"{_where(c)} (0..{end}, relay.horizon: {relay.get('horizon', 'training')})"
    t = relay.get("matrix_time")
    if isinstance(t, int) and t > end:
        problems.append(
            f"relay.matrix_time: step {t} is beyond the steps relay analyses for {where}; "
            f"use at most {end}, or null (n_info)"
        )
    steps = relay.get("exhaustive_steps")
    if isinstance(steps, list) and relay.get("exhaustive", True) and any(t > end for t in steps):
        problems.append(
            f"relay.exhaustive_steps: steps {[t for t in steps if t > end]} are beyond the steps relay "
            f"analyses for {where}; use steps up to {end}, n_info or all"
        )

    pca = config.get("pca") or {}
    t = pca.get("time")
    if isinstance(t, int) and not isinstance(t, bool):
        c = pca_condition(config, conds)
        if c is not None and t >= c["T"]:
            problems.append(
                f"pca.time: step {t} is beyond the traced sequence of the PCA condition ({_where(c)}: "
                f"steps 0..{c['T'] - 1}); use at most {c['T'] - 1}, readout, or null (n_info - 1)"
            )
    hidden = config.get("hidden_size", 12)
    too_many = [k for k in pca.get("panels") or [] if k >= hidden]
    if too_many:
        problems.append(
            f"pca.panels: {too_many} remove every node of a network of hidden_size {hidden}; "
            f"use numbers of removed nodes below {hidden}"
        )
    return problems


def pca_condition(config: dict, conds: list[dict]) -> dict | None:
    """The (task, delay) the PCA stage analyses: the configured one, else the fallback of
    workflow/rules/pca.smk (first task; random, else the longest fixed delay)."""
    pca = config.get("pca") or {}
    tasks = [c["task"] for c in conds]
    task = pca.get("task", "memory") if pca.get("task", "memory") in tasks else tasks[0]
    delays = [c["delay"] for c in conds if c["task"] == task]
    delay = str(pca.get("delay", "random"))
    if delay not in delays:
        fixed = sorted((d for d in delays if d != "random"), key=int)
        delay = "random" if "random" in delays else fixed[-1]
    return next((c for c in conds if c["task"] == task and c["delay"] == delay), None)


def weather_problems(weather: dict) -> list[str]:
    """The weather record checked as a job would read it: header, values, window against length."""
    try:
        from rnninfo.weather_data import DataConfig, load_weather
    except ImportError as err:  # Snakemake's own environment without numpy / pandas
        print(f"note: the weather record is checked by its jobs, not now ({err})", file=sys.stderr)
        return []
    try:
        load_weather(DataConfig.from_params(weather))
    except ValueError as err:
        if str(err).startswith("weather."):  # already names its key
            return [str(err)]
        where = f"weather.csv {weather['csv']}" if weather.get("csv") else "the weather record (weather.csv: null)"
        return [f"{where}: {err}"]
    return []
