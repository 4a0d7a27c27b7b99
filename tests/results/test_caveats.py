"""What a report must say before its numbers: disruptions that moved nothing, the run's own
changes to its file, and the values a file marks as assumptions."""

from __future__ import annotations

import sim
from sim.experiment import run_replications
from sim.experiment.results import disruptions_without_effect
from sim.results.notes import assumptions, change_text, run_changes


def test_a_disruption_moves_nothing_only_when_neither_price_nor_shortfall_rose(small_path):
    weak = sim.load(small_path, sets=("disruptions.ga-control.severity=0.001",))
    strong = sim.load(small_path)
    quiet = disruptions_without_effect([run_replications(weak, 4, 1, executor="inline")])
    loud = disruptions_without_effect([run_replications(strong, 4, 1, executor="inline")])
    assert "ga-control" in quiet
    assert "ga-control" not in loud


def test_run_changes_give_each_edit_with_its_value_as_run(tmp_path, small_text):
    path = tmp_path / "s.yaml"
    path.write_text(
        small_text
        + "overrides:\n  mild:\n    disruptions.ga-control.severity: 0.3\n"
        + "    ~disruptions.boom: null\n"
    )
    loaded = sim.load(path, overrides=("mild",), sets=("disruptions.ga-control.severity=0.5",))
    changes = run_changes(loaded)
    assert changes == [
        {
            "by": "override mild",
            "key": "disruptions.ga-control.severity",
            "change": "set",
            "value": 0.5,
        },  # the later --set wins: the value as run
        {"by": "override mild", "key": "disruptions.boom", "change": "deleted", "value": None},
        {"by": "--set", "key": "disruptions.ga-control.severity", "change": "set", "value": 0.5},
    ]
    assert change_text(changes[1]) == "disruptions.boom deleted (override mild)"
    assert run_changes(sim.load(path)) == []


def test_assumptions_are_the_values_a_file_marks_with_a_warning_sign(tmp_path, reserve_text):
    path = tmp_path / "s.yaml"
    marked = reserve_text.replace("    days: 60\n", "    days: 60   # ⚠ assumption: two months\n")
    path.write_text(marked)
    loaded = sim.load(path)
    assert assumptions(loaded, [("policies", "reserve")]) == [
        ("policies.reserve.days", "⚠ assumption: two months")
    ]
    assert assumptions(loaded, [("disruptions",)]) == []
    path.write_text(reserve_text)
    assert assumptions(sim.load(path), [("policies", "reserve")]) == []
