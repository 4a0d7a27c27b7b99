"""Writing a run folder, atomically: built under a temporary name, renamed when complete.

`claim(out)` takes --out before any work: it checks that the folder can be written (its
parent a folder, writable, with room for the estimated output) and makes `out` as an empty
folder with `os.mkdir`, which fails if the name exists, so of two runs into one --out
exactly one gets it. The run is written into its own hidden folder beside `out`, in
`.<name>.<random>.partial/<name>/` (which no `runs/*/...` glob matches), and renamed over
the empty claim when complete (on POSIX, rename replaces an empty folder in one step). A run
that fails or is interrupted removes only its own partial folder and its own empty claim.

Contents: scenario.yaml (the resolved scenario), manifest.json (version, seed, options,
timings), summary.csv (long form, fixed number format so the same seed gives the same bytes),
policies.csv (each instrument's purchases, sales, spend, value held and fiscal cost),
trade.csv (trade flows by origin, destination and year), experiments.csv (each replication's
draws beside its outcomes, per option; experiments.py), timeseries.nc (quantile series and
mean trade flows, NetCDF via xarray), replications.nc when every replication was kept
(store.py; a streamed run writes it into the partial folder during its simulation, see
`Claim.partial`), and whatever extra files the caller adds (plots)
through the `extra` callback before the rename.
"""

from __future__ import annotations

import contextlib
import errno
import io
import itertools
import json
import os
import platform
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..experiment.results import SUMMARY_COLUMNS, Results
from ..experiment.store import STORE_NAME

if TYPE_CHECKING:
    from ..scenario.schema import Scenario

FLOAT_FORMAT = "%.6g"
"""Every number in a run folder's CSVs: 6 significant digits, so the same seed gives the same
bytes and no table prints a float's 17 digits."""

POLICY_UNITS = {
    "capacity_added": "t/yr",
    "arrival_years": "years",
}
"""policies.csv's units that neither end in `_t` (tonnes) nor are money."""


def policy_unit(metric: str, currency: str) -> str:
    """The unit of a policy instrument's figure in policies.csv: tonnes for the `_t` ones,
    the listed ones as listed, money (undiscounted, in the reporting currency) otherwise:
    fiscal_cost, spent, earned, holding_paid, value_held, budget, paid, resold, premium."""
    if metric.endswith("_t"):
        return "t"
    return POLICY_UNITS.get(metric, currency)


def _numbers_as_floats(frame):
    """Columns of numbers held as objects (a concat with an empty table makes them so) as
    floats, so that FLOAT_FORMAT applies to them: object columns print in full."""
    import numpy as np

    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and len(values):
            numeric = values.map(
                lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
            )
            if numeric.all():
                frame[column] = values.astype(float)
    return frame


def table_csv(
    frame,
    currency: str,
    *,
    unit: Callable[[str], str] | None = None,
    after: str = "metric",
    columns: list[str] | None = None,
) -> str:
    """A table as a run folder writes it: with a `unit` column (each row's, from its metric
    by `unit` when the table has none, placed after column `after`) and a `currency` column
    after it (the reporting currency, which every money figure is in), numbers to 6
    significant digits, rows as given. `columns` (without those two) fixes the order."""
    frame = frame.copy() if columns is None else frame[list(columns)].copy()
    if "unit" not in frame.columns:
        if unit is None:
            raise ValueError("a table without a unit column needs `unit`")
        at = list(frame.columns).index(after) + 1
        frame.insert(at, "unit", [unit(m) for m in frame[after]] if len(frame) else [])
    frame.insert(list(frame.columns).index("unit") + 1, "currency", currency)
    return _numbers_as_floats(frame).to_csv(
        index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
    )


def _currency(results: list[Results]) -> str:
    return results[0].world.currency


def summary_csv(results: list[Results]) -> str:
    """The summary table as CSV text, rows in a fixed order, numbers to 6 significant digits:
    option, commodity, bloc, metric, unit, currency, mean, p5, p50, p95."""
    import pandas as pd

    frame = pd.concat([r.summary() for r in results], ignore_index=True)
    return table_csv(frame, _currency(results), columns=list(SUMMARY_COLUMNS))


def policies_csv(results: list[Results]) -> str:
    """Each instrument's figures as CSV, with each figure's unit (`policy_unit`) and the
    currency (an empty table, with its header, when no policy acted)."""
    import pandas as pd

    from ..experiment.results import POLICY_COLUMNS

    cur = _currency(results)
    frame = pd.concat([r.policy_summary() for r in results], ignore_index=True)
    return table_csv(frame, cur, unit=lambda m: policy_unit(m, cur), columns=list(POLICY_COLUMNS))


