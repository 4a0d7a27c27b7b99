"""Disruption timelines: the level of each row at each change, worked out for the whole run."""

import numpy as np
import pytest
from pydantic import ValidationError

import sim
from sim.engine.disruptions import Occurrences
from sim.engine.disruptions.export_control import ExportControl
from sim.engine.disruptions.export_control import steps as export_steps


def scan(occ: Occurrences, additive: bool) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The rule stated plainly: at each change tick, for the rows that change, aggregate the
    occurrences active then (largest level, or the sum if additive; 0 with none), where an
    occurrence's level is that of its last step at or before the tick, else its severity."""
    out = []
    step_rows = occ.rows[occ.step_of]
    for tick in np.unique(np.concatenate([occ.start, occ.end, occ.step_tick])):
        hit = np.concatenate(
            [occ.rows[(occ.start == tick) | (occ.end == tick)], step_rows[occ.step_tick == tick]]
        )
        rows = np.unique(hit)
        level = []
        for r in rows:
            now = []
            for i in np.flatnonzero((occ.rows == r) & (occ.start <= tick) & (tick < occ.end)):
                mine = (occ.step_of == i) & (occ.step_tick <= tick)
                now.append(occ.step_level[mine][-1] if mine.any() else occ.severity[i])
            level.append(sum(now, 0.0) if additive else max([0.0, *now]))
        out.append((int(tick), rows, np.array(level)))
    return out


def random_occurrences(rng: np.random.Generator, n: int) -> Occurrences:
    start = rng.integers(0, 60, n)
    end = start + rng.integers(1, 30, n)
    severity = rng.uniform(0, 1, n)
    steps = [
        (i, tick, severity[i] * rng.uniform(0, 1))
        for i in range(n)
        for tick in sorted(set(start[i] + rng.integers(1, 40, rng.integers(0, 4))))
    ]
    st = np.array(steps, dtype=float).reshape(-1, 3)
    return Occurrences(
        rows=rng.integers(0, 12, n).astype(np.intp),  # several occurrences per row, overlapping
        start=start.astype(np.intp),
        end=end.astype(np.intp),
        severity=severity,
        step_of=st[:, 0].astype(np.intp),
        step_tick=st[:, 1].astype(np.intp),
        step_level=st[:, 2],
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
        severity=np.array([0.4, 0.9]),
    )
    timeline = [(t, rows.tolist(), level.tolist()) for t, rows, level in occ.timeline(False)]
    assert timeline == [(2, [3], [0.4]), (4, [3], [0.9]), (5, [3], [0.4]), (6, [3], [0.0])]


def test_no_occurrence_no_change():
    assert Occurrences().timeline(False) == []


def control(**extra) -> ExportControl:
    return ExportControl.model_validate(
        {
            "type": "export_control",
            "country": "CN",
            "commodity": "gallium",
            "to": ["alliance"],
            "start": "2026-01",
            "duration": "1 year",
            **extra,
        }
    )


def test_single_licence_is_one_step_at_the_delay():
    d = control(licensing={"delay": "3 months", "resumed_share": 0.2})
    assert export_steps(d, 1.0, 10, 62, 52) == [(23, 0.8)]


def test_a_schedule_steps_to_each_share_in_turn_and_stops_at_the_end():
    d = control(
        licensing={
            "schedule": [
                {"after": "3 months", "resumed_share": 0.3},
                {"after": "6 months", "resumed_share": 0.1},  # licences can be withdrawn again
                {"after": "2 years", "resumed_share": 1.0},  # after the end: dropped
            ]
        }
    )
    assert export_steps(d, 0.5, 0, 52, 52) == [(13, 0.35), (26, 0.45)]


def test_leakage_lets_a_share_of_what_is_still_stopped_through_after_its_lag():
    d = control(
        licensing={"delay": "6 months", "resumed_share": 0.5},
        leakage={"share": 0.4, "lag": "3 months"},
    )
    steps = export_steps(d, 1.0, 0, 52, 52)
    assert steps == [(13, pytest.approx(0.6)), (26, pytest.approx(0.3))]


