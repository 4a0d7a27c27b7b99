"""report.html renders in a real headless browser (Debian's chromium) with all its figures."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import sim
from sim.experiment.compare import compare_options
from sim.plots.compare import save_comparison_figures
from sim.plots.report import findings, write_report

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
    assert "What each option costs and buys" in text


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
            "--window-size=1200,1600",
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


def test_report_carries_the_caveats_of_the_run(tmp_path, reserve_text):
    # a guard of 2x that the reserve scenario's control reaches: the page says so
    path = tmp_path / "s.yaml"
    path.write_text(reserve_text)
    loaded = sim.load(path, sets=("+commodities.gallium.price.choke_multiple=2",))
    comparison = compare_options(loaded, reps=4, seed=1)
    text = write_report(comparison, tmp_path).read_text()
    assert "<h3>Caveats</h3>" in text
    assert "gallium price in alliance reached the 2x guard" in text
    calm = compare_options(sim.load(path), reps=4, seed=1)
    (tmp_path / "calm").mkdir()
    assert "<h3>Caveats</h3>" not in write_report(calm, tmp_path / "calm").read_text()
