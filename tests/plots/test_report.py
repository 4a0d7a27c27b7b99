"""report.html renders in a real headless browser (Debian's chromium) with all its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.experiment.compare import compare_options
from sim.plots.compare import save_comparison_figures
from sim.plots.report import FIGURES, findings, write_report

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
SCREEN = (1400, 900)
"""The first screen a report must answer on: a laptop's browser window."""

CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory, reserve_text):
    folder = tmp_path_factory.mktemp("report")
    path = folder / "s.yaml"
    path.write_text(reserve_text)
    comparison = compare_options(sim.load(path), reps=6, seed=1)
    save_comparison_figures(comparison, folder)
    return comparison, write_report(comparison, folder)


def test_report_is_self_contained(report):
    _, page = report
    text = page.read_text()
    assert text.count('<img src="data:image/png;base64,') == 6  # five figures and the flows
    assert not re.search(r'src="(?!data:)', text)  # nothing loaded from elsewhere
    assert "what it costs and buys" in text


def test_findings_say_what_the_reserve_buys(report):
    comparison, _ = report
    lines = findings(comparison)
    assert lines[0].startswith("Under <b>do-nothing</b>")
    assert lines[1].startswith("<b>reserve</b>")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium_with_its_images(report, tmp_path):
    _, page = report
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "<h1>small</h1>" in dom
    assert 'data-images-loaded="6"' in dom
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile2'}",
            f"--window-size={SCREEN[0]},{SCREEN[1]}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_report_has_the_supply_risk_diagnostics(report):
    _, page = report
    text = page.read_text()
    assert "<h2>Supply-risk diagnostics</h2>" in text
    assert "HHI mining: start → highest" in text
    assert "9,604 → 9,604" in text  # gallium mining: China 98%
    assert "import reliance alliance" in text
    assert "JRC supply risk" not in text  # the small scenario gives no governance scores


def _caveats(text: str) -> str:
    return text[
        text.index('<section id="caveats">') : text.index(
            "</section>", text.index('<section id="caveats">')
        )
    ]


def test_report_carries_the_caveats_of_the_run_once(tmp_path, reserve_text):
    # a guard of 2x that the reserve scenario's control reaches: the page says so, once for
    # every option that reached it, not once per option
    path = tmp_path / "s.yaml"
    path.write_text(reserve_text)
    loaded = sim.load(path, sets=("+commodities.gallium.price.choke_multiple=2",))
    comparison = compare_options(loaded, reps=4, seed=1)
    caveats = _caveats(write_report(comparison, tmp_path).read_text())
    assert caveats.count("gallium price in alliance reached the 2x guard") == 1
    assert all(f"{o} " in caveats for o, r in comparison.results.items() if r.at_bound())
    calm = compare_options(sim.load(path), reps=4, seed=1)
    (tmp_path / "calm").mkdir()
    assert "guard" not in _caveats(write_report(calm, tmp_path / "calm").read_text())


def test_a_disruption_that_moved_nothing_is_a_caveat(tmp_path, reserve_text):
    """A 1% outage of a small refiner moves neither price nor shortfall: flagged, once."""
    path = tmp_path / "s.yaml"
    path.write_text(reserve_text)
    loaded = sim.load(
        path,
        sets=(
            "+disruptions.tiny={type: outage, countries: [JP], commodity: gallium, "
            "stage: refining, severity: 0.01, start: 2026-03, duration: 1 month}",
            "~disruptions.ga-control",
        ),
    )
    comparison = compare_options(loaded, reps=4, seed=1)
    caveats = _caveats(write_report(comparison, tmp_path).read_text())
    assert caveats.count("tiny moved nothing") == 1


def test_a_report_built_with_set_names_the_values_as_run(tmp_path, reserve_text):
    """A rerun with --set says so above the ranking and beside what it changed, and the
    description never stands alone for the file's values."""
    path = tmp_path / "s.yaml"
    path.write_text(reserve_text)
    loaded = sim.load(path, sets=("disruptions.ga-control.severity=0.6",))
    text = write_report(compare_options(loaded, reps=4, seed=1), tmp_path).read_text()
    said = "disruptions.ga-control.severity = 0.6 (--set)"
    top = text[: text.index('<section id="answer">')]
    assert said in top and "This run changed the file" in top
    as_run = text[text.index('id="as-run"') :]
    entry = as_run[as_run.index("<li><b>ga-control</b>") :]
    assert said in entry[: entry.index("</li>")]
    assert "disruptions.ga-control.severity=0.6" in as_run  # the --set itself


class _Tags(HTMLParser):
    """The start tags of a page in order, with their attributes and the text of each row."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append((f"/{tag}", {}))


def _first(tags: list, tag: str, **attrs) -> int:
    return next(
        i
        for i, (t, a) in enumerate(tags)
        if t == tag and all(a.get(k) == v for k, v in attrs.items())
    )


@pytest.fixture(scope="module")
def shipped_reports(tmp_path_factory):
    """A report of every shipped scenario (4 replications), with stand-in figures: what
    stands above the figures does not depend on them."""
    import matplotlib.pyplot as plt

    out = {}
    for name in SHIPPED:
        folder = tmp_path_factory.mktemp(name)
        (folder / "plots").mkdir()
        for stem, _ in FIGURES:
            plt.imsave(folder / "plots" / f"{stem}.png", np.zeros((600, 1000)))
        loaded = sim.load(SCENARIOS / f"{name}.yaml")
        comparison = compare_options(loaded, reps=4, seed=1, executor="inline")
        out[name] = (comparison, write_report(comparison, folder))
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_report_answers_before_its_figures(shipped_reports, name):
    """The ranked options (one row per option, best first) and the caveats come before any
    figure or table of detail."""
    comparison, page = shipped_reports[name]
    parser = _Tags()
    parser.feed(page.read_text())
    tags = parser.tags
    answer = _first(tags, "section", id="answer")
    ranked = _first(tags, "table", **{"class": "ranked"})
    caveats = _first(tags, "section", id="caveats")
    end = caveats + _first(tags[caveats:], "/section")
    figure = _first(tags, "figure")
    assert answer < ranked < caveats < end < figure
    assert _first(tags, "table") == ranked  # no other table before the answer
    rows = sum(1 for t, _ in tags[ranked:caveats] if t == "tr") - 1
    assert rows == len(comparison.results)
    assert sum(1 for t, _ in tags[caveats:end] if t == "li") >= 1  # the back-test note at least


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_report_shows_the_answer_on_the_first_screen(shipped_reports, name, tmp_path):
    """In a 1400x900 window the ranked options and the caveats end above the fold, before
    the first figure (the page's script measures them where the browser laid them out)."""
    _, page = shipped_reports[name]
    dom = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={SCREEN[0]},{SCREEN[1]}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    at = {
        k: int(v)
        for k, v in re.findall(r'data-(ranked-bottom|caveats-bottom|first-figure-top)="(\d+)"', dom)
    }
    assert set(at) == {"ranked-bottom", "caveats-bottom", "first-figure-top"}, dom[:500]
    assert at["ranked-bottom"] <= at["caveats-bottom"] <= SCREEN[1], at
    assert at["caveats-bottom"] <= at["first-figure-top"], at