def uncertainty_csv(results: list[Results]) -> str:
    """Share of each metric's variance that the parameter draws explain (a run that draws
    its market parameters); `unit` is that of the metric's `std` and `mean`."""
    import pandas as pd

    from ..experiment.results import unit_of

    cur = _currency(results)
    table = pd.concat([r.parameter_share() for r in results], ignore_index=True)
    return table_csv(table, cur, unit=lambda m: unit_of(m, cur))


def trade_csv(results: list[Results]) -> str:
    """The trade flows by origin, destination and year (`Results.trade_flows`) as CSV, rows
    in a fixed order, numbers to 6 significant digits as in summary.csv."""
    import pandas as pd

    from ..experiment.results import TRADE_COLUMNS

    frame = pd.concat([r.trade_flows() for r in results], ignore_index=True)
    return table_csv(frame, _currency(results), columns=list(TRADE_COLUMNS))


def differences_csv(differences, currency: str) -> str:
    """`Comparison.differences()` as differences.csv (its `unit` kept, `currency` added)."""
    return table_csv(differences, currency)


def resolved_yaml(data: dict) -> str:
    """The composed scenario as YAML text (plain data, safe dumper)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    # ruamel leaves the attribute unannotated, so it reads as None-only (its default)
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def run_sets(results: list[Results]) -> tuple[list[str], list[list[str]]]:
    """The `--set` options every run of the folder shares, and each run's own beyond them
    (a sweep's points; empty lists when the runs are one scenario's options)."""
    each = [list(r.loaded.source.sets) for r in results]
    common = [s for s in each[0] if all(s in x for x in each[1:])]
    return common, [[s for s in x if s not in common] for x in each]


def manifest(results: list[Results], command: list[str] | None = None) -> dict:
    """manifest.json: what made the folder. `set` and `changes` (each override's and
    `--set`'s key with its value as run, `results.run_changes`) hold for every run in it; a
    sweep's points, which differ, are listed one by one under `points`, never as if the
    first point's values held for all."""
    from .. import __version__
    from .notes import run_changes

    first = results[0]
    common, own = run_sets(results)
    changes = [
        c for c in run_changes(first.loaded) if c["by"] != "--set" or c["key"] in _keys(common)
    ]
    info = {
        "minsim_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenario": str(first.loaded.path),
        "files": first.loaded.source.files,
        "applied_overrides": first.loaded.source.applied_overrides,
        "set": common,
        "changes": changes,
    }
    if any(own):
        info["points"] = [{"name": r.option, "set": x} for r, x in zip(results, own, strict=True)]
    return info | {
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


def _keys(sets: list[str]) -> set[str]:
    """The dotted keys that `--set` options edit."""
    from ..scenario.errors import dotted
    from ..scenario.loader import parse_set

    return {dotted(parse_set(s)[1]) for s in sets}


class OutputError(OSError):
    """--out cannot be used (taken, under a file, not writable, too little room): found
    before any work starts, so nothing is lost (the CLI exits 2)."""


class WriteError(OSError):
    """Writing the run folder failed after the work (a full disk, say): the run's partial
    folder and its claim are removed, so nothing is left at --out (the CLI exits 1)."""


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists (the folder a new one goes in)."""
    path = Path(path)
    while not os.path.lexists(path) and path != path.parent:
        path = path.parent
    return path


def check_output(out: Path, need_bytes: int = 0, *, folder_may_exist: bool = False) -> None:
    """Refuse, with the path and the fix, an output that would fail only after the work:
    `out` under a file, in a folder that cannot be written, or on a disk without
    `need_bytes` free. Parents that do not exist yet are fine (they are created). With
    `folder_may_exist`, `out` may be an existing folder that files are written into."""
    out = Path(out)
    if folder_may_exist and os.path.lexists(out):
        where = out
        if not where.is_dir():
            raise OutputError(f"{out} is a file, not a folder; choose another --out")
    else:
        where = _nearest_existing(out.parent)
        if not where.is_dir():
            raise OutputError(
                f"cannot write {out}: {where} is a file, not a folder; choose another --out"
            )
    if not os.access(where, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write {out}: {where} is not writable (read-only or no permission); "
            "choose another --out"
        )
    if need_bytes > 0:
        try:
            free = shutil.disk_usage(where).free
        except OSError:  # a filesystem that does not say: the write will tell
            return
        if free < need_bytes:
            raise OutputError(
                f"cannot write {out}: {where} has {_size(free)} free and the output needs "
                f"about {_size(need_bytes)} (estimated); free some space or choose another --out"
            )


def _numbered(base: Path) -> Iterator[Path]:
    """base, base-2, base-3, ...: the names a default run folder tries in turn."""
    yield base
    for i in itertools.count(2):
        yield base.with_name(f"{base.name}-{i}")


def _taken(out: Path) -> OutputError:
    return OutputError(
        f"{out} already exists (or another run is writing it); choose another --out or remove it"
    )


class Claim:
    """--out taken by one run: the empty folder `claim` made. `release` (a run that failed)
    removes it only while it is still an empty folder with the same inode: the finished run
    folder renamed over it, or anything put in it, is never touched (`os.rmdir` removes
    nothing with content in any case)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        st = os.stat(self.path)
        self._id = (st.st_dev, st.st_ino)
        self._partial: Path | None = None

    def partial(self) -> Path:
        """This run's partial folder (made on first use, `_partial_folder`): where the run
        folder is built, and where a run streams files during its simulation (every
        replication's series, `store.ReplicationStore`) so that they need no copy."""
        if self._partial is None:
            self._partial = _partial_folder(self.path)
        return self._partial / self.path.name

    def published(self) -> None:
        """The partial folder became the run folder: nothing of it is to be removed."""
        self._partial = None

    def release(self) -> None:
        if self._partial is not None:  # a run that did not finish: its own files only
            shutil.rmtree(self._partial, ignore_errors=True)
            self._partial = None
        with contextlib.suppress(OSError):  # gone, replaced or not empty: not ours to remove
            st = os.stat(self.path)
            if (st.st_dev, st.st_ino) == self._id:
                os.rmdir(self.path)

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Claim({str(self.path)!r})"


def claim(out: Path, need_bytes: int = 0, *, fresh: bool = False) -> Claim:
    """Check `out` (`check_output`) and take it before the work starts, so a second run into
    it is refused at once and not after its simulation. With `fresh` (a default name), a
    taken name is not an error: the next of name-2, name-3, ... is taken instead."""
    out = Path(out)
    if not fresh and os.path.lexists(out):
        raise _taken(out)
    check_output(out, need_bytes)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create {out.parent}: {exc.strerror}; choose another --out"
        ) from exc
    for candidate in _numbered(out) if fresh else [out]:
        try:
            os.mkdir(candidate)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(
                f"cannot create {candidate}: {exc.strerror}; choose another --out"
            ) from exc
        return Claim(candidate)
    raise _taken(out)


def _partial_folder(out: Path) -> Path:
    """A new hidden folder beside `out` for this run alone, `.<name>.<random>.partial`; the
    run is written one level down, in `<that>/<name>`, so that not even a glob that matches
    dot-names (pathlib's `runs/*/summary.csv`) finds a half-written file. Not
    `tempfile.mkdtemp`: its mode 0o700 would make the finished run folder unreadable to the
    group; `os.mkdir` takes the umask's mode and fails rather than reuse a name."""
    while True:
        tmp = out.parent / f".{out.name}.{secrets.token_hex(4)}.partial"
        try:
            os.mkdir(tmp)
            break
        except FileExistsError:
            continue
    os.mkdir(tmp / out.name)
    return tmp


_WRITE_FIX = {
    errno.ENOSPC: "free some space or choose another --out",
    errno.EDQUOT: "free some space or choose another --out",
    errno.EROFS: "choose a writable --out",
    errno.EACCES: "choose a writable --out",
    errno.EPERM: "choose a writable --out",
}


def _write_error(out: Path, exc: OSError) -> WriteError:
    what = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    fix = _WRITE_FIX.get(exc.errno or 0, "check the disk or choose another --out")
    return WriteError(f"could not write {out}: {what}{where}; nothing was written; {fix}")


def _publish(tmp: Path, out: Path) -> None:
    """Rename the finished folder over the empty claim in one step."""
    if os.name == "nt" and os.path.isdir(out):  # Windows will not rename over a folder
        os.rmdir(out)
    try:
        os.rename(tmp, out)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise WriteError(
                f"could not write {out}: something was put in it while this run wrote; "
                "nothing of it was touched and this run wrote nothing; choose another --out"
            ) from None
        raise


@contextlib.contextmanager
def _atomic_folder(out: Path | Claim) -> Iterator[Path]:
    """This run's partial folder, renamed to `out` when the block completes; removed, with
    the claim, if it fails or is interrupted: a half-written folder never looks finished,
    and nothing of anyone else's is deleted. `out` is claimed now unless already a Claim."""
    taken = out if isinstance(out, Claim) else claim(Path(out))
    try:
        inner = taken.partial()
        yield inner
        _publish(inner, taken.path)
        taken.published()
        with contextlib.suppress(OSError):
            os.rmdir(inner.parent)  # empty now
    except BaseException as exc:
        taken.release()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError | WriteError):
            raise _write_error(taken.path, exc) from exc
        raise


