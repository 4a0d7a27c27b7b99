"""`extends:` reaches only files under the scenario roots (issue 15): the `scenarios/` folder
holding the file (else its own folder), --scenario-path and MINSIM_SCENARIO_PATH; symlinks are
resolved before the check, and a refusal is located at the `extends` line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim.scenario.loader as loader
from sim.cli import cli
from sim.scenario import ScenarioError, load
from sim.scenario.loader import SCENARIO_PATH_ENV, extra_roots, scenario_roots

ADVICE = (
    "extend files under them only, or allow another folder with --scenario-path DIR or "
    "MINSIM_SCENARIO_PATH"
)


@pytest.fixture(autouse=True)
def no_roots_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(SCENARIO_PATH_ENV, raising=False)


@pytest.fixture
def tree(tmp_path, valid_text) -> Path:
    """tmp/scenarios/{base/world.yaml, history/}, and tmp/outside.yaml beside the tree."""
    root = tmp_path / "scenarios"
    (root / "base").mkdir(parents=True)
    (root / "history").mkdir()
    (root / "base" / "world.yaml").write_text(valid_text)
    (tmp_path / "outside.yaml").write_text(valid_text.replace("gallium-test", "outside"))
    return root


def refused(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(path, **kwargs)
    return [str(p) for p in info.value.problems]


def test_history_may_extend_the_base_of_its_scenarios_tree(tree) -> None:
    child = tree / "history" / "episode.yaml"
    child.write_text("extends: ../base/world.yaml\nname: episode\n")
    assert load(child).scenario.name == "episode"
    assert scenario_roots(child) == (tree.resolve(),)


def test_an_absolute_path_outside_the_root_is_refused(tree) -> None:
    child = tree / "evil.yaml"
    child.write_text("name: evil\nextends: /etc/passwd\n")
    assert refused(child) == [
        f"{child}:2:10: extends: '/etc/passwd' is outside the scenario roots "
        f"({tree.resolve()}); {ADVICE}"
    ]


def test_dot_dot_beyond_the_root_is_refused(tree) -> None:
    child = tree / "history" / "escape.yaml"
    child.write_text("extends: [../base/world.yaml, ../../outside.yaml]\n")
    assert refused(child) == [
        f"{child}:1:31: extends: '../../outside.yaml' is outside the scenario roots "
        f"({tree.resolve()}); {ADVICE}"
    ]


def test_a_missing_file_outside_the_root_gets_the_same_answer(tree) -> None:
    """Whether an outside file exists is not told."""
    child = tree / "probe.yaml"
    child.write_text("extends: ../no-such-file.yaml\n")
    assert refused(child) == [
        f"{child}:1:10: extends: '../no-such-file.yaml' is outside the scenario roots "
        f"({tree.resolve()}); {ADVICE}"
    ]


def test_a_symlink_out_of_the_root_is_resolved_and_refused(tree) -> None:
    link = tree / "base" / "link.yaml"
    link.symlink_to(tree.parent / "outside.yaml")
    child = tree / "linked.yaml"
    child.write_text("extends: base/link.yaml\n")
    assert refused(child) == [
        f"{child}:1:10: extends: 'base/link.yaml' resolves to "
        f"{(tree.parent / 'outside.yaml').resolve()}, which is outside the scenario roots "
        f"({tree.resolve()}); {ADVICE}"
    ]


def test_a_symlink_inside_the_root_is_followed(tree) -> None:
    (tree / "history" / "world.yaml").symlink_to(tree / "base" / "world.yaml")
    child = tree / "history" / "via-link.yaml"
    child.write_text("extends: world.yaml\nname: via-link\n")
    assert load(child).scenario.name == "via-link"


def test_proc_self_environ_is_never_opened(tree, monkeypatch) -> None:
    if not Path("/proc/self/environ").exists():
        pytest.skip("no procfs")
    read = []
    real = loader.read_file
    monkeypatch.setattr(loader, "read_file", lambda path: read.append(path) or real(path))
    child = tree / "environ.yaml"
    child.write_text("extends: /proc/self/environ\n")
    (problem,) = refused(child)
    # /proc/self is itself a symlink, to /proc/<pid>
    assert problem.startswith(f"{child}:1:10: extends: '/proc/self/environ' resolves to /proc/")
    assert problem.endswith(
        f"/environ, which is outside the scenario roots ({tree.resolve()}); {ADVICE}"
    )
    assert read == [child]


def test_proc_self_environ_through_a_symlink_is_refused(tree) -> None:
    if not Path("/proc/self/environ").exists():
        pytest.skip("no procfs")
    (tree / "env.yaml").symlink_to("/proc/self/environ")
    child = tree / "environ.yaml"
    child.write_text("extends: env.yaml\n")
    (problem,) = refused(child)
    assert problem.startswith(f"{child}:1:10: extends: 'env.yaml' resolves to /proc/")
    assert problem.endswith(
        f"/environ, which is outside the scenario roots ({tree.resolve()}); {ADVICE}"
    )


def test_outside_a_scenarios_tree_the_root_is_the_file_s_folder(tmp_path, valid_text) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "base.yaml").write_text(valid_text)
    child = tmp_path / "a" / "child.yaml"
    child.write_text("extends: ../base.yaml\n")
    assert refused(child) == [
        f"{child}:1:10: extends: '../base.yaml' is outside the scenario roots "
        f"({(tmp_path / 'a').resolve()}); {ADVICE}"
    ]


def test_the_root_is_that_of_the_file_loaded_for_the_whole_chain(tree) -> None:
    """A parent in a subfolder may reach back up to the loaded file's folder."""
    (tree / "history" / "mid.yaml").write_text("extends: ../base/world.yaml\nname: mid\n")
    child = tree / "top.yaml"
    child.write_text("extends: history/mid.yaml\n")
    assert load(child).scenario.name == "mid"


