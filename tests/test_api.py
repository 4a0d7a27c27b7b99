"""The public API is pinned: a change to it is a decision, not an accident."""

import sim


def test_public_names():
    assert sorted(sim.__all__) == sorted(
        [
            "Comparison",
            "Results",
            "Scenario",
            "ScenarioError",
            "__version__",
            "compare",
            "load",
            "plot",
            "run",
        ]
    )
    for name in sim.__all__:
        assert hasattr(sim, name)


def test_core_does_not_import_cli_or_plots():
    import subprocess
    import sys

    code = (
        "import sys, sim, sim.experiment, sim.results, sim.engine, sim.scenario;"
        "bad=[m for m in sys.modules if m.startswith(('sim.cli','sim.plots','matplotlib'))];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
