"""Policy design search: levers on the unit cube, designs as options, NSGA-II on common random
numbers, the frontier, its rescoring, the study that resumes, and the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.experiment.levers import Levers, design_scenario
from sim.experiment.optimise import (
    Study,
    designs_table,
    lever_table,
    non_dominated,
    rescore,
    search,
    study_header,
)
from sim.scenario import ScenarioError


@pytest.fixture(scope="module")
def one_mineral(tmp_path_factory, one_mineral_text) -> Path:
    path = tmp_path_factory.mktemp("design") / "one.yaml"
    path.write_text(one_mineral_text)
    return path


@pytest.fixture(scope="module")
def searched(one_mineral):
    result = search(sim.load(one_mineral), seed=5, executor="inline")
    return rescore(result, seed=5, executor="inline")


def _levers(loaded) -> Levers:
    s = loaded.scenario
    return Levers(s.design, s.fx, s.currency)


# -- the frontier -------------------------------------------------------------------------------


def test_the_frontier_of_a_known_design_is_monotone_and_holds_both_corners(searched):
    E = searched.frontier_evaluations()
    days = [e.values[0] for e in E]
    cost = [e.outcomes["fiscal_cost_net"] for e in E]
    risk = [e.outcomes["social_cost_cvar95"] for e in E]
    assert days[0] == 5 and days[-1] == 125  # both corner designs
    assert len(E) >= 5
    assert np.all(np.diff(cost) > 0) and np.all(np.diff(risk) < 0)
    assert days == sorted(days)  # the bigger the stock, the dearer and the safer
    # every design scored is on the frontier (none dominates another)
    assert len(E) == len(searched.study.evaluations)


def test_the_rescored_frontier_is_still_monotone_on_fresh_replications(searched):
    table = designs_table(searched)
    designs = table[table.kind == "design"]
    assert list(designs.option) == [f"design-{n + 1}" for n in range(len(designs))]
    assert np.all(np.diff(designs.days) > 0)
    assert np.all(np.diff(designs.fiscal_cost_net) > 0)
    assert np.all(np.diff(designs.social_cost_cvar95) < 0)
    assert (designs["fiscal_cost_net:low"] <= designs.fiscal_cost_net).all()
    assert (designs.fiscal_cost_net <= designs["fiscal_cost_net:high"]).all()
    # fresh replications: another seed, more of them
    base = searched.rescored.results[searched.rescored.baseline]
    assert base.seed == 6 and base.reps == 60
    assert set(table[table.kind == "option"].option) == {"do-nothing", "reserve"}


def test_lever_table_reads_the_frontier(searched):
    table = lever_table(searched).set_index("lever")
    row = table.loc["days"]
    assert row.frontier_min == 5 and row.frontier_max == 125 and row.frontier_spread == 1.0
    assert row["rank_correlation:fiscal_cost_net"] == pytest.approx(1.0)
    assert row["rank_correlation:social_cost_cvar95"] == pytest.approx(-1.0)


def test_non_dominated_keeps_the_first_of_equal_rows():
    F = np.array([[1.0, 3.0], [2.0, 2.0], [2.0, 2.0], [3.0, 3.0], [3.0, 1.0]])
    assert list(non_dominated(F)) == [0, 1, 4]


# -- levers and designs -------------------------------------------------------------------------


SPLIT = """
policies:
  sb:
    type: stockpile
    owners: [alliance]
    commodities: [antimony]
    budget: 100e6 USD
    initial: 1
  ga-plant:
    type: capacity_programme
    bloc: alliance
    commodity: gallium
    capacity: 50 t
    lead_time: 2 years
    delay: {dist: uniform, low: 0, high: 2, unit: years}
    amount: 100e6 USD
options:
  do-nothing: []
  both: [sb, ga-plant]
design:
  option: both
  split:
    money:
      total: 300e6 AUD
      spend: SPEND
      parts:
        stock: {key: policies.sb.budget}
        plant:
          key: policies.ga-plant.amount
          also: [{key: policies.ga-plant.capacity, per: 2e6 AUD, unit: t}]
  levers:
    release: {key: policies.sb.initial, low: 0.2, high: 1.0, step: 0.2}
