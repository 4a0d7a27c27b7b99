"""Checks on seeds/alliance-2026.yaml: every fact names known sources, and key numbers hold.

The file turns the Feb 2026 news seeds and data.md section 3 into data. These tests guard its
shape (sources cited and known, numbers wrapped with units, dates well formed and in order,
ISO country codes) and a few facts a scenario would rely on (the Australian reserve adds up,
the US NdPr floor is US$110/kg for ten years).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:  # PyYAML if present, else ruamel.yaml (a project dependency) in safe mode
    import yaml

    def _safe_load(text: str) -> Any:
        return yaml.safe_load(text)

except ImportError:  # pragma: no cover - depends on the environment
    from ruamel.yaml import YAML

    def _safe_load(text: str) -> Any:
        return YAML(typ="safe", pure=True).load(text)


SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
DATA_FILE = SEEDS_DIR / "alliance-2026.yaml"
README = SEEDS_DIR / "README.md"

FACT_SECTIONS = ("meeting", "minerals", "policies", "timeline")
# Keys that qualify a fact rather than state one: a mapping holding only these needs no sources.
META_KEYS = {"sources", "note", "weak", "derived", "approximate", "bound"}
DATE_KEYS = {"date", "deal_date", "announced", "adopted", "as_of", "pledged"}
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
CODE_RE = re.compile(r"^[A-Z]{2}$")

Path_ = tuple[Any, ...]


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded = _safe_load(DATA_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _walk(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Yield (path, node) for this node and everything below it."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def _fact_nodes(data: dict[str, Any]) -> Iterator[tuple[Path_, Any]]:
    for section in FACT_SECTIONS:
        yield from _walk(data[section], (section,))


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | dt.date) or value is None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _states_facts(node: dict[str, Any]) -> bool:
    """True if the mapping holds a scalar (or a list of scalars) beyond the meta keys."""
    for key, value in node.items():
        if key in META_KEYS:
            continue
        if _is_scalar(value):
            return True
        if isinstance(value, list) and value and all(_is_scalar(v) for v in value):
            return True
    return False


def _date_key(text: str) -> tuple[int, int, int]:
    """Sort key for YYYY-MM or YYYY-MM-DD; a month-only date sorts before that month's days."""
    parts = [int(p) for p in text.split("-")]
    return (parts[0], parts[1], parts[2] if len(parts) == 3 else 0)


def _check_date(text: Any, where: Path_) -> str:
    text = str(text)  # an unquoted YAML date loads as datetime.date; str() gives ISO form back
    assert DATE_RE.match(text), f"{where}: {text!r} is not YYYY-MM or YYYY-MM-DD"
    year, month, *day = (int(p) for p in text.split("-"))
    dt.date(year, month, day[0] if day else 1)  # raises on impossible dates
    return text


# --------------------------------------------------------------------------- structure


def test_top_level_keys(data: dict[str, Any]) -> None:
    assert set(data) == {"sources", *FACT_SECTIONS}


def test_sources_are_well_formed(data: dict[str, Any]) -> None:
    sources = data["sources"]
    assert sources, "no sources"
    files, refs = set(), set()
    for sid, src in sources.items():
        assert re.match(r"^[a-z][a-z0-9_]*$", sid), sid
        assert src.get("outlet") and src.get("title"), f"{sid}: needs outlet and title"
        assert ("file" in src) != ("ref" in src), f"{sid}: exactly one of file / ref"
        if "file" in src:
            assert re.match(r"^\d{3}_[0-9a-f]{16}\.txt$", src["file"]), sid
            assert src["file"] not in files, f"{sid}: file listed twice"
            files.add(src["file"])
        else:
            assert re.match(r"^S\d+$", src["ref"]), sid
            assert sid == src["ref"].lower(), f"{sid}: id should be the S-number in lower case"
            assert src["ref"] not in refs, f"{sid}: ref listed twice"
            refs.add(src["ref"])
        if "date" in src:
            assert len(_check_date(src["date"], ("sources", sid))) == 10, sid
        if src["outlet"] == "unnamed web article":
            assert src.get("weak") is True, f"{sid}: an unnamed outlet must be flagged weak"
    assert len(files) == 5, "all five seed articles should be listed"


