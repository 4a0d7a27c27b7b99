"""The experiments table (experiments.csv): one row per replication and option, with what the
replication drew beside what came of it, as EMA Workbench keeps its experiments and outcomes.

Drawn, for each disruption NAME (from the engine's own plan, `BatchResult.drawn`, so exactly
what was simulated; the same in every option, by common random numbers):

    NAME:occurrences      how many times it started in the run (0: it never did)
    NAME:onset            its first start, in months from the horizon's start
    NAME:duration         how long its first occurrence lasted, months
    NAME:severity         the level its first occurrence started at (share stopped, capped
                          away or, for a demand shock, the change of use)
    NAME:months_in_force  the months of all its occurrences together

onset, duration and severity are empty where it never occurred. With parameter draws, the
parameter set of the replication (`parameter_set`) and each drawn market parameter
(`parameter:COMMODITY.KEY`; durations in months).

Outcomes, per replication: the money metrics of the decision (social_cost, consumer_cost,
shortfall_value, fiscal_cost_net; present values) summed over the commodities, in total and
per bloc (`METRIC`, `METRIC:BLOC`), and for each commodity a disruption touches the peak
price and the shortfall per bloc (`METRIC:COMMODITY:BLOC`).

Every column but the identifiers names its unit in brackets, `name [unit]`: the table stays
one header row of plain numbers that any CSV reader types correctly, and a unit cannot be
separated from its column. `read_experiments` splits them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.recorder import MONEY
from ..experiment.results import Results, unit_of
from ..scenario.units import parse_duration

FILE = "experiments.csv"
SEP = ":"
"""Joins the parts of a column's name: disruption and field, metric, commodity and bloc."""
IDENTIFIERS = ("option", "replication", "parameter_set")
DISRUPTION_FIELDS = ("occurrences", "onset", "duration", "severity", "months_in_force")
PARAMETER_PREFIX = "parameter" + SEP
OUTCOME_MONEY = ("social_cost", "consumer_cost", "shortfall_value", "fiscal_cost_net")
"""Summed over the commodities, in total and per bloc (all in the reporting currency)."""
OUTCOME_PER_COMMODITY = ("peak_price_multiple", "shortfall_share", "shortfall_t")
"""Per bloc, for each commodity that some disruption touches."""
OUTCOME_METRICS = (*OUTCOME_MONEY, *OUTCOME_PER_COMMODITY)
assert set(OUTCOME_MONEY) <= set(MONEY)


def column(name: str, unit: str | None) -> str:
    """A column's header: its name and, if it has one, its unit in brackets."""
    return f"{name} [{unit}]" if unit else name


def split_column(header: str) -> tuple[str, str | None]:
    """(name, unit) of a header written by `column`."""
    if header.endswith("]") and " [" in header:
        name, unit = header[:-1].rsplit(" [", 1)
        return name, unit
    return header, None


def _drawn(r: Results) -> dict[str, np.ndarray]:
    """The disruptions' draws of one run, in months (`BatchResult.drawn` is in ticks)."""
    w = r.world
    months = 12.0 / w.ticks_per_year
    out: dict[str, np.ndarray] = {}
    for name in r.loaded.scenario.disruptions:
        if (name, "occurrences") not in r.drawn:
            continue  # compiled to nothing in this world
        count = r.drawn[(name, "occurrences")]
        none = count == 0
        start = np.where(none, np.nan, r.drawn[(name, "start")] * months)
        ticks = np.where(none, np.nan, r.drawn[(name, "ticks")] * months)
        out[column(name + SEP + "occurrences", "count")] = count
        out[column(name + SEP + "onset", f"months from {w.start}")] = start
        out[column(name + SEP + "duration", "months")] = ticks
        out[column(name + SEP + "severity", "share")] = r.drawn[(name, "severity")]
        out[column(name + SEP + "months_in_force", "months")] = (
            r.drawn[(name, "ticks_total")] * months
        )
    return out


def _parameter(key: str, value: float | str) -> tuple[float, str]:
    """A drawn market parameter as a number and its unit (durations in months)."""
    if isinstance(value, str):
        return parse_duration(value) * 12.0, "months"
    return float(value), "days" if key.endswith("days") else "1"