"""


def _split(small_text, tmp_path, spend="up_to"):
    path = tmp_path / "split.yaml"
    path.write_text(small_text + SPLIT.replace("SPEND", spend))
    return sim.load(path)


def test_levers_decode_scales_rounds_and_splits(small_text, tmp_path):
    levers = _levers(_split(small_text, tmp_path))
    assert levers.names == ["release", "money.stock", "money.plant"]
    np.testing.assert_allclose(levers.decode([0.0, 0.25, 0.5]), [0.2, 75e6, 150e6])
    np.testing.assert_allclose(levers.decode([0.33, 1.0, 1.0]), [0.4, 150e6, 150e6])  # sum > 1
    everything = _levers(_split(small_text, tmp_path, "all"))
    np.testing.assert_allclose(everything.decode([1.0, 0.1, 0.3])[1:], [75e6, 225e6])


def test_corner_designs_put_each_lever_at_its_bounds_and_each_budget_in_one_part(
    small_text, tmp_path
):
    levers = _levers(_split(small_text, tmp_path))
    corners = {tuple(levers.decode(x)) for x in levers.corners()}
    assert (0.2, 0.0, 0.0) in corners and (1.0, 150e6, 150e6) in corners
    assert (0.6, 300e6, 0.0) in corners and (0.6, 0.0, 300e6) in corners
    assert (0.6, 0.0, 0.0) in corners  # up_to: nothing spent


def test_designs_are_options_of_copied_policies_sharing_the_originals_draws(small_text, tmp_path):
    loaded = _split(small_text, tmp_path)
    levers = _levers(loaded)
    variant = design_scenario(
        loaded, levers, {"d1": np.array([0.4, 100e6, 200e6]), "d2": np.array([1.0, 0.0, 300e6])}
    )
    s = variant.scenario
    assert s.options["d1"] == ["d1-sb", "d1-ga-plant"]
    assert s.options["d2"] == ["d2-ga-plant"]  # a part given nothing leaves its policy out
    plant = s.policies["d1-ga-plant"]
    assert plant.stream == "ga-plant"  # the original's random stream: common random numbers
    assert plant.capacity == pytest.approx(100.0)  # 200e6 AUD / 2e6 AUD per t
    assert str(plant.amount) == "2e+08 AUD"
    assert s.policies["d1-sb"].initial == pytest.approx(0.4)
    assert "d1-sb" not in loaded.scenario.policies  # the file's scenario is untouched


def test_a_copied_capacity_programme_draws_the_originals_delays(small_text, tmp_path):
    loaded = _split(small_text, tmp_path)
    levers = _levers(loaded)
    variant = design_scenario(loaded, levers, {"d1": np.array([1.0, 100e6 / 0.65, 100e6])})
    runs = sim.compare(variant, reps=6, seed=3, options=["do-nothing", "both", "d1"])
    k = runs.results["both"].world.commodities.index("gallium")
    both = runs.results["both"].metrics["shortfall_t"][:, k]
    d1 = runs.results["d1"].metrics["shortfall_t"][:, k]
    # the same plant (100e6 AUD buys 50 t) arriving at the same random dates
    np.testing.assert_allclose(d1, both, rtol=1e-12)


def test_a_lever_value_the_policy_refuses_is_named_at_the_lever(small_text, tmp_path):
    text = small_text + SPLIT.replace("SPEND", "up_to").replace("low: 0.2", "low: -0.5")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    loaded = sim.load(path)
    with pytest.raises(ScenarioError) as info:
        search(loaded, seed=1, executor="inline")
    problem = info.value.problems[0]
    assert problem.key == "design.levers.release"
    assert problem.location.file == str(path)
    assert "lever 'release' gives policies.sb.initial a value the policy refuses" in problem.message


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        ("option: both", "design.option", "no option named 'bothh'; did you mean 'both'?"),
        (
            "key: policies.sb.budget",
            "design.split.money.parts.stock.key",
            "policy 'sbb' is not one of option 'both''s policies (sb, ga-plant); did you mean 'sb'?",
        ),
        (
            "key: policies.sb.initial",
            "design.levers.release.key",
            "policy 'sb' has no key 'policies.sb.inital'; did you mean 'initial'?",
        ),
    ],
)
def test_a_misspelt_design_is_a_located_error(small_text, tmp_path, edit, key, message):
    wrong = {
        "option: both": "option: bothh",
        "key: policies.sb.budget": "key: policies.sbb.budget",
        "key: policies.sb.initial": "key: policies.sb.inital",
    }[edit]
    path = tmp_path / "bad.yaml"
    path.write_text(small_text + SPLIT.replace("SPEND", "up_to").replace(edit, wrong))
    with pytest.raises(ScenarioError) as info:
        sim.load(path)
    (problem,) = [p for p in info.value.problems if p.key == key]
    assert message in problem.message
    assert problem.location.file == str(path) and problem.location.line > 0


def test_lever_bounds_are_checked_where_they_are_read(small_text, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(small_text + SPLIT.replace("SPEND", "up_to").replace("high: 1.0", "high: 0.1"))
    with pytest.raises(ScenarioError, match="low must be below high"):
        sim.load(path)


# -- the study ----------------------------------------------------------------------------------


def test_one_seed_gives_one_study_on_every_executor(one_mineral, searched):
    # blocks of 10 replications, so that the designs really run on the two workers
    again = search(sim.load(one_mineral), seed=5, executor="processes", workers=2, block_size=10)
    assert [vars(e) for e in again.study.evaluations] == [
        vars(e) for e in searched.study.evaluations
    ]


def test_a_study_resumes_where_it_stopped(one_mineral, tmp_path, monkeypatch, searched):
    import sim.experiment.optimise as optimise

    study = tmp_path / "study.jsonl"
    loaded = sim.load(one_mineral)
    search(loaded, seed=5, study_path=study, generations=1, executor="inline")
    first = len(Study.read(study, json.loads(study.read_text().splitlines()[0])).evaluations)
    runs = []
    original = optimise.compare_options
    monkeypatch.setattr(
        optimise, "compare_options", lambda *a, **k: runs.append(k["options"]) or original(*a, **k)
    )
    resumed = search(loaded, seed=5, study_path=study, executor="inline")
    # the first generations come from the file; only the new one is simulated
    assert sum(len(o) - 1 for o in runs) == len(resumed.study.evaluations) - first
    # and the study is the one an uninterrupted search makes
    assert [vars(e) for e in resumed.study.evaluations] == [
        vars(e) for e in searched.study.evaluations
    ]


def test_a_study_of_another_search_is_refused(one_mineral, tmp_path):
    study = tmp_path / "study.jsonl"
    loaded = sim.load(one_mineral)
    search(loaded, seed=5, study_path=study, generations=1, executor="inline")
    with pytest.raises(ValueError, match=r"holds a study of another search \(it differs in seed\)"):
        search(loaded, seed=6, study_path=study, generations=1, executor="inline")


def test_the_header_names_what_makes_two_searches_the_same(one_mineral):
    loaded = sim.load(one_mineral)
    header = study_header(loaded, 5, _levers(loaded))
    assert header["keys"] == ["policies.reserve.days"]
    assert header["population"] == 8 and header["reps"] == 40 and "generations" not in header


# -- the command --------------------------------------------------------------------------------


def test_optimise_writes_the_frontier_that_compare_reproduces(one_mineral, tmp_path):
    out = tmp_path / "run"
    args = ["optimise", str(one_mineral), "--executor", "inline", "--seed", "5", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "designs on the frontier" in result.output
    assert "optimise: generation 3/3" in result.stderr
    for name in ("designs.csv", "levers.csv", "study.jsonl", "scenario.yaml", "report.html"):
        assert (out / name).is_file(), name
    assert (out / "plots" / "frontier.png").is_file()
    designs = pd.read_csv(out / "designs.csv")
    assert "days" in designs.columns and "fiscal_cost_net [USD PV]" in designs.columns
    assert "Design search" in (out / "report.html").read_text()
    # the written designs are options that compare runs as they are, with the same numbers
    args = ["compare", str(out / "scenario.yaml"), "--executor", "inline", "--seed", "6"]
    args += ["--reps", "60", "--no-plots", "--out", str(tmp_path / "again")]
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    summary = pd.read_csv(tmp_path / "again" / "summary.csv")
    rows = summary[
        (summary.commodity == "all")
        & (summary.bloc == "all")
        & (summary.metric == "fiscal_cost_net")
    ].set_index("option")
    for _, d in designs[designs.kind == "design"].iterrows():
        assert rows.loc[d.option, "mean"] == pytest.approx(d["fiscal_cost_net [USD PV]"], rel=1e-5)


def test_optimise_without_a_design_says_what_to_add(small_path):
    result = CliRunner().invoke(cli, ["optimise", str(small_path), "--executor", "inline"])
    assert result.exit_code == 2
    assert f"{small_path} has no `design:` section: add one with the levers" in result.stderr


# -- the shipped designs ------------------------------------------------------------------------

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("name", ["australia-reserve", "allied-stockpiles"])
def test_the_shipped_designs_build_their_corner_designs(name):
    from sim.experiment.levers import check_levers

    loaded = sim.load(SCENARIOS / f"{name}.yaml")
    levers = _levers(loaded)
    check_levers(loaded, levers)  # raises a located error if a bound is refused
    assert len(levers.corners()) >= 3


def test_japan_per_metal_is_japan_alone_held_metal_by_metal():
    """The design search's starting option: one stockpile per metal at the same targets gives
    the same numbers as the pooled `japan` and `japan-high-risk` on the same replications."""
    loaded = sim.load(SCENARIOS / "allied-stockpiles.yaml")
    c = sim.compare(
        loaded, reps=8, seed=2, options=["do-nothing", "japan-alone", "japan-per-metal"]
    )
    for metric in ("social_cost", "fiscal_cost_net", "shortfall_t"):
        np.testing.assert_allclose(
            c.results["japan-per-metal"].metrics[metric],
            c.results["japan-alone"].metrics[metric],
            rtol=1e-9,
            atol=1e-6,
        )


def test_levers_from_the_command_line(reserve_text, tmp_path):
    from sim.experiment.levers import parse_lever

    assert parse_lever("policies.reserve.days=10:180:10") == (
        "reserve-days",
        {"key": "policies.reserve.days", "low": 10.0, "high": 180.0, "step": 10.0},
    )
    assert parse_lever("policies.r.budget=0 AUD:1e9 AUD")[1]["high"] == "1e9 AUD"
    with pytest.raises(ValueError, match="cannot read lever 'days=1:2': expected KEY=LOW:HIGH"):
        parse_lever("days=1:2")
    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    out = tmp_path / "run"
    args = ["optimise", str(path), "--lever", "policies.reserve.days=20:100:20"]
    args += ["--population", "4", "--generations", "1", "--reps", "10", "--rescore-reps", "10"]
    args += ["--executor", "inline", "--no-plots", "--out", str(out)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert "give --design-option NAME" in refused.stderr
    result = CliRunner().invoke(cli, [*args, "--design-option", "reserve"])
    assert result.exit_code == 0, result.output
    designs = pd.read_csv(out / "designs.csv")
    assert set(designs["reserve-days"].dropna()) <= {20.0, 40.0, 60.0, 80.0, 100.0}


def test_a_budget_constraint_keeps_the_frontier_within_it(one_mineral_text, tmp_path):
    path = tmp_path / "capped.yaml"
    capped = one_mineral_text.replace(
        "  search: {", "  constraints: {fiscal_cost_net: {max: 2e6 USD}}\n  search: {"
    )
    path.write_text(capped)
    result = search(sim.load(path), seed=5, executor="inline")
    costs = [e.outcomes["fiscal_cost_net"] for e in result.frontier_evaluations()]
    assert costs and max(costs) <= 2e6
    scored = [e.outcomes["fiscal_cost_net"] for e in result.study.evaluations]
    assert max(scored) > 2e6  # the search did score dearer designs, and left them out
    days = [e.values[0] for e in result.frontier_evaluations()]
    assert days[0] == 5 and 125 not in days


def test_constraints_no_design_meets_are_an_error(one_mineral_text, tmp_path):
    path = tmp_path / "impossible.yaml"
    path.write_text(
        one_mineral_text.replace(
            "  search: {", "  constraints: {social_cost: {max: 1 USD}}\n  search: {"
        )
    )
    result = CliRunner().invoke(cli, ["optimise", str(path), "--executor", "inline"])
    assert result.exit_code == 2
    assert "no design the search scored meets the constraints" in result.stderr