def run_folder_bytes(
    scenario: Scenario,
    *,
    reps: int,
    results: int = 1,
    keep_paths: bool = False,
    figures: bool = True,
) -> int:
    """About how many bytes `write_run` writes for `results` runs (options or sweep points)
    of `scenario`: timeseries.nc's float64 arrays (the quantile and mean series, the trade
    flows, the diagnostics), replications.nc with `keep_paths` (every replication's series),
    the tables
    and the figures, and a margin of 1 MB. Measured: 46 MB for the flagship's compare folder
    of 41.7 MB (6 options, 20 replications); 1.95 MB and the margin for the test scenario's
    1.89 MB with every path kept (20 replications, no figures)."""
    from ..engine.recorder import QUANTILES, SERIES
    from ..engine.world import TICKS_PER_YEAR

    T = scenario.horizon.years * TICKS_PER_YEAR[scenario.horizon.step]
    C, B = len(scenario.commodities), len(scenario.blocs)
    stages = max((len(c.stages) for c in scenario.commodities.values()), default=1)
    series = len(SERIES) * T * C * B * (len(QUANTILES) + 1)  # quantiles and mean
    other = T * C * (B * B + stages + B)  # trade flows, HHI, import reliance
    # replications.nc is compressed: 21% of its float64s for the flagship, 38% for the test
    # scenario (measured); half is asked, so that a disk with room for the estimate has room
    paths = len(SERIES) * reps * T * C * B * PATHS_COMPRESSED if keep_paths else 0
    tables = 200 * C * B * (B * scenario.horizon.years + 60)  # summary, trade, policies rows
    plots = 100_000 * C + 200_000 if figures else 0
    return int(results * (8 * (series + other + paths) + tables + plots) + 1_000_000)


