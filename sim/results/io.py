"""Writing a run folder, atomically: built under a temporary name, renamed when complete.

Contents: scenario.yaml (the resolved scenario), manifest.json (version, seed, options,
timings), summary.csv (long form, fixed number format so the same seed gives the same bytes),
policies.csv (each instrument's purchases, sales, spend, value held and fiscal cost),
trade.csv (trade flows by origin, destination and year), timeseries.nc (quantile series and
mean trade flows, NetCDF via xarray), and whatever extra files the caller adds (plots)
through the `extra` callback before the rename.
"""

from __future__ import annotations

import contextlib
import io
import json
import platform
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .results import SUMMARY_COLUMNS, Results

FLOAT_FORMAT = "%.6g"


def summary_csv(results: list[Results]) -> str:
    """The summary table as CSV text, rows in a fixed order, numbers to 6 significant digits."""
    import pandas as pd

    frame = pd.concat([r.summary() for r in results], ignore_index=True)
    return frame.to_csv(
        index=False, float_format=FLOAT_FORMAT, columns=list(SUMMARY_COLUMNS), lineterminator="\n"
    )


def policies_csv(results: list[Results]) -> str:
    """Each instrument's figures as CSV (empty table when no policy acted)."""
    import pandas as pd

    from .results import POLICY_COLUMNS

    frame = pd.concat([r.policy_summary() for r in results], ignore_index=True)
    return frame.to_csv(
        index=False, float_format=FLOAT_FORMAT, columns=list(POLICY_COLUMNS), lineterminator="\n"
    )


def uncertainty_csv(results: list[Results]) -> str:
    """Share of each metric's variance that the parameter draws explain (a run that draws
    its market parameters)."""
    import pandas as pd

    table = pd.concat([r.parameter_share() for r in results], ignore_index=True)
    return table.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def trade_csv(results: list[Results]) -> str:
    """The trade flows by origin, destination and year (`Results.trade_flows`) as CSV, rows
    in a fixed order, numbers to 6 significant digits as in summary.csv."""
    import pandas as pd

    from .results import TRADE_COLUMNS

    frame = pd.concat([r.trade_flows() for r in results], ignore_index=True)
    return frame.to_csv(
        index=False, float_format=FLOAT_FORMAT, columns=list(TRADE_COLUMNS), lineterminator="\n"
    )


def resolved_yaml(data: dict) -> str:
    """The composed scenario as YAML text (plain data, safe dumper)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def manifest(results: list[Results], command: list[str] | None = None) -> dict:
    from .. import __version__

    first = results[0]
    return {
        "minsim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": str(first.loaded.path),
        "files": first.loaded.source.files,
        "applied_overrides": first.loaded.source.applied_overrides,
        "set": first.loaded.source.sets,
        "seed": first.seed,
        "replications": first.reps,
        "options": [r.option for r in results],
        "commodities": list(first.world.commodities),
        "blocs": list(first.world.blocs),
        "currency": first.world.currency,
        "parameter_draws": first.parameter_draws,
        "max_mass_balance_error": max(float(r.balance_error.max()) for r in results),
        "timings_s": {r.option: r.timings for r in results},
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "command": command or [],
    }


@contextlib.contextmanager
def _atomic_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out`, renamed to `out` when the block completes and removed
    if it fails or is interrupted: a half-written folder never looks finished."""
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose another --out or remove it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".run-tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_run(
    results: list[Results],
    out: Path,
    *,
    command: list[str] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write the run folder `out`; an interrupted write never leaves a complete-looking folder."""
    import xarray as xr

    with _atomic_folder(out) as tmp:
        (tmp / "scenario.yaml").write_text(resolved_yaml(results[0].loaded.source.data))
        (tmp / "summary.csv").write_text(summary_csv(results))
        (tmp / "policies.csv").write_text(policies_csv(results))
        if results[0].parameter_draws:
            (tmp / "uncertainty.csv").write_text(uncertainty_csv(results))
        (tmp / "trade.csv").write_text(trade_csv(results))
        ds = xr.concat([r.to_dataset() for r in results], dim="option")
        ds.to_netcdf(tmp / "timeseries.nc", engine="scipy")
        if extra is not None:
            extra(tmp)
        (tmp / "manifest.json").write_text(json.dumps(manifest(results, command), indent=2) + "\n")
    return Path(out)


def write_tables(
    out: Path,
    files: dict[str, str],
    info: dict,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write a folder of text files (CSV tables) and a manifest, atomically like `write_run`."""
    from .. import __version__

    with _atomic_folder(out) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text)
        if extra is not None:
            extra(tmp)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        manifest = {"minsim_version": __version__, "created": stamp, **info}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return Path(out)


