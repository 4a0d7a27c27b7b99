"""Decision metrics in money: consumer cost, the value of unmet use, net fiscal cost with the
stock still held credited, social cost, CVaR95, quarterly shortfall risk and cover at onset."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import sim
from sim.engine import compile_world
from sim.engine.simulation import calm_path
from sim.experiment.compare import bloc_label, compare_options
from sim.experiment.results import cvar
from sim.experiment.runner import run_replications

GALLIUM, ANTIMONY = 0, 1
ALLIANCE, CHINA, REST = 0, 1, 2
CALM = (
    "~disruptions.ga-control",
    "~disruptions.sb-outage",
    "~disruptions.sb-quota",
    "~disruptions.boom",
)


@pytest.fixture
def reserve_path(tmp_path, reserve_text):
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    return path


def test_cvar_is_the_mean_of_the_worst_five_percent():
    x = np.arange(1.0, 101.0)
    assert cvar(x) == pytest.approx(np.mean([96, 97, 98, 99, 100]))
    assert cvar(np.array([3.0])) == 3.0
    assert cvar(x) >= np.quantile(x, 0.95)


def test_a_calm_world_costs_nothing_and_has_no_onset(small_path):
    r = run_replications(sim.load(small_path, sets=CALM), 4, seed=1)
    w = r.world
    # costs are counted against the calm path itself, so the start-up drift of prices
    # (about 1e-6 of the price) costs nothing: only rounding is left
    bill = w.demand * w.reference_price[:, None] * w.n_ticks * w.dt  # [K, B] currency
    for m in ("consumer_cost", "shortfall_value", "fiscal_cost_net", "social_cost"):
        assert (np.abs(r.metrics[m]) <= 1e-12 * bill[None]).all(), m
    assert (r.metrics["quarter_shortfall_over_5pct"] == 0).all()
    assert np.isnan(r.metrics["cover_days_at_onset"]).all()


def test_a_control_costs_the_controlled_bloc_and_its_unmet_use_is_valued(small_path):
    """No discounting: the value of unmet use is the shortfall times the value lost per
    tonne (the backstop times the reference price by default); the alliance's users pay more
    and China's less (its price falls)."""
    loaded = sim.load(small_path, sets=("+discount_rate=0",))
    world = compile_world(loaded.scenario)
    r = run_replications(loaded, 4, seed=1)
    m = r.metrics
    calm_short = calm_path(loaded.scenario, world, 1)[2].sum(0)  # [K, B] t without disruptions
    np.testing.assert_allclose(
        m["shortfall_value"][:, GALLIUM],
        (m["shortfall_t"][:, GALLIUM] - calm_short[GALLIUM]) * world.value_lost[GALLIUM],
    )
    assert world.value_lost[GALLIUM] == pytest.approx(
        loaded.scenario.commodities["gallium"].elasticity.backstop * world.reference_price[GALLIUM]
    )
    assert (m["consumer_cost"][:, GALLIUM, ALLIANCE] > 0).all()
    assert (m["consumer_cost"][:, GALLIUM, CHINA] < 0).all()
    np.testing.assert_allclose(
        m["social_cost"], m["consumer_cost"] + m["shortfall_value"] + m["fiscal_cost_net"]
    )
    # the control (80% of the alliance's imports) leaves a quarter short by more than 5%
    assert (m["quarter_shortfall_over_5pct"][:, GALLIUM, ALLIANCE] == 1).all()
    # stocks held when it starts: the calm market's cover, about its stock days
    days = world.stock_days[GALLIUM, ALLIANCE]
    np.testing.assert_allclose(m["cover_days_at_onset"][:, GALLIUM, ALLIANCE], days, rtol=0.05)


def test_a_deeper_cut_never_costs_the_controlled_bloc_less(small_path):
    costs = []
    for severity in (0.2, 0.5, 0.8, 1.0):
        loaded = sim.load(small_path, sets=(f"disruptions.ga-control.severity={severity}",))
        r = run_replications(loaded, 2, seed=1)
        costs.append(r.metrics["social_cost"][0, GALLIUM, ALLIANCE])
    assert all(b >= a for a, b in itertools.pairwise(costs)), costs


def test_a_stockpile_that_ends_full_is_credited_its_stock(small_path):
    """Filled before the run at the reference price and never sold, in a calm world and
    without discounting or holding costs, it costs nothing net: its outlay comes back as the
    stock it holds; discounted, the net cost is the outlay less the end value's present
    value."""
    stockpile = (
        "+policies={full: {type: stockpile, owners: [alliance], commodities: [gallium], "
        "days: 60, initial: 1, holding_cost: 0, release: {price_above: 90}}}"
    )
    for rate in (0.0, 0.03):
        loaded = sim.load(
            small_path,
            sets=(*CALM, stockpile, "+options={full: [full]}", f"+discount_rate={rate}"),
        )
        r = run_replications(loaded, 2, seed=1, option="full")
        outlay = r.metrics["fiscal_cost_discounted"][:, GALLIUM, ALLIANCE]
        net = r.metrics["fiscal_cost_net"][:, GALLIUM, ALLIANCE]
        assert (outlay > 0).all()
        years = r.world.n_ticks * r.world.dt
        expected = outlay * (1 - (1 + rate) ** -years)
        np.testing.assert_allclose(net, expected, atol=1e-6 * float(outlay.max()))


