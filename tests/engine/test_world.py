"""The compiled world (sim/engine/world.py): its calendar arithmetic."""

from __future__ import annotations

import dataclasses

import pytest

from sim.engine import compile_world
from sim.scenario.units import parse_year_month


@pytest.fixture
def weekly(small):
    return compile_world(small.scenario)


@pytest.mark.parametrize(
    ("month", "tick"),
    [(None, 0), ("2026-01", 0), ("2026-07", 26), ("2027-01", 52), ("2029-12", 203)],
)
def test_a_month_begins_in_the_tick_its_first_day_falls_in(weekly, month, tick):
    """Weekly ticks from 2026-01: July 2026 is half a year, 26 ticks, in; December 2029 is
    3 11/12 years in, 203.67 ticks, so it begins inside tick 203."""
    assert weekly.tick_of(None if month is None else parse_year_month(month)) == tick


def test_a_month_on_a_monthly_horizon_is_its_own_tick(weekly):
    monthly = dataclasses.replace(weekly, ticks_per_year=12)
    assert [monthly.tick_of(parse_year_month(f"2026-{m:02d}")) for m in range(1, 13)] == list(
        range(12)
    )


def test_a_span_is_whole_ticks_and_never_none(weekly):
    assert weekly.ticks(1.0) == 52
    assert weekly.ticks(0.5) == 26
    assert weekly.ticks(0.0) == 1  # a policy or a lead time lasts at least a tick
    assert weekly.ticks(1 / 104 + 1e-6) == 1
