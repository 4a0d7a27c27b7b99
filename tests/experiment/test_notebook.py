"""What a notebook shows of a comparison and what `print(results)` says."""

from __future__ import annotations

import re

import numpy as np
import pytest

import sim


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, reserve_text):
    path = tmp_path_factory.mktemp("notebook") / "reserve.yaml"
    path.write_text(reserve_text)
    return sim.compare(sim.load(path), reps=8, seed=2, executor="inline")


def test_the_comparison_shows_its_ranked_options(comparison):
    ranking = comparison.ranking()
    assert list(ranking["rank"]) == [1, 2]
    assert set(ranking.option) == {"do-nothing", "reserve"}
    text = str(comparison)
    assert repr(comparison) == text
    lines = text.splitlines()
    assert lines[0] == (
        "minsim Comparison, small: 2 options on the same 8 replications (seed 2), "
        "baseline do-nothing"
    )
    # over every bloc hit (here all three), not one guessed bloc
    assert comparison.focus_blocs() == ["alliance", "china", "rest"]
    assert lines[1].startswith("options ranked by expected social cost in all (M USD")
    assert lines[2].split()[:3] == ["rank", "option", "social"]
    # one row per option in rank order, each with its social cost in millions as ranked
    for line, (_, row) in zip(lines[3:], ranking.iterrows(), strict=True):
        assert line.split()[:3] == [str(row["rank"]), row.option, f"{row.social_cost / 1e6:,.1f}"]
    assert len(lines) == 3 + len(ranking)
    assert lines[3 + list(ranking.option).index("do-nothing")].endswith("baseline")


def test_the_notebook_cell_is_the_ranked_table(comparison):
    page = comparison._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    assert len(rows) == 1 + 2
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in rows]
    assert cells[0][:2] == ["rank", "option"]
    assert [c[1] for c in cells[1:]] == list(comparison.ranking().option)
    assert "<code>all</code>" in page


def test_print_results_is_a_short_summary(comparison):
    r = comparison.results["reserve"]
    text = str(r)
    lines = text.splitlines()
    assert lines[0] == "minsim Results small: option reserve, 8 replications, seed 2"
    assert len(lines) <= 4 + len(r.world.blocs) + len(r.world.commodities)
    social = r.metrics["social_cost"].sum(1)[:, 0].mean() / 1e6
    assert f"  alliance: {social:,.1f} [" in text
    peak = r.metrics["peak_price_multiple"].mean(0)
    k = r.world.commodities.index("gallium")
    assert f"gallium: peak price {peak[k].max():.3g}x reference" in text
    assert "array(" not in repr(r) and len(repr(r)) < 100
    assert np.isfinite(social)