def test_tariff_revenue_equals_its_users_extra_payment_on_imports(small_path):
    """The alliance refines no antimony, so all it uses is imported: the revenue booked is
    the tariff's part of the price its users paid, on what it received, tick by tick; in
    social cost the two cancel (a transfer)."""
    rate = 0.25
    loaded = sim.load(
        small_path,
        sets=(
            f"+policies={{duty: {{type: tariff, bloc: alliance, commodity: antimony, rate: {rate}}}}}",
            "+options={duty: [duty]}",
        ),
    )
    r = run_replications(loaded, 3, seed=2, option="duty", keep_paths=True)
    w = r.world
    user = r.paths["price"][:, :, ANTIMONY, ALLIANCE]  # [T, R] currency/t, with the tariff
    received = r.paths["supply"][:, :, ANTIMONY, ALLIANCE] * w.dt  # t each tick
    discount = (1 + loaded.scenario.discount_rate) ** (np.arange(w.n_ticks) * w.dt)
    extra = (user * rate / (1 + rate) * received / discount[:, None]).sum(0)  # [R]
    revenue = -r.metrics["fiscal_cost_discounted"][:, ANTIMONY, ALLIANCE]
    np.testing.assert_allclose(revenue, extra, rtol=1e-9)


def test_do_nothing_has_zero_fiscal_cost_and_zero_difference(reserve_path):
    c = compare_options(sim.load(reserve_path), 6, 3, executor="inline")
    base = c.results["do-nothing"]
    assert (base.metrics["fiscal_cost_net"] == 0).all()
    head = c.headline()
    row = head[(head.option == "do-nothing") & (head.commodity == "all")].iloc[0]
    assert row.social_cost_vs_baseline == 0 and row.verdict == "baseline"
    assert set(head["rank"]) == {1, 2}
    # by default about every bloc that was hit, together; or about the bloc asked for
    assert head.bloc.unique().tolist() == [bloc_label(c.focus_blocs(), base.world.blocs)]
    assert c.headline("alliance").bloc.unique().tolist() == ["alliance"]
    # the ranking is by expected social cost in total
    totals = head[head.commodity == "all"].set_index("option")
    assert totals.social_cost.idxmin() == totals["rank"].idxmin()


def test_totals_across_commodities_are_in_money_only(reserve_path):
    c = compare_options(sim.load(reserve_path), 4, 3, executor="inline")
    summary = c.summary()
    totals = set(summary[summary.commodity == "all"].metric)
    assert totals == {
        "fiscal_cost",
        "fiscal_cost_discounted",
        "consumer_cost",
        "shortfall_value",
        "fiscal_cost_net",
        "social_cost",
        "social_cost_cvar95",
    }


def test_the_headline_says_what_an_option_buys_or_that_it_buys_nothing(reserve_path, small_path):
    """A full reserve that sells into the control and ends with stock lowers social cost and
    earns more than it spends; an option with no effect (a tariff on a commodity nobody
    disrupts, at rate 0) is 'no measurable effect', not a ratio."""
    c = compare_options(sim.load(reserve_path), 8, 3, executor="inline")
    head = c.headline().set_index(["option", "commodity"])
    assert head.loc[("reserve", "all"), "verdict"] == "lowers social cost at no net fiscal cost"
    assert head.loc[("reserve", "all"), "ci_high"] < 0
    nothing = sim.load(
        small_path,
        sets=(
            "+policies={zero: {type: tariff, bloc: alliance, commodity: antimony, rate: 0}}",
            "+options={do-nothing: [], zero: [zero]}",
        ),
    )
    c = compare_options(nothing, 8, 3, executor="inline")
    row = c.headline().set_index(["option", "commodity"]).loc[("zero", "all")]
    assert row.verdict == "no measurable effect" and np.isnan(row.avoided_per_fiscal)


def test_an_option_that_raises_social_cost_gets_no_cost_effectiveness_ratio(tmp_path, small_path):
    """Buying a stockpile into a control raises the bloc's social cost here: the headline
    says so and gives no ratio (a negative one would read as a bargain)."""
    loaded = sim.load(
        small_path,
        sets=(
            "+policies={buy: {type: stockpile, owners: [alliance], commodities: [gallium], "
            "days: 120, release: {price_above: 90, when_short: false}}}",
            "+options={do-nothing: [], buy: [buy]}",
        ),
    )
    c = compare_options(loaded, 8, 3, executor="inline")
    row = c.headline().set_index(["option", "commodity"]).loc[("buy", "all")]
    assert row.verdict == "raises social cost" and row.ci_low > 0
    assert np.isnan(row.avoided_per_fiscal)
