"""Composition: `extends:`, named overrides, `--set`, their precedence and error locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Location, ScenarioError, load
from sim.scenario.loader import resolve

SEVERITY = ("disruptions", "ga_ban", "severity")


def messages(exc: pytest.ExceptionInfo, tmp_path: Path) -> list[str]:
    out = []
    for p in exc.value.problems:
        text = str(p)
        for d in {str(tmp_path.resolve()), str(tmp_path)}:
            text = text.replace(d, "{dir}")
        out.append(text)
    return out


def load_problems(path: Path, tmp_path: Path, **kwargs) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(path, **kwargs)
    return messages(info, tmp_path)


@pytest.fixture
def base(valid_text, write) -> Path:
    return write(valid_text, "base.yaml")


def test_valid_text_loads(base) -> None:
    loaded = load(base)
    s = loaded.scenario
    assert s.horizon.years == 5 and str(s.horizon.start) == "2026-01" and s.horizon.step == "week"
    assert s.fx == {"AUD": 0.65}
    assert s.blocs["rest"].members == ["*"]
    g = s.commodities["gallium"]
    assert g.world_output == 760.0
    assert g.reference_price.per_tonne == 250_000.0
    assert g.stages["refining"].producers["CN"].share == 0.988
    ban = s.disruptions["ga_ban"]
    assert ban.to == ["alliance"] and ban.severity == 0.9 and ban.duration == 1.5
    assert ban.licensing.resumed_share == 0.5
    assert abs(ban.licensing.delay - 2 / 12) < 1e-12
    assert loaded.path == base and loaded.source.files == [str(base)]


# -- extends ---------------------------------------------------------------------------------


def test_extends_one_parent_merges_mappings_key_by_key(base, write) -> None:
    child = write("extends: base.yaml\nname: child\nhorizon: {years: 3}\n", "child.yaml")
    loaded = load(child)
    s = loaded.scenario
    assert s.name == "child"
    assert s.horizon.years == 3
    assert str(s.horizon.start) == "2026-01"  # kept from the parent's horizon mapping
    assert loaded.source.files == [str(base), str(child)]
    assert "extends" not in loaded.source.data
    # every value remembers the file it came from
    assert loaded.source.where(("horizon", "years")) == Location(str(child), 3, 18)
    assert loaded.source.where(("horizon", "start")) == Location(str(base), 3, 10)


def test_extends_two_parents_in_order_later_wins(base, write) -> None:
    write("name: second\ndescription: from second\nhorizon: {years: 3}\n", "second.yaml")
    both = write("extends: [base.yaml, second.yaml]\n", "both.yaml")
    s = load(both).scenario
    assert (s.name, s.description, s.horizon.years) == ("second", "from second", 3)

    reverse = write("extends: [second.yaml, base.yaml]\n", "reverse.yaml")
    s = load(reverse).scenario
    # base.yaml, listed last, wins where both set a key; second.yaml keeps the rest
    assert (s.name, s.description, s.horizon.years) == ("gallium-test", "from second", 5)


def test_the_file_itself_beats_its_parents(base, write) -> None:
    write("name: second\n", "second.yaml")
    child = write("extends: [base.yaml, second.yaml]\nname: mine\n", "child.yaml")
    assert load(child).scenario.name == "mine"


def test_lists_are_replaced_not_appended(base, write) -> None:
    child = write("extends: base.yaml\nblocs: {alliance: {members: [US]}}\n", "child.yaml")
    loaded = load(child)
    assert loaded.scenario.blocs["alliance"].members == ["US"]
    assert loaded.scenario.blocs["china"].members == ["CN"]  # sibling keys kept
    assert loaded.source.where(("blocs", "alliance", "members", 0)) == Location(str(child), 2, 30)
    assert ("blocs", "alliance", "members", 3) not in loaded.source.values


def test_extends_is_relative_to_the_extending_file(base, write) -> None:
    write("extends: ../base.yaml\nname: from-sub\n", "sub/parent.yaml")
    child = write("extends: sub/parent.yaml\n", "child.yaml")
    assert load(child).scenario.name == "from-sub"


def test_value_error_in_parent_is_located_in_the_parent(valid_text, write, tmp_path) -> None:
    write(valid_text.replace("severity: 0.9", "severity: 1.9"), "parent.yaml")
    child = write("extends: parent.yaml\nname: child\n", "child.yaml")
    assert load_problems(child, tmp_path) == [
        "{dir}/parent.yaml:37:15: disruptions.ga_ban.severity: must be at most 1 (got 1.9)"
    ]


def test_semantic_error_in_parent_is_located_in_the_parent(valid_text, write, tmp_path) -> None:
    write(valid_text.replace("to: [alliance]", "to: [alliace]"), "parent.yaml")
    child = write("extends: parent.yaml\nname: child\n", "child.yaml")
    assert load_problems(child, tmp_path) == [
        "{dir}/parent.yaml:36:10: disruptions.ga_ban.to.0: unknown bloc 'alliace'; "
        "did you mean 'alliance'?"
    ]


def test_value_error_in_child_is_located_in_the_child(base, write, tmp_path) -> None:
    child = write("extends: base.yaml\ndisruptions:\n  ga_ban: {severity: 1.5}\n", "child.yaml")
    assert load_problems(child, tmp_path) == [
        "{dir}/child.yaml:3:22: disruptions.ga_ban.severity: must be at most 1 (got 1.5)"
    ]


def test_yaml_error_in_parent_is_located_in_the_parent(write, tmp_path) -> None:
    write("name: [\n", "parent.yaml")
    child = write("extends: parent.yaml\n", "child.yaml")
    assert load_problems(child, tmp_path) == [
        "{dir}/parent.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_circular_extends_refused(write, tmp_path) -> None:
    a = write("name: a\nextends: b.yaml\n", "a.yaml")
    write("name: b\nextends: a.yaml\n", "b.yaml")
    problems = load_problems(a, tmp_path)
    assert len(problems) == 1
    assert problems[0].endswith(
        "extends: circular extends: {dir}/a.yaml -> {dir}/b.yaml -> {dir}/a.yaml"
    )


def test_circular_extends_located_at_the_closing_extends(write, tmp_path) -> None:
    a = write("name: a\nextends: b.yaml\n", "a.yaml")
    write("name: b\nextends: a.yaml\n", "b.yaml")
    assert load_problems(a, tmp_path)[0].startswith("{dir}/b.yaml:2:10: extends: ")


def test_self_extends_refused(write, tmp_path) -> None:
    me = write("extends: me.yaml\nname: me\n", "me.yaml")
    assert load_problems(me, tmp_path) == [
        "{dir}/me.yaml:1:10: extends: circular extends: {dir}/me.yaml -> {dir}/me.yaml"
    ]


def test_missing_parent_is_named(base, write, tmp_path) -> None:
    child = write("extends: [base.yaml, nope.yaml]\n", "child.yaml")
    assert load_problems(child, tmp_path) == [
        "{dir}/child.yaml:1:22: extends: cannot find 'nope.yaml' (looked for {dir}/nope.yaml)"
    ]


def test_extends_of_the_wrong_type(base, write, tmp_path) -> None:
    child = write("extends: [base.yaml, 3]\n", "child.yaml")
    assert load_problems(child, tmp_path) == [
        "{dir}/child.yaml:1:10: extends: must be a file name or a list of file names"
    ]


def test_empty_extends_list_means_no_parents(valid_text, write) -> None:
    assert load(write("extends: []\n" + valid_text)).scenario.name == "gallium-test"


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "absent.yaml")
    assert messages(info, tmp_path) == ["{dir}/absent.yaml:1:1: no such file"]


# -- named overrides ---------------------------------------------------------------------------

OVERRIDES = """\
overrides:
  strict:
    disruptions.ga_ban.severity: 1.0
    ~disruptions.ga_ban.licensing: null
    +disruptions.ga_ban.description: strict ban
  mild:
    disruptions.ga_ban.severity: 0.5