@pytest.mark.parametrize(
    "licensing, message",
    [
        ({"delay": "2 months"}, "'resumed_share' is missing"),
        ({"resumed_share": 0.2}, "'delay' is missing"),
        (
            {
                "delay": "2 months",
                "resumed_share": 0.1,
                "schedule": [{"after": "1 month", "resumed_share": 0.1}],
            },
            "give either 'delay' and 'resumed_share', or 'schedule'",
        ),
        (
            {
                "schedule": [
                    {"after": "6 months", "resumed_share": 0.1},
                    {"after": "2 months", "resumed_share": 0.3},
                ]
            },
            "'schedule' steps must come in increasing 'after' order",
        ),
    ],
)
def test_licensing_takes_one_form_in_order(licensing, message):
    with pytest.raises(ValidationError, match=message):
        control(licensing=licensing)


def test_each_disruption_type_is_a_spec_module_and_an_engine_module_of_one_name():
    import pkgutil

    import sim.engine.disruptions as engine
    from sim.engine.disruptions import TYPES
    from sim.scenario.disruptions import MODULES, SPECS
    from sim.scenario.schema import Scenario

    assert set(TYPES) == {"export_control", "outage", "quota", "demand_shock"}
    assert sorted(MODULES) == sorted(TYPES)
    shared = {"base", "plan", "effects", "registry"}
    assert {m.name for m in pkgutil.iter_modules(engine.__path__)} - shared == set(MODULES)
    for kind, module in TYPES.items():
        assert module.__name__ == f"sim.engine.disruptions.{kind}"
        for name in ("Spec", "compile", "depth", "level", "apply", "hits"):
            assert hasattr(module, name), (kind, name)
        assert SPECS[kind] is module.Spec
        assert SPECS[kind].__module__ == f"sim.scenario.disruptions.{kind}"
    # the scenario schema takes every registered type, told apart by `type`
    union = Scenario.model_json_schema()["$defs"]
    assert {s.__name__ for s in SPECS.values()} <= set(union)


WAVE = """
groups:
  wave:
    members: [ga-control, sb-cut]
    stochastic:
      rate: 2.0
      duration: 3 months
      max_events: 20
"""


def wave_plan(small_text: str, tmp_path, takes_part: str = "") -> dict:
    """The plan of 400 replications of the small scenario with a Poisson wave of two."""
    from sim.engine.disruptions import compile_specs, sample_plan
    from sim.engine.world import compile_world

    text = small_text.replace("    start: 2026-07\n    duration: 12 months\n", "", 1)
    text += """
  sb-cut:
    type: export_control
    country: CN
    commodity: antimony
    stage: refining
    to: [alliance]
    severity: 1.0
"""
    path = tmp_path / "wave.yaml"
    path.write_text(text + WAVE + takes_part)
    s = sim.load(path).scenario
    world = compile_world(s)
    return sample_plan(s, world, compile_specs(s, world), np.arange(400), seed=7)


def test_a_member_takes_part_in_a_wave_with_its_chance(small_text, tmp_path):
    every = wave_plan(small_text, tmp_path)
    half = wave_plan(small_text, tmp_path, "    takes_part: {sb-cut: 0.25}\n")
    # the member that always takes part keeps its stream: its plan is unchanged
    for field in ("rows", "start", "end", "severity"):
        np.testing.assert_array_equal(
            getattr(every["ga-control"], field), getattr(half["ga-control"], field)
        )
    n = len(every["sb-cut"].rows)
    assert len(every["ga-control"].rows) == n
    # about a quarter of the waves hit antimony (binomial sd at n ~ 2,800: 0.008)
    share = len(half["sb-cut"].rows) / n
    assert abs(share - 0.25) < 0.04
    # ... and each antimony cut is one of the waves: it starts with a gallium one
    waves = set(
        zip(every["ga-control"].rows.tolist(), every["ga-control"].start.tolist(), strict=True)
    )
    assert (
        set(zip(half["sb-cut"].rows.tolist(), half["sb-cut"].start.tolist(), strict=True)) <= waves
    )


def test_takes_part_names_members_only(small_text, tmp_path):
    with pytest.raises(sim.ScenarioError) as err:
        wave_plan(small_text, tmp_path, "    takes_part: {sb-cot: 0.5}\n")
    assert (
        "groups.wave.takes_part.sb-cot: 'sb-cot' is not a member of group 'wave'"
        "; did you mean 'sb-cut'?"
    ) in str(err.value)
    assert "wave.yaml:77:26: " in str(err.value)
