"""Every replication's series of a run on disk: `replications.nc`, written block by block.

A run that keeps every replication (`--keep-replications`) would otherwise hold
replications × ticks × commodities × blocs × 7 series in memory (10.5 GB for 2,000
replications of the six options of the flagship) and copy them again to write them. Here
each block's paths go to a NetCDF-4 file as the block arrives and leave memory; the exact
quantiles and means over all replications are then read back a slab of ticks at a time, so
memory stays flat in the number of replications kept (docs/performance.md).

The file: variables `<series>_path` (option × replication × time × commodity × bloc, float64,
`units` named), chunked (1 option, 100 replications, 52 ticks, every commodity and bloc) so
that writing a block and reading a slab of ticks both touch whole chunks, and compressed
(shuffle + gzip level 1: the shortfall, stock and fiscal series are mostly zeros). It opens
with `xarray.open_dataset(path, engine="h5netcdf")`, lazily.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..engine.recorder import QUANTILES, SERIES
from ..engine.world import World

STORE_NAME = "replications.nc"
"""The store's file name in a run folder."""
CHUNK_REPLICATIONS = 100
CHUNK_TICKS = 52
"""Chunk shape along replications and ticks (one year of weekly ticks)."""
SLAB_BYTES = 64 * 2**20
"""About how much of one series a read-back holds at a time (all replications, some ticks)."""


def series_units(currency: str) -> dict[str, str]:
    """The unit of each recorded series (`Results.to_dataset` and the store)."""
    return {
        "price": f"{currency}/t",
        "supply": "t/yr",
        "use": "t/yr",
        "shortfall": "t/yr",
        "stock_days": "days",
        "strategic_stock": "t",
        "fiscal_cost": f"{currency}/yr",
    }


def _h5netcdf():
    try:
        import h5netcdf
    except ImportError as exc:  # a dependency of minsim: only a broken install lacks it
        raise RuntimeError(
            "keeping every replication needs h5netcdf (pip install h5netcdf)"
        ) from exc
    return h5netcdf


class ReplicationStore:
    """The paths of the `options` of one run, `reps` replications each, in the NetCDF-4 file
    `path` (created here; an existing file is an error). Blocks are written with
    `write(option, rows, paths)`; `slabs(option, series)` reads them back by ticks.
    Use as a context manager, or `close()` when the run is done."""

    def __init__(
        self, path: Path, world: World, options: Sequence[str], reps: int, times: np.ndarray
    ) -> None:
        import xarray as xr

        self.path = Path(path)
        self.options = list(options)
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"options stored twice: {self.options}")
        self.reps = reps
        T, K, B = world.n_ticks, len(world.commodities), len(world.blocs)
        self.shape = (len(self.options), reps, T, K, B)
        if self.path.exists():
            raise FileExistsError(f"{self.path} exists already")
        # the coordinates through xarray, so that they decode as xarray writes them
        coords = xr.Dataset(
            coords={
                "option": self.options,
                "replication": np.arange(reps),
                "time": times,
                "commodity": list(world.commodities),
                "bloc": list(world.blocs),
            },
            attrs={"currency": world.currency, "replications": reps},
        )
        coords.to_netcdf(self.path, engine="h5netcdf")
        self._file = _h5netcdf().File(self.path, "a")
        chunks = (1, min(reps, CHUNK_REPLICATIONS), min(T, CHUNK_TICKS), K, B)
        units = series_units(world.currency)
        self._vars = {}
        for v in SERIES:
            var = self._file.create_variable(
                f"{v}_path",
                ("option", "replication", "time", "commodity", "bloc"),
                np.float64,
                chunks=chunks,
                compression="gzip",
                compression_opts=1,
                shuffle=True,
            )
            var.attrs["units"] = units[v]
            self._vars[v] = var
        self.written = {o: 0 for o in self.options}

    def write(self, option: str, rows: slice, paths: dict[str, np.ndarray]) -> None:
        """Write one block: `paths[series]` is [T, n, K, B] for the replications `rows`."""
        o = self.options.index(option)
        for v in SERIES:
            self._vars[v][o, rows] = np.moveaxis(paths[v], 1, 0)
        self.written[option] += next(iter(paths.values())).shape[1]

    def slabs(self, option: str, series: str) -> Iterator[tuple[slice, np.ndarray]]:
        """(ticks, values [R, t, K, B]) of one option's series, a slab of ticks at a time,
        in tick order; each slab holds about `SLAB_BYTES`."""
        o = self.options.index(option)
        _, R, T, K, B = self.shape
        step = max(CHUNK_TICKS, SLAB_BYTES // (8 * R * K * B) // CHUNK_TICKS * CHUNK_TICKS)
        for t0 in range(0, T, step):
            ticks = slice(t0, min(t0 + step, T))
            yield ticks, self._vars[series][o, :, ticks]

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> ReplicationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def exact_series(
    slabs: Iterator[tuple[slice, np.ndarray]], n_ticks: int, check=None
) -> tuple[np.ndarray, np.ndarray]:
    """The quantile series [T, Q, K, B] and the mean [T, K, B] over every replication, from
    slabs of ticks (`ReplicationStore.slabs`, or views of paths in memory). Each slab is made
    contiguous first, so the numbers are the same from disk as from memory. `check(ticks,
    slab)` sees each slab (the finite check) before it is used."""
    quantiles: np.ndarray | None = None
    mean: np.ndarray | None = None
    for ticks, x in slabs:
        x = np.ascontiguousarray(x)  # [R, t, K, B]
        if check is not None:
            check(ticks, x)
        if quantiles is None or mean is None:
            quantiles = np.empty((n_ticks, len(QUANTILES), *x.shape[2:]))
            mean = np.empty((n_ticks, *x.shape[2:]))
        quantiles[ticks] = np.moveaxis(np.quantile(x, QUANTILES, axis=0), 0, 1)
        mean[ticks] = x.mean(0)
    if quantiles is None or mean is None:
        raise ValueError("no slab of ticks to take the series from")
    return quantiles, mean


def memory_slabs(x: np.ndarray, step: int = CHUNK_TICKS) -> Iterator[tuple[slice, np.ndarray]]:
    """Slabs of ticks of paths held in memory ([T, R, K, B]), as `ReplicationStore.slabs`."""
    T = x.shape[0]
    for t0 in range(0, T, step):
        ticks = slice(t0, min(t0 + step, T))
        yield ticks, np.moveaxis(x[ticks], 1, 0)


class KeptReplications:
    """The paths of one option in a store file, read when asked (the results of a streamed
    run hold this instead of the arrays)."""

    def __init__(self, path: Path, option: str) -> None:
        self.path = Path(path)
        self.option = option

    def load(self, series: str) -> np.ndarray:
        """One series of every replication, [T, R, K, B] as `Results.paths` holds it."""
        with _h5netcdf().File(self.path, "r") as f:
            o = list(f["option"][:].astype(str)).index(self.option)
            return np.moveaxis(f[f"{series}_path"][o], 0, 1)

    def __repr__(self) -> str:
        return f"KeptReplications({str(self.path)!r}, option={self.option!r})"
