"""Back-tests: every shipped episode stays within its criteria (the drift test), and the
criteria themselves pass and fail where they should."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiment.backtest import (
    HISTORY,
    NoEpisodeError,
    Simulated,
    episodes,
    judge,
    peak_ok,
    run_episode,
    select,
    split_ok,
    split_sign,
    table,
    time_ok,
)
from sim.scenario import load

# The shocks of the shipped episodes are fixed (no random draws), so a few replications
# give the same medians as many; the CLI runs 200.
REPS = 8


@pytest.fixture(scope="module")
def ran() -> dict:
    return {name: run_episode(path, REPS) for name, path in episodes().items()}


def test_the_episodes_of_the_issues_are_shipped():
    assert set(episodes()) >= {"ree-2010", "gallium-2023", "lithium-2021"}  # issue 5
    assert len(set(episodes()) - {"ree-2010", "gallium-2023", "lithium-2021"}) >= 4  # issue 13
    for path in episodes().values():
        assert load(path).scenario.backtest is not None


@pytest.mark.parametrize(
    "name",
    [
        "ree-2010",
        "lithium-2021",
        "germanium-2023",
        "graphite-2023",
        "nickel-2014",
        "nickel-2020",
        "gallium-2023",
    ],
)
def test_episode_passes_its_criteria(ran, name):
    episode = ran[name]
    assert episode.passed, table([episode])


def test_no_target_price_sits_at_a_model_bound(ran):
    """The market sets the price: neither the floor nor the cap binds in any episode."""
    for episode in ran.values():
        for t in episode.targets:
            assert (t.simulated.per_rep["at_bound"] == 0).all(), f"{episode.name}/{t.name}"


def test_simulated_peak_agrees_with_the_recorded_metric(ran):
    """The peak read from the paths after the onset is the run's peak_price_multiple when
    the price only rose from the onset on."""
    e = ran["ree-2010"]
    w = e.results.world
    for t in e.targets:
        k, b = w.commodities.index(t.observed.commodity), w.blocs.index(t.observed.bloc)
        metric = np.median(e.results.metrics["peak_price_multiple"][:, k, b])
        assert t.simulated.peak_multiple == pytest.approx(metric, rel=1e-12)


def test_restricted_bloc_pays_more_and_the_home_price_falls(ran):
    """The direction every control episode must show: the split between blocs."""
    for name in ("ree-2010", "gallium-2023"):
        for t in ran[name].targets:
            assert t.simulated.split_ratio > 1.1
            w, r = ran[name].results.world, ran[name].results
            k = w.commodities.index(t.observed.commodity)
            china = r.series["price"][:, 2, k, w.blocs.index("china")] / w.reference_price[k]
            assert china.min() < 1.0


def test_lithium_boom_moves_every_bloc_together(ran):
    t = ran["lithium-2021"].targets[0]
    assert split_sign(t.simulated.split_ratio) == 0
    assert t.simulated.fall_back < 0.5  # the bust after the boom


def test_unknown_episode_names_the_available_ones():
    with pytest.raises(ValueError) as info:
        select(["ree-2010", "nope"])
    assert str(info.value) == (
        "unknown episode 'nope'; available: gallium-2023, germanium-2023, graphite-2023, "
        "lithium-2021, nickel-2014, nickel-2020, ree-2010"
    )
    with pytest.raises(ValueError, match="unknown episodes 'a', 'b'; available: "):
        select(["a", "b"])


def test_select_all_and_some():
    assert list(select()) == sorted(p.stem for p in HISTORY.glob("*.yaml"))
    assert list(select(["ree-2010"])) == ["ree-2010"]


def test_a_folder_without_episodes_is_an_error_whatever_is_named(tmp_path):
    """Nothing to score is not a pass (nor an unknown name: the folder is what is wrong)."""
    for names in ((), ("ree-2010",)):
        with pytest.raises(NoEpisodeError, match=f"no episode to score: {tmp_path} holds no"):
            select(names, tmp_path)
    assert not issubclass(NoEpisodeError, ValueError)  # the CLI's exit 1, not 2


def test_a_scenario_without_backtest_section_is_refused(small_path):
    with pytest.raises(ValueError, match="no `backtest:` section"):
        run_episode(small_path, 1)


@pytest.mark.parametrize(
    ("observed", "simulated", "ok"),
    [
        (2.0, 2.0, True),
        (2.0, 4.0, True),
        (2.0, 1.0, True),
        (2.0, 4.01, False),
        (2.0, 0.99, False),
        (26.0, 60.0, False),
        (2.0, float("nan"), False),
    ],
)
def test_peak_criterion(observed, simulated, ok):
    assert peak_ok(observed, simulated) is ok


@pytest.mark.parametrize(
    ("observed", "simulated", "ok"),
    [
        (10, 10, True),
        (10, 15, True),
        (10, 5, True),
        (10, 15.1, False),
        (10, 4.9, False),
        (10, float("nan"), False),
    ],
)
def test_time_criterion(observed, simulated, ok):
    assert time_ok(observed, simulated) is ok


@pytest.mark.parametrize(
    ("ratio", "sign"),
    [(2.0, 1), (1.11, 1), (1.09, 0), (1.0, 0), (0.95, 0), (0.9, -1), (0.5, -1), (float("nan"), 0)],
)
def test_split_sign(ratio, sign):
    assert split_sign(ratio) == sign


def test_split_criterion():
    assert split_ok(1, 2.0)
    assert not split_ok(1, 0.5)
    assert not split_ok(1, 1.0)
    assert split_ok(0, 1.02)
    assert not split_ok(0, 1.5)


def test_judge_fails_a_drifted_episode():
    target = load(episodes()["gallium-2023"]).scenario.backtest.targets["ga-rotterdam"]
    target = target.model_copy(update={"months_to_peak": 5.0})
    good = judge("x", "t", target, Simulated(2.5, 6.0, 2.0, 1.0))
    assert good.passed and good.checks == {"peak": True, "time": True, "split": True}
    too_high = judge("x", "t", target, Simulated(30.0, 6.0, 2.0, 1.0))
    assert not too_high.passed and too_high.checks["peak"] is False
    too_slow = judge("x", "t", target, Simulated(2.5, 12.0, 2.0, 1.0))
    assert too_slow.checks == {"peak": True, "time": False, "split": True}
    wrong_way = judge("x", "t", target, Simulated(2.5, 6.0, 0.5, 1.0))
    assert wrong_way.checks["split"] is False


def test_table_lists_every_target_with_its_verdict(ran):
    text = table(list(ran.values()))
    assert "ree-2010/dy-oxide" in text and "ree-2010/nd-oxide" in text
    # gallium's last quote (Dec 2023) is not a peak: its time is not judged
    line = next(x for x in text.splitlines() if x.startswith("gallium-2023/"))
    assert "n/a/" in line and "PASS" in line
    assert "lithium-2021/li-carbonate" in text
    # an episode without a recorded rise judges the peak only, and says so
    line = next(x for x in text.splitlines() if x.startswith("graphite-2023/"))
    assert "n/a/" in line and "PASS" in line


def test_the_gallium_peak_rises_smoothly_with_severity():
    """Issue 13: at severities 0.1, 0.2, ..., 1.0 no step multiplies the peak by more than 2,
    and a deeper cut never lowers it."""
    peaks = []
    for tenths in range(1, 11):
        sets = (f"disruptions.gallium-licensing.severity={tenths / 10}",)
        e = run_episode(HISTORY / "gallium-2023.yaml", reps=2, sets=sets)
        peaks.append(e.targets[0].simulated.peak_multiple)
    steps = np.array(peaks[1:]) / np.array(peaks[:-1])
    assert (steps <= 2.0).all(), np.round(peaks, 2)
    assert (steps >= 1 - 1e-9).all(), np.round(peaks, 2)
