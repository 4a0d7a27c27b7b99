"""Golden hashes of summary.csv for every shipped scenario, episode and option (60 replications,
seed 7): any change of the model's numbers shows here, and the commit that makes it says so.

After a change that is meant to move numbers, rewrite the hashes with
`MINSIM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and name the change in the
commit message.

The hashes pin the numeric libraries and the machine as well as the code: a table of the
storage model solved on another CPU or library version may differ in its ninth digit, and
that is enough to move a replication across a threshold (a week counted in shortfall), so
the summary of a run can change in its fourth digit (seen: every shipped scenario's hashes
differ between two machines at one commit). environment.json records the libraries and CPU
where the hashes were written; elsewhere a difference is reported as an expected failure
naming what differs, not as a change of the model.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import sim
from sim.experiment.compare import compare_options
from sim.results.io import summary_csv

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
    (ROOT / "scenarios" / "history").glob("*.yaml")
)
HASHES = Path(__file__).with_name("golden") / "summary-hashes.json"
ENVIRONMENT = HASHES.with_name("environment.json")
REPS, SEED = 60, 7


def key(path: Path) -> str:
    return str(path.relative_to(ROOT / "scenarios"))


def digest(path: Path) -> dict[str, str]:
    """sha256 of each option's summary.csv rows, keyed by option."""
    comparison = compare_options(sim.load(path), REPS, SEED, executor="inline")
    return {
        option: hashlib.sha256(summary_csv([results]).encode()).hexdigest()
        for option, results in comparison.results.items()
    }


def environment() -> dict[str, str]:
    """The libraries and the CPU that the numbers depend on."""
    import platform
    from importlib.metadata import version

    import numpy as np

    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    models = [x.split(":", 1)[1].strip() for x in lines if x.startswith("model name")]
    cpu = models[0] if models else platform.processor()
    features = np._core._multiarray_umath.__cpu_features__
    out = {name: version(name) for name in ("numpy", "scipy", "numba", "llvmlite", "pandas")}
    out["python"] = platform.python_version()
    out["machine"] = f"{platform.machine()} {cpu}"
    out["numpy SIMD"] = " ".join(sorted(f for f, on in features.items() if on and "AVX" in f))
    return out


def where_pinned() -> str:
    """What differs between where the hashes were written and here ('' if nothing)."""
    if not ENVIRONMENT.exists():
        return ""
    then, now = json.loads(ENVIRONMENT.read_text()), environment()
    moved = [f"{k}: {then.get(k)} there, {now.get(k)} here" for k in now if then.get(k) != now[k]]
    return ("; pinned elsewhere (" + "; ".join(moved) + ")") if moved else ""


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads(HASHES.read_text()) if HASHES.exists() else {}


@pytest.mark.parametrize("path", SCENARIOS, ids=key)
def test_summary_matches_its_golden_hash(path, pinned):
    got = digest(path)
    if os.environ.get("MINSIM_UPDATE_GOLDEN"):
        pinned[key(path)] = got
        HASHES.write_text(json.dumps(dict(sorted(pinned.items())), indent=2) + "\n")
        ENVIRONMENT.write_text(json.dumps(environment(), indent=2) + "\n")
        return
    name = key(path)
    assert name in pinned, f"no golden hash for {name}: run with MINSIM_UPDATE_GOLDEN=1"
    changed = sorted(o for o in {*got, *pinned[name]} if got.get(o) != pinned[name].get(o))
    elsewhere = where_pinned()
    if changed and elsewhere:  # other libraries or another CPU: not this code's change
        pytest.xfail(f"{name}: summary.csv differs for {changed}{elsewhere}")
    assert not changed, f"{name}: summary.csv changed for {changed}"


def test_every_shipped_scenario_has_a_hash(pinned):
    assert sorted(pinned) == sorted(key(p) for p in SCENARIOS)
