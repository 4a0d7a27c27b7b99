"""Bounds on what a scenario file may cost: bytes, values, nesting depth, and merges that stay
linear in the size of the files (issue 15). Bounds are lowered with monkeypatch where a real
size would make the test slow; the messages are the real ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim.scenario.loader as loader
from sim.cli import cli
from sim.scenario import Location, ScenarioError, load
from sim.scenario.loader import Located, deep_merge, parse_yaml, read_file, resolve

DEPTH_MESSAGE = (
    "lists and mappings nest more than 64 levels deep here; scenario files are limited to 64 "
    "(a scenario needs fewer than 10)"
)


def problems(call, *args) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        call(*args)
    return [str(p) for p in info.value.problems]


def nested(levels: int) -> str:
    return "x: " + "[" * levels + "]" * levels + "\n"


# -- bytes -----------------------------------------------------------------------------------


def test_the_byte_cap_holds_when_the_file_system_reports_no_size(monkeypatch) -> None:
    """procfs reports a size of 0 for /proc/self/environ: the cap is on the bytes read."""
    environ = Path("/proc/self/environ")
    if not environ.exists() or environ.stat().st_size != 0 or len(environ.read_bytes()) < 20:
        pytest.skip("needs a procfs that reports size 0 for a non-empty file")
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 10)
    assert problems(read_file, environ) == [
        "/proc/self/environ:1:1: the file holds more than 10 bytes; scenario files are "
        "limited to 10 bytes"
    ]


def test_a_file_that_grows_past_its_reported_size_is_capped(tmp_path, monkeypatch) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: " + "x" * 200 + "\n")
    real_stat = Path.stat

    class Zero:
        def __init__(self, st):
            self.st_mode, self.st_size = st.st_mode, 0

    monkeypatch.setattr(Path, "stat", lambda self, **kw: Zero(real_stat(self, **kw)))
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    assert problems(read_file, path) == [
        f"{path}:1:1: the file holds more than 100 bytes; scenario files are limited to 100 bytes"
    ]


def test_a_device_is_not_read() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    assert problems(read_file, Path("/dev/zero")) == [
        "/dev/zero:1:1: not a regular file (a device, pipe or socket)"
    ]


def test_a_folder_is_not_a_scenario(tmp_path) -> None:
    assert problems(read_file, tmp_path) == [f"{tmp_path}:1:1: is a folder, not a scenario file"]


def test_windows_line_ends_read_as_a_text_file_would(valid_text, write) -> None:
    path = write(valid_text.replace("\n", "\r\n").encode())
    assert load(path).scenario.name == "gallium-test"


# -- nesting depth ---------------------------------------------------------------------------


def test_five_thousand_nested_lists_are_refused_at_the_bound(write) -> None:
    path = write(nested(5000))
    assert problems(load, path) == [f"{path}:1:67: x.0.0.0...: {DEPTH_MESSAGE}"]


def test_nesting_at_the_bound_parses(write) -> None:
    # the top-level mapping is the first level: 63 lists inside it make 64
    data = parse_yaml(nested(63), "f").data
    depth = 0
    node = data["x"]
    while isinstance(node, list):
        depth += 1
        node = node[0] if node else None
    assert depth == 63
    assert problems(parse_yaml, nested(64), "f") == [f"f:1:67: x.0.0.0...: {DEPTH_MESSAGE}"]


def test_deep_block_mappings_are_refused_too() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n"
    assert problems(parse_yaml, text, "f") == [f"f:65:129: k0.k1.k2.k3...: {DEPTH_MESSAGE}"]


def test_aliases_cannot_nest_past_the_bound() -> None:
    """Each alias is shallow as written; expanded, they nest 40 + 40 levels deep. The problem
    points at the value 64 levels down (inside the alias' text)."""
    inner = "[" * 40 + "]" * 40
    text = f"a: &a {inner}\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n"
    assert problems(parse_yaml, text, "f") == [
        "f:1:30: b.0.0.0...: through aliases, lists and mappings nest more than 64 levels "
        "deep; refusing it"
    ]


def test_a_deep_set_value_is_refused_without_a_traceback(runner_and_small) -> None:
    runner, small_path = runner_and_small
    option = "name=" + "[" * 5000 + "]" * 5000
    result = runner.invoke(cli, ["validate", str(small_path), "--set", option])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"--set {option}: name: {DEPTH_MESSAGE}",
        "minsim: 1 problem found",
    ]
    assert "Traceback" not in result.output and "RecursionError" not in result.output


def test_deep_nesting_exits_2_via_the_cli(runner_and_small, write) -> None:
    runner, _ = runner_and_small
    path = write(nested(5000))
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"{path}:1:67: x.0.0.0...: {DEPTH_MESSAGE}\nminsim: 1 problem found\n"


@pytest.fixture
def runner_and_small(small_path) -> tuple[CliRunner, Path]:
    return CliRunner(), small_path


# -- number of values ------------------------------------------------------------------------


def test_a_long_list_is_refused_while_parsing_without_blaming_aliases(write, monkeypatch) -> None:
    monkeypatch.setattr(loader, "MAX_NODES", 1_000)
    path = write("name: big\nx: [" + ", ".join(["1"] * 1_200) + "]\n")
    assert problems(load, path) == [
        f"{path}:2:2996: x.997: the file holds more than 1,000 values; scenario files are "
        "limited to 1,000 (a scenario holds a few thousand)"
    ]


