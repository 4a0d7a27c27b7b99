"""The package as a user installs it: the wheel ships the scenarios, an installed `minsim` runs
outside the checkout, and the version is written once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.experiment import backtest
from sim.scenario import shipped

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DATA = ("*.yaml", "*.csv", "*.md")
"""The kinds of file under scenarios/ that ship (pyproject's package-data)."""
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
"""The environment of the subprocesses: without a PYTHONPATH that would put the checkout's
`sim` (and its metadata, which pip would take for an installed minsim) on their path."""


def _scenario_files() -> list[str]:
    """Every shipped file under the checkout's scenarios/, as its path in the wheel."""
    top = ROOT / "scenarios"
    files = {p for pattern in DATA for p in top.rglob(pattern)}
    return sorted(f"sim/scenarios/{p.relative_to(top).as_posix()}" for p in files)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel as `pip wheel` builds it (an isolated build), from a copy of the sources: an
    in-tree build would leave build/ in the checkout, whose stale files a later wheel takes."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src)
    for name in ("sim", "scenarios"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        check=True,
        capture_output=True,
        env=ENV,
    )
    (found,) = out.glob("minsim-*.whl")
    return found


def test_pyproject_lists_every_package_and_scenario_folder():
    """The packages are listed (find cannot map scenarios/ in): a package under sim/ or a
    folder under scenarios/ missing from the list would be missing from the wheel."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    code = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sim").rglob("__init__.py")}
    data = {"sim.scenarios"} | {
        "sim.scenarios." + ".".join(d.relative_to(ROOT / "scenarios").parts)
        for d in (ROOT / "scenarios").rglob("*")
        if d.is_dir()
    }
    assert listed == code | data
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"sim.scenarios": "scenarios"}
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert {name: globs[name] for name in data} == {name: list(DATA) for name in data}


def test_the_version_is_written_once_and_the_cli_shows_it(tmp_path, small_path):
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sim.__version__"}
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output == f"minsim, version {sim.__version__}\n"
    out = tmp_path / "run"
    result = runner.invoke(
        cli, ["run", str(small_path), "--reps", "2", "--no-plots", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["minsim_version"] == sim.__version__


def test_shipped_scenarios_are_found_in_the_checkout():
    assert shipped.scenarios_dir() == ROOT / "scenarios"
    assert backtest.HISTORY == ROOT / "scenarios" / "history"


def test_the_wheel_holds_every_scenario_and_the_version(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n for n in names if n.startswith("sim/scenarios/")) == _scenario_files()
    assert "sim/scenarios/history/gallium-2023.yaml" in names  # an episode
    assert "sim/scenarios/base/world-2025.yaml" in names  # the base world the episodes extend
    assert wheel.name == f"minsim-{sim.__version__}-py3-none-any.whl"


def _fresh_venv(where: Path, wheel: Path) -> Path:
    """A venv holding the wheel alone, with the running environment's dependencies reachable
    through a .pth line (installing them from the registry would take minutes). The .pth files
    of that site-packages are not processed, so the checkout's editable `sim` stays out."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=ENV)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    ).stdout.strip()
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        env=ENV,
        cwd=where,  # not the checkout, whose minsim.egg-info pip would take for an install
    )
    # after the install: pip would take the checkout's editable minsim for this one
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.mark.slow  # about 2 minutes, numba compiling the installed kernels afresh; the wheel's
# contents are checked by test_the_wheel_holds_every_scenario_and_the_version
def test_an_installed_wheel_backtests_and_compares_outside_the_checkout(tmp_path, wheel):
    venv = _fresh_venv(tmp_path, wheel)
    work = tmp_path / "elsewhere"
    work.mkdir()

    def minsim(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [venv / "bin" / "minsim", *args], cwd=work, env=ENV, capture_output=True, text=True
        )

    where = subprocess.run(
        [venv / "bin" / "python", "-c", "import sim; print(sim.__file__)"],
        cwd=work,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel's sim, not the checkout's
    assert minsim("--version").stdout == f"minsim, version {sim.__version__}\n"

    done = minsim("backtest", "gallium-2023", "--reps", "2", "--no-plots")
    assert done.returncode in (0, 1), done.stderr  # scored: PASS or FAIL, never an error
    assert "gallium-2023/ga-rotterdam" in done.stdout, done.stdout
    assert done.stdout.rstrip().endswith(("all episodes pass", "failed: gallium-2023"))

    # a scenario copied out of scenarios/ with the base it extends
    shutil.copy(ROOT / "scenarios" / "ndpr-price-floor.yaml", work)
    shutil.copy(ROOT / "scenarios" / "china-export-controls.yaml", work)
    shutil.copytree(ROOT / "scenarios" / "base", work / "base")
    run = work / "run"
    done = minsim("compare", "ndpr-price-floor.yaml", "--reps", "4", "--out", str(run))
    assert done.returncode == 0, done.stderr
    assert "no-floor" in done.stdout and "floor" in done.stdout
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["minsim_version"] == sim.__version__
    assert f"minsim\n{sim.__version__}." in (run / "report.html").read_text()
    summary = (run / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("option,commodity,bloc,metric,unit,currency,mean")
    assert len(summary) > 1
