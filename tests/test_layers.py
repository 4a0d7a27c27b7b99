"""The layers run one way and no package has an import circle (import-linter's contracts in
pyproject.toml, run here so that the suite fails on a new upward import)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    "sim.cli",
    "sim.studies",
    "sim.plots",
    "sim.results",
    "sim.experiment",
    "sim.engine",
    "sim.scenario",
]
"""Highest first: scenario -> engine -> experiment -> results -> plots -> studies -> cli."""


def contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return config["contracts"]


def test_the_contracts_are_the_documented_ones():
    """Nobody loosens them quietly: the order is the pipeline's, nothing is ignored, and
    every package is checked for circles."""
    layers, circles = contracts()
    assert layers["type"] == "layers" and layers["layers"] == LAYERS
    assert circles == {
        "name": "No circle among the modules and packages of a package",
        "type": "acyclic_siblings",
        "ancestors": ["sim"],
    }
    assert not any("ignore_imports" in c for c in contracts())


def test_no_import_runs_back_up_a_layer_or_in_a_circle(capsys):
    lint = pytest.importorskip("importlinter.cli")
    code = lint.lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Contracts: 2 kept, 0 broken." in out


def test_a_lazy_upward_import_breaks_the_contract(tmp_path):
    """The contract sees imports inside functions too: a copy of the package whose scenario
    layer imports the figures lazily is refused, naming the import."""
    import shutil
    import subprocess
    import sys

    pytest.importorskip("importlinter")
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    base = tmp_path / "sim" / "scenario" / "base.py"
    base.write_text(base.read_text() + "\n\ndef _draw():\n    from ..plots import figures\n")
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "sim.scenario is not allowed to import sim.plots" in out.stdout
    assert "sim.scenario.base -> sim.plots.figures" in out.stdout