def _parameters(r: Results) -> dict[str, np.ndarray]:
    """With parameter draws: each replication's set (i mod D) and the values it ran with."""
    if not r.parameter_draws:
        return {}
    D = len(r.parameter_draws)
    which = np.arange(r.reps) % D
    out: dict[str, np.ndarray] = {"parameter_set": which}
    first = r.parameter_draws[0]["values"]
    for commodity, keys in first.items():
        for key in keys:
            parsed = [_parameter(key, d["values"][commodity][key]) for d in r.parameter_draws]
            values = np.array([v for v, _ in parsed])
            out[column(f"{PARAMETER_PREFIX}{commodity}.{key}", parsed[0][1])] = values[which]
    return out


def touched(r: Results) -> list[str]:
    """The commodities some disruption of the scenario acts on, in the world's order."""
    hit = {d.commodity for d in r.loaded.scenario.disruptions.values()}
    return [c for c in r.world.commodities if c in hit]


def _outcomes(r: Results) -> dict[str, np.ndarray]:
    w = r.world
    out: dict[str, np.ndarray] = {}
    for m in OUTCOME_MONEY:
        unit = unit_of(m, w.currency)
        x = r.metrics[m]  # [R, K, B]
        out[column(m, unit)] = x.sum((1, 2))
        for b, bloc in enumerate(w.blocs):
            out[column(m + SEP + bloc, unit)] = x[:, :, b].sum(1)
    for commodity in touched(r):
        k = w.commodities.index(commodity)
        for m in OUTCOME_PER_COMMODITY:
            unit = unit_of(m, w.currency)
            for b, bloc in enumerate(w.blocs):
                out[column(SEP.join((m, commodity, bloc)), unit)] = r.metrics[m][:, k, b]
    return out


def experiments(results: list[Results]) -> pd.DataFrame:
    """The experiments table of a run's options (see the module docstring), options in the
    order given, replications in order."""
    frames = []
    for r in results:
        cols: dict[str, np.ndarray | str] = {"option": r.option, "replication": np.arange(r.reps)}
        cols.update(_parameters(r))
        cols.update(_drawn(r))
        cols.update(_outcomes(r))
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def experiments_csv(results: list[Results], float_format: str = "%.6g") -> str:
    """experiments.csv's text: fixed order and number format, so one seed gives one file."""
    return experiments(results).to_csv(index=False, float_format=float_format, lineterminator="\n")


@dataclass
class Experiments:
    """An experiments table read back: the frame with bare names, each column's unit, and
    which columns are draws and which outcomes."""

    frame: pd.DataFrame
    units: dict[str, str | None]
    drawn: list[str]
    outcomes: list[str]

    @property
    def options(self) -> list[str]:
        return list(dict.fromkeys(self.frame["option"]))


def is_drawn(name: str) -> bool:
    """A column of what was drawn (a disruption's field or a market parameter)."""
    if name == "parameter_set" or name.startswith(PARAMETER_PREFIX):
        return True
    return name.rsplit(SEP, 1)[-1] in DISRUPTION_FIELDS and SEP in name


def is_outcome(name: str) -> bool:
    return name.split(SEP, 1)[0] in OUTCOME_METRICS


def read_experiments(path: Path) -> Experiments:
    """Read experiments.csv (a run folder or the file); a ValueError names what is missing."""
    path = Path(path)
    file = path / FILE if path.is_dir() else path
    if not path.exists():
        raise ValueError(f"{path} does not exist: give a run folder of `minsim run` or `compare`")
    if not file.is_file():
        raise ValueError(
            f"{path} has no {FILE}: give a run folder of `minsim run` or `minsim compare` "
            "(folders written before minsim had experiments tables have none; rerun it)"
        )
    raw = pd.read_csv(file)
    names, units = [], {}
    for header in raw.columns:
        name, unit = split_column(str(header))
        names.append(name)
        units[name] = unit
    raw.columns = names
    if "option" not in raw.columns or "replication" not in raw.columns:
        raise ValueError(f"{file} is not an experiments table (no option and replication columns)")
    raw["option"] = raw["option"].astype(str)
    drawn = [n for n in names if n not in IDENTIFIERS[:2] and is_drawn(n)]
    outcomes = [n for n in names if n not in IDENTIFIERS and not is_drawn(n) and is_outcome(n)]
    return Experiments(raw, units, drawn, outcomes)