PATHS_COMPRESSED = 0.5
"""The share of its raw size that replications.nc is taken to need on disk (run_folder_bytes)."""


FOLDER_OF_TABLES_BYTES = 2_000_000
"""Room asked for a folder of CSV tables and a figure (sensitivity, calibration)."""


def write_run(
    results: list[Results],
    out: Path | Claim,
    *,
    command: list[str] | None = None,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write the run folder `out` (a path, or the Claim taken before the run): complete, or
    not at all. Returns its path."""
    import xarray as xr

    with _atomic_folder(out) as tmp:
        head = ""
        if any(run_sets(results)[1]):  # a sweep: the points differ from the file written
            head = (
                f"# the first of {len(results)} points; manifest.json's `points` lists the "
                "`--set` values of each\n"
            )
        (tmp / "scenario.yaml").write_text(head + resolved_yaml(results[0].loaded.source.data))
        (tmp / "summary.csv").write_text(summary_csv(results))
        (tmp / "policies.csv").write_text(policies_csv(results))
        if results[0].parameter_draws:
            (tmp / "uncertainty.csv").write_text(uncertainty_csv(results))
        (tmp / "trade.csv").write_text(trade_csv(results))
        if len({r.option for r in results}) == len(results):  # a sweep's points share one
            from .experiments import FILE, experiments_csv

            (tmp / FILE).write_text(experiments_csv(results, FLOAT_FORMAT))
        ds = xr.concat([r.to_dataset() for r in results], dim="option")
        ds.to_netcdf(tmp / "timeseries.nc", engine="scipy")
        _write_replications(results, tmp / STORE_NAME)
        if extra is not None:
            extra(tmp)
        (tmp / "manifest.json").write_text(json.dumps(manifest(results, command), indent=2) + "\n")
    return out.path if isinstance(out, Claim) else Path(out)


def _write_replications(results: list[Results], path: Path) -> None:
    """replications.nc: every replication's series, when the run kept them. A run that
    streamed them (`Results.kept`) wrote the file in place already; paths held in memory
    are written here, into the same layout."""
    from ..experiment.store import ReplicationStore

    kept = [r.kept for r in results if r.kept is not None]
    if kept:
        if any(k.path != path for k in kept) or len(kept) != len(results):
            raise ValueError(f"the kept replications are in {kept[0].path}, not in {path}")
        return
    held = [r for r in results if r.paths]
    if not held:
        return
    first = held[0]
    names = [r.option for r in held]
    with ReplicationStore(path, first.world, names, first.reps, first.times()) as store:
        for r in held:
            store.write(r.option, slice(0, r.reps), r.paths)


def write_tables(
    out: Path | Claim,
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
    return out.path if isinstance(out, Claim) else Path(out)


def default_out(scenario_path: Path, root: Path = Path("runs")) -> Path:
    """runs/<scenario>-<UTC timestamp>, or its first free -2, -3, ...: a name, not a claim
    (`claim(..., fresh=True)` takes it, or the next free one if another run just did)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = root / f"{Path(scenario_path).stem}-{stamp}"
    return next(p for p in _numbered(base) if not os.path.lexists(p))


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
