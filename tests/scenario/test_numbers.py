"""Numbers where they are read (issue 15): finite everywhere, positive where a quantity must
be, distribution parameters in their domain, and the cross-checks the schema cannot make
(capacities against world output, options naming a policy twice). Each case edits one line
of the conftest scenario; messages are exact and located."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.scenario import ScenarioError, load

Edit = Callable[[str], str]


def at(line: int, old: str, new: str) -> Edit:
    """Replace `old` (once on line `line`, 1-based) with `new`, as test_errors.py does."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        assert lines[line - 1].count(old) == 1, (old, lines[line - 1])
        lines[line - 1] = lines[line - 1].replace(old, new)
        return "".join(lines)

    return edit


def append(extra: str) -> Edit:
    return lambda text: text + extra


def chain(*edits: Edit) -> Edit:
    def edit(text: str) -> str:
        for e in edits:
            text = e(text)
        return text

    return edit


def problems_of(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(path)
    return [str(p).replace(str(path), "{file}") for p in info.value.problems]


ELASTICITY = "reference_price: 250 USD/kg\n    elasticity: {short_run: %s}"
TARIFF = (
    "policies:\n  duty:\n    type: tariff\n    bloc: alliance\n    commodity: gallium\n"
    "    rate: 0.1\n"
)  # lines 41-46 when appended

CASES = [
    # -- finite --------------------------------------------------------------------------
    pytest.param(
        at(18, "reference_price: 250 USD/kg", ELASTICITY % ".nan"),
        [
            "{file}:19:29: commodities.gallium.elasticity.short_run: must be a finite number "
            "(got nan)"
        ],
        id="nan-elasticity",
    ),
    pytest.param(
        at(7, "0.65", "1e400"),
        ["{file}:7:11: fx.AUD: must be a finite number (got inf)"],
        id="fx-1e400",
    ),
    pytest.param(
        at(7, "0.65", "-.inf"),
        ["{file}:7:11: fx.AUD: must be a finite number (got -inf)"],
        id="fx-minus-inf",
    ),
    pytest.param(
        at(
            18,
            "reference_price: 250 USD/kg",
            "reference_price: 250 USD/kg\n    price: {choke_multiple: .inf}",
        ),
        [
            "{file}:19:29: commodities.gallium.price.choke_multiple: must be a finite number "
            "(got inf)"
        ],
        id="choke-inf",
    ),
    pytest.param(
        at(18, "250 USD/kg", "1e400 USD/kg"),
        [
            "{file}:18:22: commodities.gallium.reference_price: a price must be finite "
            "(got '1e400 USD/kg')"
        ],
        id="price-1e400",
    ),
    pytest.param(
        at(37, "0.9", ".nan"),
        ["{file}:37:15: disruptions.ga_ban.severity: must be a finite number (got nan)"],
        id="nan-severity",
    ),
    pytest.param(
        append("sweep:\n  disruptions.ga_ban.severity: [0.5, .nan]\n"),
        ["{file}:42:38: sweep.disruptions.ga_ban.severity.1: must be a finite number (got nan)"],
        id="nan-in-a-sweep",
    ),
    # -- positive ------------------------------------------------------------------------
    pytest.param(
        at(18, "250 USD/kg", "0 USD/kg"),
        [
            "{file}:18:22: commodities.gallium.reference_price: must be greater than 0 "
            "(got 0 USD/kg)"
        ],
        id="price-zero",
    ),
    pytest.param(
        at(18, "250 USD/kg", "{value: 0, currency: USD}"),
        [
            "{file}:18:22: commodities.gallium.reference_price: must be greater than 0 "
            "(got 0 USD/kg)"
        ],
        id="price-zero-mapping",
    ),
    pytest.param(
        at(17, "760 t", "0 t"),
        ["{file}:17:19: commodities.gallium.world_output: must be greater than 0 (got '0 t')"],
        id="world-output-zero",
    ),
    pytest.param(
        at(7, "0.65", "0"),
        ["{file}:7:11: fx.AUD: must be greater than 0 (got 0)"],
        id="fx-zero",
    ),
    pytest.param(
        at(27, "{share: 0.4}", "{quantity: 0 t}"),
        [
            "{file}:27:28: commodities.gallium.demand.alliance.quantity: must be greater than 0 "
            "(got '0 t')"
        ],
        id="demand-quantity-zero",
    ),
    pytest.param(
        at(22, "{share: 0.98}", "{capacity: 0 t}"),
        [
            "{file}:22:26: commodities.gallium.stages.mining.producers.CN.capacity: must be "
            "greater than 0 (got '0 t')"
        ],
        id="capacity-zero",
    ),
    pytest.param(
        at(22, "{share: 0.98}", "{share: 0.98, unit_cost: 0 USD/t}"),
        [
            "{file}:22:40: commodities.gallium.stages.mining.producers.CN.unit_cost: must be "
            "greater than 0 (got 0 USD/t)"
        ],
        id="unit-cost-zero",
    ),
    # -- distributions -------------------------------------------------------------------
    pytest.param(
        at(39, "18 months", "{dist: lognormal, median: -2, sigma: 0.5, unit: months}"),
        ["{file}:39:41: disruptions.ga_ban.duration.median: must be greater than 0 (got -2)"],
        id="lognormal-negative-median",
    ),
    pytest.param(
        at(39, "18 months", "{dist: lognormal, median: 12, sigma: 50, unit: months}"),
        ["{file}:39:52: disruptions.ga_ban.duration.sigma: must be at most 5 (got 50)"],
        id="lognormal-sigma-huge",
    ),
    pytest.param(
        at(39, "18 months", "{dist: uniform, low: 1, high: 1e300, unit: months}"),
        [
            "{file}:39:45: disruptions.ga_ban.duration.high: a duration of at most 1000 years "
            "is allowed (got 1e+300 months)"
        ],
        id="duration-distribution-too-long",
    ),
    pytest.param(
        at(39, "18 months", "20000 years"),
        [
            "{file}:39:15: disruptions.ga_ban.duration: a duration of at most 1000 years is "
            "allowed (got '20000 years')"
        ],
        id="duration-too-long",
    ),
    pytest.param(
        append(
            "  boom:\n    type: demand_shock\n    commodity: gallium\n    start: 2027-01\n"
            "    duration: 1 year\n    change: {dist: uniform, low: -1.5, high: 0.2}\n"
        ),
        ["{file}:46:34: disruptions.boom.change.low: must be greater than -1 (got -1.5)"],
        id="change-below-minus-one",
    ),
    pytest.param(
        at(
            18,
            "reference_price: 250 USD/kg",
            "reference_price: 250 USD/kg\n    storage: {expected_duration: 0 years}",
        ),
        [
            "{file}:19:34: commodities.gallium.storage.expected_duration: must be greater than 0 "
            "(got 0)"
        ],
        id="expected-duration-zero",
    ),
    # -- cross-checks --------------------------------------------------------------------
    pytest.param(
        append(TARIFF + "options:\n  twice: [duty, duty]\n"),
        [
            "{file}:48:17: options.twice.1: 'duty' is already item 0 of this option; an option "
            "switches each policy on once (listed twice, its cost would count twice): remove "
            "this one"
        ],
        id="policy-twice-in-an-option",
    ),
    pytest.param(
        at(22, "{share: 0.98}", "{capacity: 3000 t}"),
        [
            "{file}:22:26: commodities.gallium.stages.mining.producers.CN.capacity: 3000 t a "
            "year is 3.95 times the stage's world output (760 t, the commodity's world_output); "
            "a producer's output is part of world output: lower the capacity, or raise the "
            "world output"
        ],
        id="capacity-over-world-output",
    ),
    pytest.param(
        chain(
            at(21, "producers:", "world_output: 700 t\n        producers:"),
            at(23, "{share: 0.98}", "{capacity: 800 t}"),
        ),
        [
            "{file}:23:26: commodities.gallium.stages.mining.producers.CN.capacity: 800 t a "
            "year is 1.14 times the stage's world output (700 t, world_output); a producer's "
            "output is part of world output: lower the capacity, or raise the world output"
        ],
        id="capacity-over-the-stage-s-world-output",
    ),
    pytest.param(
        at(25, "{share: 0.988}", "{share: 0.5}\n          JP: {capacity: 500 t}"),
        [
            "{file}:25:11: commodities.gallium.stages.refining.producers: the producers make "
            "880 t a year at the reference price (shares of world output plus capacities), "
            "more than the stage's world output (760 t, the commodity's world_output); lower "
            "the shares or capacities, or raise the world output"
        ],
        id="shares-and-capacities-over-world-output",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_refused_number(valid_text, write, edit: Edit, expected) -> None:
    assert problems_of(write(edit(valid_text))) == expected


def test_capacities_within_world_output_load(valid_text, write) -> None:
    text = at(25, "{share: 0.988}", "{share: 0.5}\n          JP: {capacity: 300 t}")(valid_text)
    stage = load(write(text)).scenario.commodities["gallium"].stages["refining"]
    assert stage.producers["JP"].capacity == 300


def test_a_demand_shock_may_draw_a_fall_of_use(valid_text, write) -> None:
    text = valid_text + (
        "  slump:\n    type: demand_shock\n    commodity: gallium\n    start: 2027-01\n"
        "    duration: 1 year\n    change: {dist: uniform, low: -0.3, high: 0.1}\n"
    )
    assert load(write(text)).scenario.disruptions["slump"].change.low == -0.3


def test_the_same_policy_in_two_options_is_fine(valid_text, write) -> None:
    text = valid_text + TARIFF + "options:\n  one: [duty]\n  other: [duty]\n"
    assert load(write(text)).scenario.options == {"one": ["duty"], "other": ["duty"]}


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (
            "commodities.gallium.reference_price=0 USD/kg",
            "commodities.gallium.reference_price: must be greater than 0 (got 0 USD/kg)",
        ),
        ("fx.AUD=.nan", "fx.AUD: must be a finite number (got nan)"),
        ("fx.AUD=1e400", "fx.AUD: must be a finite number (got inf)"),
        (
            "+commodities.gallium.price.choke_multiple=.inf",
            "commodities.gallium.price.choke_multiple: must be a finite number (got inf)",
        ),
    ],
)
def test_a_non_finite_or_zero_set_value_exits_2_located_at_the_option(
    write, valid_text, option, expected
) -> None:
    path = write(valid_text)
    result = CliRunner().invoke(cli, ["validate", str(path), "--set", option])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"--set {option}: {expected}", "minsim: 1 problem found"]
    assert "Traceback" not in result.output


def test_a_zero_reference_price_exits_2_via_the_cli(write, valid_text) -> None:
    path = write(at(18, "250 USD/kg", "0 USD/kg")(valid_text))
    result = CliRunner().invoke(cli, ["run", str(path), "--reps", "2", "--no-plots"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{path}:18:22: commodities.gallium.reference_price: must be greater than 0 "
        "(got 0 USD/kg)\nminsim: 1 problem found\n"
    )


def test_every_shipped_scenario_passes_the_number_checks() -> None:
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[2] / "scenarios").rglob("*.yaml")):
        load(path)