def test_more_roots_from_the_environment(tree, monkeypatch) -> None:
    child = tree / "wide.yaml"
    child.write_text("extends: ../outside.yaml\n")
    elsewhere = tree.parent / "elsewhere"
    monkeypatch.setenv(SCENARIO_PATH_ENV, os.pathsep.join([str(elsewhere), str(tree.parent)]))
    assert load(child).scenario.name == "outside"
    assert scenario_roots(child) == tuple(p.resolve() for p in (tree, elsewhere, tree.parent))


def test_more_roots_from_load_and_from_extra_roots(tree) -> None:
    child = tree / "wide.yaml"
    child.write_text("extends: ../outside.yaml\n")
    assert load(child, roots=(tree.parent,)).scenario.name == "outside"
    with extra_roots([tree.parent]):
        assert load(child).scenario.name == "outside"
    assert refused(child)  # the block is over


def test_the_cli_refuses_an_outside_file_without_printing_it(tree) -> None:
    child = tree / "evil.yaml"
    child.write_text("extends: /etc/passwd\n")
    result = CliRunner().invoke(cli, ["show", str(child)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{child}:1:10: extends: '/etc/passwd' is outside the scenario roots "
        f"({tree.resolve()}); {ADVICE}\nminsim: 1 problem found\n"
    )
    assert result.stdout == "" and "Traceback" not in result.output


def test_the_cli_option_adds_a_root(tree) -> None:
    child = tree / "wide.yaml"
    child.write_text("extends: ../outside.yaml\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["validate", str(child)]).exit_code == 2
    result = runner.invoke(cli, ["--scenario-path", str(tree.parent), "validate", str(child)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["validate", str(child)]).exit_code == 2  # not kept after


def test_every_shipped_scenario_loads_within_its_root() -> None:
    shipped = Path(__file__).resolve().parents[2] / "scenarios"
    for path in sorted(shipped.rglob("*.yaml")):
        assert scenario_roots(path) == (shipped,)
        load(path)