def test_every_fact_cites_known_sources(data: dict[str, Any]) -> None:
    known = set(data["sources"])
    problems = []
    for path, node in _fact_nodes(data):
        if not isinstance(node, dict):
            continue
        if "sources" in node:
            cited = node["sources"]
            if not isinstance(cited, list) or not cited:
                problems.append(f"{path}: sources must be a non-empty list")
                continue
            unknown = [s for s in cited if s not in known]
            if unknown:
                problems.append(f"{path}: unknown source ids {unknown}")
            if len(set(cited)) != len(cited):
                problems.append(f"{path}: a source is listed twice")
        elif _states_facts(node):
            problems.append(f"{path}: states a fact but has no sources")
    assert not problems, "\n".join(problems)


def test_list_entries_are_facts_with_sources(data: dict[str, Any]) -> None:
    entries = [*data["minerals"], *data["timeline"], *data["meeting"]["participants"]]
    assert entries
    for entry in entries:
        assert isinstance(entry, dict) and entry.get("sources"), entry


def test_every_source_is_used(data: dict[str, Any]) -> None:
    cited = {
        sid
        for _, node in _fact_nodes(data)
        if isinstance(node, dict)
        for sid in node.get("sources", [])
    }
    assert set(data["sources"]) - cited == set(), "sources listed but never cited"


def test_numbers_carry_value_unit_and_sources(data: dict[str, Any]) -> None:
    problems = []
    for path, node in _fact_nodes(data):
        if _is_number(node) and path[-1] != "value" and path[-2:-1] != ("value",):
            problems.append(f"{path}: bare number {node!r}; wrap it as {{value, unit, sources}}")
        if isinstance(node, dict) and "value" in node:
            value = node["value"]
            if isinstance(value, list):
                ok = len(value) == 2 and all(map(_is_number, value)) and value[0] <= value[1]
                if not ok:
                    problems.append(f"{path}: a range must be [low, high]")
            elif not _is_number(value):
                problems.append(f"{path}: value {value!r} is not a number")
            if not (node.get("unit") or node.get("currency")):
                problems.append(f"{path}: number without unit or currency")
            if not node.get("sources"):
                problems.append(f"{path}: number without sources")
    assert not problems, "\n".join(problems)


def test_dates_are_well_formed(data: dict[str, Any]) -> None:
    seen = 0
    for path, node in _fact_nodes(data):
        if isinstance(node, dict):
            for key in DATE_KEYS & set(node):
                _check_date(node[key], (*path, key))
                seen += 1
    assert seen >= len(data["timeline"])


def test_timeline_is_sorted(data: dict[str, Any]) -> None:
    timeline = data["timeline"]
    assert len(timeline) >= 5
    keys = [_date_key(_check_date(e["date"], ("timeline", i))) for i, e in enumerate(timeline)]
    assert keys == sorted(keys), "timeline dates are out of order"


def test_timeline_events_are_single_short_sentences(data: dict[str, Any]) -> None:
    for entry in data["timeline"]:
        event = entry["event"].strip()
        assert event.endswith("."), event
        assert len(event) <= 120, event
        assert not re.search(r"[.!?]\s+[A-Z]", event[:-1]), f"more than one sentence: {event}"


# --------------------------------------------------------------------------- meeting


def test_participant_codes(data: dict[str, Any]) -> None:
    codes = [p["code"] for p in data["meeting"]["participants"]]
    for code in codes:
        assert isinstance(code, str), f"{code!r} did not load as a string (quote it)"
        assert code == "EU" or CODE_RE.match(code), code
    assert "UK" not in codes, "the ISO 3166-1 code for the United Kingdom is GB"
    assert len(codes) == len(set(codes)), "a participant is listed twice"
    assert {"US", "GB", "EU", "AU", "JP", "KR", "IN", "NZ", "CA"} <= set(codes)


def test_participant_codes_are_official() -> None:
    countries = pytest.importorskip("sim.scenario.countries")
    loaded = _safe_load(DATA_FILE.read_text(encoding="utf-8"))
    for participant in loaded["meeting"]["participants"]:
        code = participant["code"]
        assert code == "EU" or countries.is_country(code), code


def test_meeting_place_date_and_outcome(data: dict[str, Any]) -> None:
    meeting = data["meeting"]
    assert "Washington" in meeting["where"]["city"]
    assert str(meeting["when"]["date"]) == "2026-02-04"
    assert meeting["convened_by"]["code"] == "US"
    outcome = meeting["outcome"]
    assert outcome["binding_agreement"] is False
    assert str(outcome["as_of"]) == "2026-02-13"