def default_out(scenario_path: Path, root: Path = Path("runs")) -> Path:
    """runs/<scenario>-<UTC timestamp>, unique."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = root / f"{Path(scenario_path).stem}-{stamp}"
    out, i = base, 1
    while out.exists() or out.with_name(out.name + ".run-tmp").exists():
        i += 1
        out = base.with_name(f"{base.name}-{i}")
    return out


def _duration_text(years: float) -> str:
    months = years * 12
    if abs(months - round(months)) < 1e-9:
        return f"{round(months)} month{'s' if round(months) != 1 else ''}"
    return f"{years:g} years"


def _number(x: float) -> float | int:
    """A value as the file would write it: integers without '.0', others to 4 digits."""
    return int(x) if float(x).is_integer() else float(f"{x:.4g}")


def _insert_at(node) -> int:
    """Where a new key goes in a commodity's mapping: after `market_class` if it has one,
    else before its last key, so that the comment trailing the mapping stays at its end."""
    keys = list(node)
    return keys.index("market_class") + 1 if "market_class" in keys else max(len(keys) - 1, 0)


def write_calibration(world: Path, updates: dict[str, dict], stamp: str) -> list[str]:
    """Write fitted market parameters into a world file in place, keeping its comments and
    layout (ruamel round-trip): each key's value with a comment naming the fit and its
    5-95% range, and a `calibration:` record per commodity. Returns the keys changed. The
    file is replaced in one rename, so it is never half-written."""
    yaml = YAML()  # round-trip: comments, order and quoting kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the file's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = Path(world)
    doc = yaml.load(path.read_text())
    changed = []
    for commodity, u in updates.items():
        node = doc["commodities"][commodity]
        ranges = CommentedMap()
        for key, p in u["parameters"].items():
            *parents, last = key.split(".")
            here = node
            for part in parents:
                if part not in here:
                    here.insert(
                        _insert_at(here) if here is node else len(here), part, CommentedMap()
                    )
                here = here[part]
            value = p["value"]
            lo, hi = p["range"]
            if isinstance(value, str):  # a duration: the range is in years
                text = f"{_duration_text(lo)}-{_duration_text(hi)}"
            else:
                value = _number(value)
                text = f"{lo:g}-{hi:g}"
            if last in here:
                here[last] = value
            else:
                here.insert(_insert_at(here) if here is node else len(here), last, value)
            ranges[key] = CommentedSeq([_number(lo), _number(hi)])
            ranges[key].fa.set_flow_style()
            here.yaml_add_eol_comment(
                f"⚠ calibrated ({u['fit']}, {stamp}): 5-95% {text}, docs/validation.md", last
            )
            changed.append(f"commodities.{commodity}.{key}")
        episodes = CommentedSeq(u["episodes"])
        episodes.fa.set_flow_style()
        record = CommentedMap([("fit", u["fit"]), ("episodes", episodes), ("ranges", ranges)])
        if u.get("posterior"):
            keys = CommentedSeq(u["posterior"]["keys"])
            keys.fa.set_flow_style()
            points = CommentedSeq()
            for weight, values in u["posterior"]["points"]:
                row = CommentedSeq(_number(v) if not isinstance(v, str) else v for v in values)
                row.fa.set_flow_style()
                point = CommentedMap([("weight", weight), ("values", row)])
                point.fa.set_flow_style()
                points.append(point)
            record["posterior"] = CommentedMap([("keys", keys), ("points", points)])
        if "calibration" in node:
            node["calibration"] = record
        else:
            node.insert(_insert_at(node), "calibration", record)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w") as f:
            yaml.dump(doc, f)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return changed