"""  # appended to the valid text: 'strict' is on line 42, its severity on line 43


def test_active_overrides_apply_when_the_file_loads(valid_text, write) -> None:
    path = write(valid_text + OVERRIDES + "active_overrides: [strict]\n")
    loaded = load(path)
    ban = loaded.scenario.disruptions["ga_ban"]
    assert (ban.severity, ban.licensing, ban.description) == (1.0, None, "strict ban")
    assert loaded.source.applied_overrides == ["strict"]
    assert loaded.source.where(SEVERITY) == Location(str(path), 43, 34)


def test_override_argument(valid_text, write) -> None:
    path = write(valid_text + OVERRIDES)
    assert load(path).scenario.disruptions["ga_ban"].severity == 0.9  # defined, not applied
    ban = load(path, overrides=("strict",)).scenario.disruptions["ga_ban"]
    assert (ban.severity, ban.licensing, ban.description) == (1.0, None, "strict ban")


def test_overrides_apply_in_order(valid_text, write) -> None:
    path = write(valid_text + OVERRIDES + "active_overrides: [mild]\n")
    assert load(path).scenario.disruptions["ga_ban"].severity == 0.5
    assert load(path, overrides=("strict",)).scenario.disruptions["ga_ban"].severity == 1.0
    loaded = load(path, overrides=("strict", "mild"))
    assert loaded.scenario.disruptions["ga_ban"].severity == 0.5
    assert loaded.source.applied_overrides == ["mild", "strict", "mild"]


def test_override_value_error_located_in_the_override(valid_text, write, tmp_path) -> None:
    path = write(valid_text + "overrides:\n  bad:\n    disruptions.ga_ban.severity: 2.0\n")
    assert load_problems(path, tmp_path, overrides=("bad",)) == [
        "{dir}/s.yaml:43:34: disruptions.ga_ban.severity: must be at most 1 (got 2)"
    ]


def test_override_mapping_value_error_located_inside_it(valid_text, write, tmp_path) -> None:
    path = write(
        valid_text + "overrides:\n  bad:\n    disruptions.ga_ban.licensing:\n"
        "      delay: 2\n      resumed_share: 0.5\nactive_overrides: [bad]\n"
    )
    assert load_problems(path, tmp_path) == [
        "{dir}/s.yaml:44:14: disruptions.ga_ban.licensing.delay: a duration needs a unit: "
        "write '2 months' or '2 years'"
    ]


def test_override_key_errors(valid_text, write, tmp_path) -> None:
    path = write(
        valid_text + "overrides:\n  o:\n    disruptions.ga_ban.sevrity: 1.0\n"
        "    ~disruptions.ga_ban.nope: null\n    +disruptions.ga_ban.to: [china]\n"
        "active_overrides: [o]\n"
    )
    assert load_problems(path, tmp_path) == [
        "{dir}/s.yaml:43:5: disruptions.ga_ban.sevrity: no such key; did you mean 'severity'? "
        "(to add a new key write '+disruptions.ga_ban.sevrity=...')",
        "{dir}/s.yaml:44:5: disruptions.ga_ban.nope: no key to delete",
        "{dir}/s.yaml:45:5: disruptions.ga_ban.to: the key already exists; use 'a.b=value' to "
        "change it (without '+')",
    ]


def test_unknown_active_override_with_suggestion(valid_text, write, tmp_path) -> None:
    path = write(valid_text + OVERRIDES + "active_overrides: [stirct]\n")
    assert load_problems(path, tmp_path) == [
        "{dir}/s.yaml:48:20: overrides: no override named 'stirct'; did you mean 'strict'? "
        "(available: strict, mild)"
    ]


def test_unknown_override_argument_with_suggestion(valid_text, write, tmp_path) -> None:
    path = write(valid_text + OVERRIDES)
    assert load_problems(path, tmp_path, overrides=("strct", "mild", "wild")) == [
        "--override strct: overrides: no override named 'strct'; did you mean 'strict'? "
        "(available: strict, mild)",
        "--override wild: overrides: no override named 'wild'; did you mean 'mild'? "
        "(available: strict, mild)",
    ]


def test_override_argument_when_none_are_defined(base, tmp_path) -> None:
    assert load_problems(base, tmp_path, overrides=("x",)) == [
        "--override x: overrides: no override named 'x' (available: none are defined)"
    ]


def test_override_that_is_not_a_mapping(valid_text, write, tmp_path) -> None:
    path = write(valid_text + "overrides:\n  o: 3\nactive_overrides: [o]\n")
    assert load_problems(path, tmp_path) == [
        "{dir}/s.yaml:42:6: overrides.o: an override is a mapping of dotted keys to values"
    ]


def test_active_overrides_not_a_list(valid_text, write, tmp_path) -> None:
    path = write(valid_text + OVERRIDES + "active_overrides: strict\n")
    assert load_problems(path, tmp_path) == [
        "{dir}/s.yaml:48:19: active_overrides: must be a list of override names"
    ]


def test_overrides_defined_in_a_parent(valid_text, write) -> None:
    write(valid_text + OVERRIDES, "parent.yaml")
    child = write("extends: parent.yaml\nactive_overrides: [strict]\n", "child.yaml")
    assert load(child).scenario.disruptions["ga_ban"].severity == 1.0


# -- --set -------------------------------------------------------------------------------------


def test_set_existing_key_value_read_as_yaml(base) -> None:
    s = load(base, sets=("horizon.years=3",)).scenario
    assert s.horizon.years == 3
    doc = resolve(base, sets=("horizon.years=3", "name=hello world"))
    assert doc.data["horizon"]["years"] == 3 and doc.data["name"] == "hello world"
    assert doc.sets == ["horizon.years=3", "name=hello world"]


def test_set_a_list(base) -> None:
    ban = load(base, sets=("disruptions.ga_ban.to=[alliance, rest]",)).scenario.disruptions[
        "ga_ban"
    ]
    assert ban.to == ["alliance", "rest"]


def test_set_a_mapping_replaces_it_whole(base) -> None:
    loaded = load(
        base, sets=("disruptions.ga_ban.licensing={delay: 3 months, resumed_share: 0.2}",)
    )
    lic = loaded.scenario.disruptions["ga_ban"].licensing
    assert (lic.delay, lic.resumed_share) == (0.25, 0.2)


def test_set_a_list_item(base) -> None:
    s = load(base, sets=("disruptions.ga_ban.to.0=rest",)).scenario
    assert s.disruptions["ga_ban"].to == ["rest"]


def test_set_add_and_delete(base) -> None:
    s = load(
        base,
        sets=(
            "+disruptions.ga_ban.description=added",
            "~disruptions.ga_ban.licensing",
            "+commodities.gallium.recycling.max_share=0.2",  # adds the missing parent too
        ),
    ).scenario
    ban = s.disruptions["ga_ban"]
    assert (ban.description, ban.licensing) == ("added", None)
    assert s.commodities["gallium"].recycling.max_share == 0.2


def test_set_tolerates_spaces_around_the_key(base) -> None:
    assert load(base, sets=(" horizon.years = 3",)).scenario.horizon.years == 3


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        pytest.param(
            "disruptions.ga_ban.severty=1",
            "--set disruptions.ga_ban.severty=1: disruptions.ga_ban.severty: no such key; did "
            "you mean 'severity'? (to add a new key write '+disruptions.ga_ban.severty=...')",
            id="unknown-leaf-did-you-mean",
        ),
        pytest.param(
            "disruptons.ga_ban.severity=1",
            "--set disruptons.ga_ban.severity=1: disruptons.ga_ban.severity: no key "
            "'disruptons' to change; did you mean 'disruptions'?",
            id="unknown-parent-did-you-mean",
        ),
        pytest.param(
            "+disruptions.ga_ban.severity=1",
            "--set +disruptions.ga_ban.severity=1: disruptions.ga_ban.severity: the key already "
            "exists; use 'a.b=value' to change it (without '+')",
            id="add-existing",
        ),
        pytest.param(
            "~disruptions.ga_ban.severty",
            "--set ~disruptions.ga_ban.severty: disruptions.ga_ban.severty: no key to delete; "
            "did you mean 'severity'?",
            id="delete-missing",
        ),
        pytest.param(
            "horizon.years.x=1",
            "--set horizon.years.x=1: horizon.years.x: 'horizon.years' is a value, not a mapping",
            id="into-a-scalar",
        ),
        pytest.param(
            "disruptions.ga_ban.to.5=rest",
            "--set disruptions.ga_ban.to.5=rest: disruptions.ga_ban.to.5: no such key (to add a "
            "new key write '+disruptions.ga_ban.to.5=...')",
            id="list-index-out-of-range",
        ),
        pytest.param(
            "horizon.years",
            "--set horizon.years: expected KEY=VALUE (or +KEY=VALUE to add, ~KEY to delete)",
            id="no-equals",
        ),
        pytest.param("=3", "--set =3: the key before '=' is empty", id="empty-key"),
        pytest.param("~", "--set ~: write '~a.b' to delete key a.b", id="bare-tilde"),
        pytest.param(
            "disruptions.ga_ban.severity=1.5",
            "--set disruptions.ga_ban.severity=1.5: disruptions.ga_ban.severity: must be at "
            "most 1 (got 1.5)",
            id="value-error-located-at-set",
        ),
        pytest.param(
            "disruptions.ga_ban.licensing={delay: 3, resumed_share: 0.2}",
            "--set disruptions.ga_ban.licensing={delay: 3, resumed_share: 0.2}: "
            "disruptions.ga_ban.licensing.delay: a duration needs a unit: write '3 months' or "
            "'3 years'",
            id="nested-value-error-located-at-set",
        ),
        pytest.param(
            "commodities.gallium.reference_price=250 EUR/kg",
            "--set commodities.gallium.reference_price=250 EUR/kg: "
            "commodities.gallium.reference_price: currency EUR has no exchange rate; add "
            "'fx: {EUR: <USD per EUR>}' (rates given: AUD)",
            id="semantic-error-located-at-set",
        ),
        pytest.param(
            "horizon=3",
            "--set horizon=3: horizon: must be a mapping of keys to values (got 3)",
            id="mapping-replaced-by-scalar",
        ),
    ],
)
def test_set_errors(base, tmp_path, option, expected) -> None:
    assert load_problems(base, tmp_path, sets=(option,)) == [expected]


def test_set_error_location_has_no_line(base) -> None:
    with pytest.raises(ScenarioError) as info:
        load(base, sets=("disruptions.ga_ban.severity=1.5",))
    (p,) = info.value.problems
    assert p.location == Location("--set disruptions.ga_ban.severity=1.5", 0, 0)
    assert str(p.location) == "--set disruptions.ga_ban.severity=1.5"


def test_every_bad_set_is_reported(base, tmp_path) -> None:
    problems = load_problems(base, tmp_path, sets=("horizon.yers=3", "horizon.years=3", "nme=x"))
    assert problems == [
        "--set horizon.yers=3: horizon.yers: no such key; did you mean 'years'? (to add a new "
        "key write '+horizon.yers=...')",
        "--set nme=x: nme: no such key; did you mean 'name'? (to add a new key write '+nme=...')",
    ]


def test_deleting_a_required_key_is_located_at_its_parent(base, tmp_path) -> None:
    assert load_problems(base, tmp_path, sets=("~horizon.years",)) == [
        "{dir}/base.yaml:3:3: horizon.years: missing required key"
    ]


@pytest.mark.parametrize(
    ("option", "key"),
    [
        pytest.param(
            "horizon.years=[1,",
            "horizon.years",
            id="yaml-error",
        ),
        pytest.param(
            "name=!!python/object/apply:os.system [echo]",
            "name",
            id="python-tag",
        ),
        pytest.param(
            "+disruptions.ga_ban.to.5=rest",
            "disruptions.ga_ban.to.5",
            id="add-list-index-crashes",
        ),
        pytest.param(
            "+disruptions.ga_ban.to.x=rest",
            "disruptions.ga_ban.to.x",
            id="add-text-key-to-list-crashes",
        ),
        pytest.param(
            "name=&x [*x]",
            "name",
            id="recursive-alias-crashes",
        ),
        pytest.param(
            "~disruptions.ga_ban.licensing=3",
            "disruptions.ga_ban.licensing",
            id="delete-with-a-value",
        ),
    ],
)
def test_bad_set_located_at_the_option(base, option, key) -> None:
    with pytest.raises(ScenarioError) as info:
        load(base, sets=(option,))
    problems = info.value.problems
    assert problems, "no problem reported"
    p = problems[0]
    assert p.location == Location(f"--set {option}", 0, 0), str(p)
    assert p.key == key, str(p)


# -- precedence --------------------------------------------------------------------------------


def test_precedence_of_the_five_layers(valid_text, write) -> None:
    """extends < the file < active_overrides < overrides argument < --set, on one key."""
    write(valid_text.replace("severity: 0.9", "severity: 0.1"), "parent.yaml")
    child_text = (
        "extends: parent.yaml\n"
        "disruptions: {ga_ban: {severity: 0.2}}\n"
        "overrides:\n"
        "  o1: {disruptions.ga_ban.severity: 0.3}\n"
        "  o2: {disruptions.ga_ban.severity: 0.4}\n"
    )
    only_parent = write("extends: parent.yaml\n", "only_parent.yaml")
    assert load(only_parent).scenario.disruptions["ga_ban"].severity == 0.1

    plain = write(child_text, "plain.yaml")
    assert load(plain).scenario.disruptions["ga_ban"].severity == 0.2

    child = write(child_text + "active_overrides: [o1]\n", "child.yaml")
    assert load(child).scenario.disruptions["ga_ban"].severity == 0.3
    assert load(child, overrides=("o2",)).scenario.disruptions["ga_ban"].severity == 0.4

    option = "disruptions.ga_ban.severity=0.5"
    loaded = load(child, overrides=("o2",), sets=(option,))
    assert loaded.scenario.disruptions["ga_ban"].severity == 0.5
    assert loaded.source.where(SEVERITY) == Location(f"--set {option}", 0, 0)
    assert loaded.source.applied_overrides == ["o1", "o2"]
    assert loaded.source.sets == [option]
    # the other layers still stand where they are not overridden
    assert loaded.scenario.disruptions["ga_ban"].to == ["alliance"]


def test_override_argument_beats_active_overrides_even_if_listed_first(valid_text, write) -> None:
    path = write(valid_text + OVERRIDES + "active_overrides: [strict]\n")
    assert load(path, overrides=("mild",)).scenario.disruptions["ga_ban"].severity == 0.5
    assert (
        load(path, sets=("disruptions.ga_ban.severity=0.7",), overrides=("mild",))
        .scenario.disruptions["ga_ban"]
        .severity
        == 0.7
    )


def test_a_folded_text_reads_as_one_line_without_fold_marks(tmp_path):
    from sim.scenario.loader import parse_yaml

    doc = parse_yaml("description: >-\n  one line,\n  folded here.\n", "s.yaml")
    assert doc.data["description"] == "one line, folded here."
