"""A non-finite number in a run's results is an error, never a table (issue 15): the run is
refused before anything is written, naming the value, the commodity and the tick, and the
command exits 1 without a traceback."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.experiment.results import BlockMerger, NonFiniteResult, check_finite


@pytest.fixture
def poisoned(monkeypatch):
    """Blocks whose mean price of antimony in 'china' is NaN at tick 5 (as a failed
    computation would leave it)."""
    add = BlockMerger.add

    def poisoned_add(self, b):
        b.series_mean["price"][5, 1, 1] = np.nan
        return add(self, b)

    monkeypatch.setattr(BlockMerger, "add", poisoned_add)


def test_a_nan_in_a_series_is_refused_naming_commodity_bloc_and_tick(small, poisoned) -> None:
    with pytest.raises(NonFiniteResult) as info:
        sim.run(small, reps=2, seed=1)
    assert str(info.value) == (
        "the run produced a non-finite price (mean) (nan) for antimony in china at tick 5 "
        "(2026-02); nothing was written. The scenario passed its checks, so this is a gap in "
        "them or a bug: please report it with the scenario (minsim show prints it resolved)"
    )
    assert (info.value.commodity, info.value.what) == ("antimony", "price (mean)")


def test_the_cli_exits_1_and_writes_nothing(small_path, poisoned, tmp_path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(small_path),
            "--reps",
            "2",
            "--executor",
            "inline",
            "--no-plots",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith(
        "minsim: error: the run produced a non-finite price (mean) (nan) for antimony in china "
        "at tick 5 (2026-02); nothing was written."
    )
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "wrote" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_compare_refuses_too(small_path, poisoned, tmp_path) -> None:
    text = small_path.read_text() + (
        "policies:\n  duty: {type: tariff, bloc: alliance, commodity: gallium, rate: 0.1}\n"
        "options:\n  do-nothing: []\n  duty: [duty]\n"
    )
    small_path.write_text(text)
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            str(small_path),
            "--reps",
            "2",
            "--executor",
            "inline",
            "--no-plots",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "non-finite price (mean) (nan) for antimony in china at tick 5" in result.stderr
    assert not out.exists()


def test_an_infinite_metric_is_named_with_its_replication(small) -> None:
    results = sim.run(small, reps=3, seed=1)
    check_finite(results)  # a sound run passes
    results.metrics["social_cost"][2, 0, 0] = np.inf
    with pytest.raises(NonFiniteResult) as info:
        check_finite(results)
    assert str(info.value).startswith(
        "the run produced a non-finite social_cost (inf) for gallium in alliance over the "
        "run, replication 2; nothing was written."
    )


def test_nan_means_no_onset_only_where_the_metric_says_so(small) -> None:
    results = sim.run(small, reps=2, seed=1)
    results.metrics["cover_days_at_onset"][:] = np.nan  # no disruption started: defined so
    check_finite(results)
    results.metrics["cover_days_at_onset"][1, 1, 2] = -np.inf
    with pytest.raises(
        NonFiniteResult,
        match="cover_days_at_onset \\(-inf\\) for antimony in rest over the run, replication 1",
    ):
        check_finite(results)


def test_a_kept_path_is_checked_with_its_replication(small) -> None:
    results = sim.run(small, reps=2, seed=1, keep_paths=True)
    check_finite(results)
    results.paths["supply"][7, 1, 0, 2] = np.nan
    with pytest.raises(
        NonFiniteResult,
        match="supply path \\(nan\\) for gallium in rest at tick 7 \\(2026-02\\), replication 1",
    ):
        check_finite(results)


def test_a_summary_that_overflows_is_refused(small) -> None:
    """Finite metrics near the float limit: their mean over replications overflows."""
    results = sim.run(small, reps=2, seed=1)
    results.metrics["consumer_cost"][:, 0, 0] = 1.7e308
    check_finite(results)
    with (
        pytest.raises(
            NonFiniteResult,
            match="non-finite consumer_cost \\(mean over the replications\\) \\(inf\\) for gallium "
            "in alliance \\(option base\\)",
        ),
        np.errstate(over="ignore"),
    ):
        results.summary()
