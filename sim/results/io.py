"""Writing a run folder, atomically: built under a temporary name, renamed when complete.

Contents: scenario.yaml (the resolved scenario), manifest.json (version, seed, options,
timings), summary.csv (long form, fixed number format so the same seed gives the same bytes),
policies.csv (each instrument's purchases, sales, spend, value held and fiscal cost),
timeseries.nc (quantile series, NetCDF via xarray), and whatever extra files the caller adds
(plots) through the `extra` callback before the rename.
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
