"""Disruption timelines: the level of each row at each change, worked out for the whole run."""

import numpy as np
import pytest

from sim.engine.disruptions import Occurrences


def scan(occ: Occurrences, additive: bool) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The rule stated plainly: at each change tick, for the rows that change, aggregate the
    occurrences active then (largest severity, or the sum if additive; 0 with none)."""
    out = []
    for tick in np.unique(np.concatenate([occ.start, occ.end, occ.licence])):
        hit = (occ.start == tick) | (occ.end == tick) | (occ.licence == tick)
        rows = np.unique(occ.rows[hit])
        level = []
        for r in rows:
            mine = (occ.rows == r) & (occ.start <= tick) & (tick < occ.end)
            now = np.where(tick < occ.licence, occ.severity, occ.after_licence)[mine]
            level.append(sum(now, 0.0) if additive else max([0.0, *now]))
        out.append((int(tick), rows, np.array(level)))
    return out


def random_occurrences(rng: np.random.Generator, n: int) -> Occurrences:
    start = rng.integers(0, 60, n)
    end = start + rng.integers(1, 30, n)
    licence = np.minimum(end, start + rng.integers(1, 40, n))
    severity = rng.uniform(0, 1, n)
    return Occurrences(
        rows=rng.integers(0, 12, n).astype(np.intp),  # several occurrences per row, overlapping
        start=start.astype(np.intp),
        end=end.astype(np.intp),
        licence=licence.astype(np.intp),
        severity=severity,
        after_licence=severity * rng.uniform(0, 1, n),
    )


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("additive", [False, True])
def test_timeline_gives_the_level_of_every_changed_row_at_every_change(seed, additive):
    occ = random_occurrences(np.random.default_rng(seed), 40)
    got = occ.timeline(additive)
    want = scan(occ, additive)
    assert [t for t, _, _ in got] == [t for t, _, _ in want]
    for (_, rows, level), (_, rows_want, level_want) in zip(got, want, strict=True):
        np.testing.assert_array_equal(rows, rows_want)
        np.testing.assert_array_equal(level, level_want)


def test_a_row_with_nothing_active_goes_back_to_zero():
    occ = Occurrences(
        rows=np.array([3, 3]),
        start=np.array([2, 4]),
        end=np.array([6, 5]),
        licence=np.array([6, 5]),
        severity=np.array([0.4, 0.9]),
        after_licence=np.array([0.4, 0.9]),
    )
    timeline = [(t, rows.tolist(), level.tolist()) for t, rows, level in occ.timeline(False)]
    assert timeline == [(2, [3], [0.4]), (4, [3], [0.9]), (5, [3], [0.4]), (6, [3], [0.0])]


def test_no_occurrence_no_change():
    assert Occurrences().timeline(False) == []
