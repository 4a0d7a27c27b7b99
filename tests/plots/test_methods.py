"""Objects that plot themselves: `LoadedScenario.plot`, `Results.plot`, `Comparison.plot`, and
their HTML in a notebook. matplotlib is imported by the call, never by `import sim`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

import sim

BLOCS = ["alliance", "china", "rest"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, reserve_text):
    path = tmp_path_factory.mktemp("methods") / "s.yaml"
    path.write_text(reserve_text)
    return sim.compare(sim.load(path), reps=6, seed=1)


@pytest.fixture(scope="module")
def results(comparison):
    return comparison.results["reserve"]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _labels(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- Results.plot ------------------------------------------------------------------------------


def test_price_of_one_commodity_is_an_axes_with_a_fan_per_bloc(results):
    ax = sim.plot(results, "price", commodity="gallium")
    assert isinstance(ax, plt.Axes)
    assert len(ax.lines) == 3 + 1  # a median per bloc and the line at the starting price
    assert len(ax.collections) == 3 * 2  # two bands per bloc
    assert _labels(ax) == BLOCS
    assert ax.get_title() == "gallium"


def test_one_bloc(results):
    ax = sim.plot(results, "price", commodity="gallium", bloc="alliance")
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    assert _labels(ax) == ["alliance"]


def test_every_commodity_is_a_figure_with_a_panel_each(results):
    fig = sim.plot(results)
    assert isinstance(fig, plt.Figure)
    shown = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in shown] == ["gallium", "antimony"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == BLOCS
    assert "6 replications" in fig.get_suptitle()


def test_supply_and_stocks(results):
    ax = sim.plot(results, "supply", commodity="gallium")
    labels = _labels(ax)
    supply = [x for x in labels if x.endswith(" supply")]
    assert supply == ["alliance supply", "china supply", "rest supply"]
    assert all(x.endswith("shortfall (mean)") for x in labels if x not in supply)
    ax = sim.plot(results, "stocks", commodity="antimony")
    assert ax.get_ylabel() == "days of use"
    assert len(ax.lines) == 3


def test_draws_on_the_axes_given(results):
    _, (left, right) = plt.subplots(1, 2)
    out = sim.plot(results, "stocks", commodity="gallium", ax=right)
    assert out is right
    assert len(right.lines) == 3 and not left.lines


def test_an_axes_holds_one_commodity(results):
    _, ax = plt.subplots()
    with pytest.raises(ValueError) as e:
        sim.plot(results, "price", ax=ax)
    assert str(e.value) == (
        "an ax holds one commodity: name one with commodity= (the commodities: gallium, antimony)"
    )


def test_unknown_kind_names_the_kinds(results):
    with pytest.raises(ValueError) as e:
        sim.plot(results, "fan")
    assert str(e.value) == "unknown kind 'fan'; the kinds are: price, supply, stocks"


def test_unknown_commodity_and_bloc(results):
    with pytest.raises(ValueError) as e:
        sim.plot(results, commodity="galium")
    assert str(e.value) == (
        "no commodity named 'galium'; did you mean 'gallium'? (the commodities: gallium, antimony)"
    )
    with pytest.raises(ValueError) as e:
        sim.plot(results, bloc="eu")
    assert str(e.value) == "no bloc named 'eu' (the blocs: alliance, china, rest)"


# --- Comparison.plot ---------------------------------------------------------------------------


def test_comparison_price_overlays_the_options(comparison):
    ax = sim.plot(comparison, "price", commodity="gallium")
    assert _labels(ax) == ["do-nothing", "reserve"]
    # the baseline's band (two halves of one fill: 25-75% twice) and a median per option
    assert len(ax.collections) == 2
    assert len(ax.lines) == 2 + 1  # and the line at the starting price
    fig = sim.plot(comparison, "price")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["do-nothing", "reserve"]
    assert fig.get_suptitle().startswith("Price in alliance by option")


def test_comparison_in_another_bloc(comparison):
    fig = sim.plot(comparison, "stocks", bloc="china")
    assert fig.get_suptitle().startswith("Strategic stocks for china (mean; shaded: disruption")


def test_frontier_has_a_point_per_option(comparison):
    ax = sim.plot(comparison, "frontier")
    assert isinstance(ax, plt.Axes)
    assert len(ax.containers) == 2  # one errorbar per option
    assert _labels(ax) == ["do-nothing", "reserve"]
    assert ax.get_ylabel() == (
        "change in users' expected loss in alliance,\nmillion USD (PV; all commodities)"
    )
    assert ax.get_xlabel() == "change in expected net fiscal cost, million USD (PV)"
    # each point is the headline's paired difference: the baseline at the origin, and the
    # changes in fiscal cost and users' loss add up to the change in social cost
    head = comparison.headline("alliance").set_index(["option", "commodity"])
    base = head.loc[("do-nothing", "all")]
    for container, option in zip(ax.containers, ["do-nothing", "reserve"], strict=True):
        x, y = (float(v[0]) for v in container.lines[0].get_data())
        row = head.loc[(option, "all")]
        assert x == pytest.approx((row.fiscal_cost_net - base.fiscal_cost_net) / 1e6, abs=1e-9)
        assert x + y == pytest.approx(row.social_cost_vs_baseline / 1e6, abs=1e-6)
    assert (x, y) != (0.0, 0.0)  # the reserve moves something
    # the vertical bar is the 95% interval of the paired difference in users' loss
    from sim.experiment.compare import paired_interval

    def loss(res):
        m = res.metrics
        return (m["consumer_cost"] + m["shortfall_value"])[:, :, 0].sum(1) / 1e6

    r, b0 = comparison.results["reserve"], comparison.results["do-nothing"]
    _, low, high = paired_interval(loss(r) - loss(b0))
    (segment,) = ax.containers[1].lines[2][1].get_segments()
    assert (segment[:, 1].min(), segment[:, 1].max()) == pytest.approx((low, high))
    one = sim.plot(comparison, "frontier", commodity="gallium")
    assert one.get_ylabel().endswith("(PV; gallium)")


def test_shortfall_boxes_and_stocks(comparison):
    ax = sim.plot(comparison, "shortfall", commodity="gallium")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["do-nothing", "reserve"]
    ax = sim.plot(comparison, "stocks", commodity="gallium")
    assert len(ax.lines) == 2
    assert ax.lines[1].get_ydata().max() > 0  # the reserve holds gallium
    assert ax.lines[0].get_ydata().max() == 0


def test_differences_is_a_figure_of_two_panels(comparison):
    fig = sim.plot(comparison, "differences")
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xlabel() == (
        "social_cost (million USD, PV): option - do-nothing (95% interval)"
    )
    # every row says which mineral and which option it is
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels and all(label.endswith(": reserve") for label in labels)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="two panels of its own"):
        sim.plot(comparison, "differences", ax=ax)


def test_comparison_unknown_kind(comparison):
    with pytest.raises(ValueError) as e:
        sim.plot(comparison, "prices")
    assert str(e.value) == (
        "unknown kind 'prices'; the kinds are: price, shortfall, frontier, stocks, differences"
    )


# --- LoadedScenario.plot -----------------------------------------------------------------------


def test_scenario_structure(comparison):
    ax = sim.plot(comparison.loaded)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "gallium mining",
        "gallium refining",
        "gallium use",
        "antimony mining",
        "antimony refining",
        "antimony use",
    ]
    # segments: gallium CN+other | CN, JP, other | 3 blocs; antimony CN, RU, AU, other |
    # CN, other | 3 blocs
    assert len(ax.patches) == 2 + 3 + 3 + 4 + 2 + 3
    assert _labels(ax) == BLOCS
    widths = [p.get_width() for p in ax.patches]
    assert sum(widths) == pytest.approx(6.0)  # each bar sums to 1


def test_scenario_structure_of_one_commodity(comparison):
    ax = sim.plot(comparison.loaded, commodity="gallium")
    assert len(ax.get_yticklabels()) == 3
    first = ax.patches[0]  # gallium mining: China's 98% first (blocs in order), then other
    assert first.get_width() == pytest.approx(0.98)


# --- notebooks ---------------------------------------------------------------------------------


def test_html_of_results_and_comparison(results, comparison):
    page = results._repr_html_()
    assert "<table" in page and "option <code>reserve</code>, 6 replications, seed 1" in page
    assert page.count("<tr") == 10 + 1  # ten rows and the header
    page = comparison._repr_html_()
    assert "2 options on the same 6 replications (seed 1), baseline do-nothing" in page
    assert page.count("<tr") == 2 + 1  # the ranked options and the header


def test_plot_imports_matplotlib_only_when_called(small_path):
    code = textwrap.dedent(
        f"""
        import sys
        import sim
        loaded = sim.load({str(small_path)!r})
        results = sim.run(loaded, reps=2, seed=1, block_size=2)
        assert not [m for m in sys.modules if m.startswith(("matplotlib", "sim.plots"))]
        ax = sim.plot(results, "price", commodity="gallium")
        assert "matplotlib" in sys.modules
        print(len(ax.lines))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"MPLBACKEND": "Agg", "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4"


def test_plot_names_what_it_draws(comparison):
    with pytest.raises(TypeError) as e:
        sim.plot(comparison.summary())
    assert str(e.value) == (
        "sim.plot draws a loaded scenario, Results or a Comparison, not DataFrame"
    )
    with pytest.raises(ValueError, match="structure takes only `commodity` and `ax`"):
        sim.plot(comparison.loaded, "price")