def test_country_count_conflict_is_recorded(data: dict[str, Any]) -> None:
    counts = data["meeting"]["countries_reported"]
    attending = {
        tuple(c["value"]) if isinstance(c["value"], list) else (c["value"],): set(c["sources"])
        for c in counts
        if c.get("measure") == "attending"
    }
    assert attending.get((20,)) == {"seed003"}
    assert (54, 55) in attending
    assert {"s91", "s92", "s93", "s94"} <= attending[(54, 55)]
    conflict = data["meeting"]["countries_conflict"]
    assert {"seed003", "s91"} <= set(conflict["sources"])


# --------------------------------------------------------------------------- minerals, policies


def test_minerals(data: dict[str, Any]) -> None:
    names = [m["name"] for m in data["minerals"]]
    assert len(names) == len(set(names))
    required = {"lithium", "cobalt", "nickel", "graphite", "rare earths", "gallium", "antimony"}
    assert required <= set(names)
    for mineral in data["minerals"]:
        if "part_of" in mineral:
            assert mineral["part_of"] in names, mineral


def test_policy_entries_present(data: dict[str, Any]) -> None:
    assert set(data["policies"]) >= {
        "australia_reserve",
        "us_ndpr_floor",
        "minimum_pricing_debate",
        "japan_jogmec",
        "korea_komir",
        "eu_resourceeu",
        "g7_action_plan",
    }


def test_australian_reserve_adds_up(data: dict[str, Any]) -> None:
    reserve = data["policies"]["australia_reserve"]
    total = reserve["total"]
    parts = reserve["parts"]
    assert set(parts) == {"offtake", "stockpiling"}
    assert {total["currency"]} | {p["currency"] for p in parts.values()} == {"AUD"}
    summed = sum(p["value"] for p in parts.values())
    assert abs(summed - total["value"]) <= 0.02 * total["value"]
    assert total["value"] == 1_200_000_000
    variant = reserve["total_variant"]
    assert variant["weak"] is True
    assert abs(variant["value"] - total["value"]) <= 0.02 * total["value"]


def test_australian_reserve_first_minerals(data: dict[str, Any]) -> None:
    reserve = data["policies"]["australia_reserve"]
    first = reserve["first_minerals"]
    assert set(first["minerals"]) == {"antimony", "gallium", "rare earths"}
    assert str(first["announced"]) == "2026-01-12"
    assert set(first["minerals"]) <= {m["name"] for m in data["minerals"]}
    assert "DISR" in reserve["operator"]["agency"]
    assert str(reserve["operational_by"]["date"]) == "2026-12"


def test_ndpr_floor(data: dict[str, Any]) -> None:
    floor = data["policies"]["us_ndpr_floor"]
    price = floor["floor_price"]
    assert price["value"] == 110
    assert price["currency"] == "USD"
    assert price["unit"] == "USD/kg"
    assert floor["duration"]["value"] == 10
    assert floor["duration"]["unit"] == "years"
    assert str(floor["deal_date"]) == "2025-07-10"
    assert floor["starts"] == "2025-Q4"


def test_stockpile_targets(data: dict[str, Any]) -> None:
    japan = data["policies"]["japan_jogmec"]
    assert japan["target_general"]["value"] == 60
    assert japan["target_high_risk"]["value"] == 180
    assert japan["target_general"]["value"] < japan["target_high_risk"]["value"]
    korea = data["policies"]["korea_komir"]["rare_metals_target"]
    assert (korea["from"]["value"], korea["to"]["value"]) == (54, 100)
    assert korea["from"]["unit"] == korea["to"]["unit"] == "days"


# --------------------------------------------------------------------------- README and wording


def test_readme_lists_every_source(data: dict[str, Any]) -> None:
    text = README.read_text(encoding="utf-8")
    table_ids = set(re.findall(r"^\|\s*`?([a-z][a-z0-9_]*)`?\s*\|", text, flags=re.MULTILINE))
    assert set(data["sources"]) <= table_ids, "README table is missing source ids"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'"))


@pytest.mark.parametrize("n", [8])
def test_no_sentence_copied_from_seeds(n: int) -> None:
    """No run of n words from a seed article reappears in the data file or the README."""
    seed_dir = Path(os.environ.get("MINSIM_SEED_SOURCES", "/work/shared/seeds"))
    seed_files = sorted(seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
    if not seed_files:
        pytest.skip(f"seed texts not found in {seed_dir}")
    ours = " ".join(_words(DATA_FILE.read_text(encoding="utf-8") + README.read_text("utf-8")))
    for seed in seed_files:
        words = _words(seed.read_text(encoding="utf-8"))
        for i in range(len(words) - n + 1):
            phrase = " ".join(words[i : i + n])
            assert f" {phrase} " not in f" {ours} ", f"copied from {seed.name}: {phrase!r}"