def test_the_parse_stops_at_the_bound(write, monkeypatch) -> None:
    """Nothing past the value that crosses the bound is read: a syntax error after it is
    never reached."""
    monkeypatch.setattr(loader, "MAX_NODES", 10)
    path = write("x: [" + ", ".join(["1"] * 20) + "]\ny: [unclosed\n")
    assert problems(load, path)[0].endswith(
        "the file holds more than 10 values; scenario files "
        "are limited to 10 (a scenario holds a few thousand)"
    )


def test_a_file_at_the_bound_loads(monkeypatch) -> None:
    monkeypatch.setattr(loader, "MAX_NODES", 12)  # the root mapping, x, and its 10 items
    assert len(parse_yaml("x: [" + ", ".join(["1"] * 10) + "]\n", "f").data["x"]) == 10
    with pytest.raises(ScenarioError):
        parse_yaml("x: [" + ", ".join(["1"] * 11) + "]\n", "f")


@pytest.mark.slow
def test_a_list_of_1_2_million_items_is_refused_at_the_real_bound(write) -> None:
    path = write("name: big\nx: [" + ",".join(["1"] * 1_200_000) + "]\n")
    assert problems(load, path) == [
        f"{path}:2:199999: x.99997: the file holds more than 100,000 values; scenario files "
        "are limited to 100,000 (a scenario holds a few thousand)"
    ]


# -- merges stay linear ----------------------------------------------------------------------


class CountingDict(dict):
    """A position table that counts the passes made over it."""

    passes = 0

    def __iter__(self):
        CountingDict.passes += 1
        return super().__iter__()

    def items(self):
        CountingDict.passes += 1
        return super().items()


def located(data: dict, file: str) -> Located:
    doc = Located(data=data, keys=CountingDict(), values=CountingDict(), files=[file])

    def mark(value, path):
        doc.values[path] = Location(file, len(doc.values) + 1)
        if isinstance(value, dict):
            for k, v in value.items():
                doc.keys[(*path, k)] = Location(file, len(doc.values) + 1)
                mark(v, (*path, k))

    mark(data, ())
    return doc


def test_merging_a_child_of_16_500_keys_passes_over_the_tables_a_few_times() -> None:
    base = located({"sources": {f"S{i}": "old" for i in range(5_000)}, "name": "base"}, "b")
    child = located({"sources": {f"K{i}": f"new {i}" for i in range(16_500)}}, "c")
    CountingDict.passes = 0
    deep_merge(base, child)
    assert CountingDict.passes <= 4  # once per table of each file, not once per key
    assert len(base.data["sources"]) == 21_500
    assert base.where(("sources", "K16499")) == child.values[("sources", "K16499")]
    assert base.where(("sources", "S0")).file == "b"


def test_a_merge_replacing_values_forgets_the_old_positions_beneath_them() -> None:
    base = located({"a": {"b": {"c": 1, "d": 2}, "e": 3}}, "b")
    child = located({"a": {"b": [1, 2], "e": {"f": 4}}}, "c")
    deep_merge(base, child)
    assert base.data == {"a": {"b": [1, 2], "e": {"f": 4}}}
    assert ("a", "b", "c") not in base.values and ("a", "b", "d") not in base.keys
    assert base.where(("a", "e", "f")).file == "c"
    assert base.where(("a",)).file == "c" and base.where(("a",), key=True).file == "c"


def test_an_extends_child_of_16_500_keys_loads(tmp_path, valid_text) -> None:
    (tmp_path / "base.yaml").write_text(valid_text)
    lines = ["extends: base.yaml", "sources:"] + [f"  K{i}: s" for i in range(16_500)]
    (tmp_path / "child.yaml").write_text("\n".join(lines) + "\n")
    doc = resolve(tmp_path / "child.yaml")
    assert len(doc.data["sources"]) == 16_500
    assert doc.where(("sources", "K16499")) == Location(str(tmp_path / "child.yaml"), 16_502, 11)


def test_an_override_of_many_keys_is_applied_without_a_pass_per_key(
    tmp_path, valid_text, monkeypatch
) -> None:
    lines = ["overrides:", "  many:"] + [f"    +sources.K{i}: s" for i in range(3_000)]
    (tmp_path / "s.yaml").write_text(valid_text + "\n".join(lines) + "\n")
    passes = []
    monkeypatch.setattr(Located, "drop", lambda self, path: passes.append(path))
    doc = resolve(tmp_path / "s.yaml", ("many",))
    assert len(doc.data["sources"]) == 3_000
    assert passes == [("extends",)]  # dropped once for the file, never per edit
    assert doc.where(("sources", "K2999"), key=True) == Location(
        str(tmp_path / "s.yaml"), 42 + 3_000, 5
    )


def test_deleting_a_list_item_moves_the_positions_of_the_items_after_it(base_path) -> None:
    doc = resolve(base_path, sets=("~blocs.alliance.members.1",))
    assert doc.data["blocs"]["alliance"]["members"] == ["US", "JP", "AU"]
    assert doc.where(("blocs", "alliance", "members", 1)) == Location(str(base_path), 10, 23)
    assert ("blocs", "alliance", "members", 3) not in doc.values


@pytest.fixture
def base_path(valid_text, write) -> Path:
    return write(valid_text, "base.yaml")
