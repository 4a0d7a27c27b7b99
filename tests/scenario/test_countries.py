"""Tests for sim.scenario.countries: the ISO 3166-1 table, the EU group and suggestions."""

from __future__ import annotations

import pytest

from sim.scenario.countries import (
    COUNTRIES,
    EU_MEMBERS,
    GROUPS,
    expand_members,
    is_country,
    suggest,
)


def test_all_249_official_codes() -> None:
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in COUNTRIES)
    assert all(name and name == name.strip() for name in COUNTRIES.values())


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("AD", "Andorra"),
        ("GB", "United Kingdom"),
        ("US", "United States"),
        ("CN", "China"),
        ("DE", "Germany"),
        ("CD", "Congo, Democratic Republic of the"),
        ("CG", "Congo"),
        ("ZW", "Zimbabwe"),
    ],
)
def test_known_codes_and_names(code: str, name: str) -> None:
    assert COUNTRIES[code] == name
    assert is_country(code)


@pytest.mark.parametrize("code", ["XK", "UK", "EL", "EU", "ZZ", "gb", "", "GBR"])
def test_not_countries(code: str) -> None:
    assert not is_country(code)


def test_eu_members() -> None:
    assert len(EU_MEMBERS) == 27
    assert all(is_country(code) for code in EU_MEMBERS)
    assert {"DE", "FR", "GR", "HR"} <= EU_MEMBERS
    assert "GB" not in EU_MEMBERS
    assert GROUPS == {"EU": EU_MEMBERS}


def test_expand_members() -> None:
    expanded = expand_members({"EU", "US"})
    assert len(expanded) == 28
    assert expanded == EU_MEMBERS | {"US"}
    assert expand_members(["CN", "AU"]) == frozenset({"CN", "AU"})
    assert expand_members([]) == frozenset()
    assert expand_members(["EU", "DE"]) == EU_MEMBERS


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Chna", ["CN"]),
        ("germany", ["DE"]),
        ("Germany", ["DE"]),
        ("UK", ["GB"]),
        ("EL", ["GR"]),
        ("Russia", ["RU"]),
    ],
)
def test_suggest(word: str, expected: list[str]) -> None:
    assert suggest(word, COUNTRIES) == expected


def test_suggest_nothing_close() -> None:
    result = suggest("ZZ", COUNTRIES)
    assert "ZZ" not in result
    assert result == []


def test_suggest_only_from_candidates() -> None:
    assert suggest("Chile", ["CN", "CL"]) == ["CL"]
    assert suggest("UK", ["US", "FR"]) == []
    assert suggest("china", []) == []


def test_suggest_n() -> None:
    result = suggest("Chna", COUNTRIES, n=3)
    assert result[0] == "CN"
    assert 1 <= len(result) <= 3
    assert len(set(result)) == len(result)
    assert suggest("Chna", COUNTRIES, n=0) == []
