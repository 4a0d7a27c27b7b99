"""Quantities with units: masses, prices, money, durations and months."""

from __future__ import annotations

import pytest

from sim.scenario.units import (
    DURATION_UNITS,
    Money,
    Price,
    YearMonth,
    fx_rate,
    parse_duration,
    parse_mass,
    parse_money,
    parse_price,
    parse_year_month,
)

# -- mass --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tonnes"),
    [
        ("760 t", 760.0),
        ("1.6 Mt", 1.6e6),
        ("2.5 kt", 2500.0),
        ("500 kg", 0.5),
        ("2000000 g", 2.0),
        ("760", 760.0),
        (760, 760.0),
        (1.5, 1.5),
        ("2.5 kt/yr", 2500.0),
        ("2.5kt/year", 2500.0),
        ("1_000 t", 1000.0),
        (".5 Mt", 5e5),
        ("1e3 kg", 1.0),
        ("  760 t  ", 760.0),
        ({"value": 1.6, "unit": "Mt"}, 1.6e6),
        ({"value": 760}, 760.0),
    ],
)
def test_parse_mass_good(value, tonnes) -> None:
    assert parse_mass(value) == pytest.approx(tonnes, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("760 tonnes", "unknown mass unit 'tonnes'; use one of g, kg, t, kt, Mt"),
        ("760 T", "unknown mass unit 'T'; use one of g, kg, t, kt, Mt"),
        ("760 t/month", "unknown mass unit 't/month'; use one of g, kg, t, kt, Mt"),
        ("seven t", "cannot read 'seven t' as a mass; write e.g. '760 t' or '1.6 Mt'"),
        ("", "cannot read '' as a mass; write e.g. '760 t' or '1.6 Mt'"),
        ("nan t", "cannot read 'nan t' as a mass; write e.g. '760 t' or '1.6 Mt'"),
        (True, "expected a mass such as '760 t'"),
        (None, "expected a mass such as '760 t'"),
        ([760], "expected a mass such as '760 t'"),
        ({"unit": "t"}, "a mass needs 'value' (and 'unit', default t)"),
        ({"value": 1, "units": "t"}, "unknown key 'units' in a mass; allowed: unit, value"),
        ({"value": 1, "unit": "lb"}, "unknown mass unit 'lb'; use one of g, kg, t, kt, Mt"),
        (
            {"value": True},
            "the 'value' of a mass must be a number (got True); e.g. {value: 760, unit: t}",
        ),
        (
            {"value": "1.6 Mt"},
            "the 'value' of a mass must be a number (got '1.6 Mt'); e.g. {value: 760, unit: t}",
        ),
    ],
)
def test_parse_mass_bad(value, message) -> None:
    with pytest.raises(ValueError) as info:
        parse_mass(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("-5 t", id="negative-text"),
        pytest.param(-5, id="negative-number"),
        pytest.param("1e400 t", id="overflows-to-inf"),
        pytest.param(
            {"value": "2 kt", "unit": "kt"},
            id="unit-twice",
        ),
    ],
)
def test_parse_mass_refuses_nonsense(value) -> None:
    with pytest.raises(ValueError):
        parse_mass(value)


# -- price and money ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "price", "per_tonne"),
    [
        ("250 USD/kg", Price(250.0, "USD", "kg"), 250_000.0),
        ("39500 USD/t", Price(39500.0, "USD", "t"), 39500.0),
        ("250USD/kg", Price(250.0, "USD", "kg"), 250_000.0),
        ("250 USD / kg", Price(250.0, "USD", "kg"), 250_000.0),
        ("1.5 AUD/g", Price(1.5, "AUD", "g"), 1.5e6),
        ({"value": 250, "currency": "USD", "per": "kg"}, Price(250.0, "USD", "kg"), 250_000.0),
        ({"value": 250, "currency": "USD"}, Price(250.0, "USD", "kg"), 250_000.0),
        ({"value": 39500, "currency": "EUR", "per": "t"}, Price(39500.0, "EUR", "t"), 39500.0),
    ],
)
def test_parse_price_good(value, price, per_tonne) -> None:
    parsed = parse_price(value)
    assert parsed == price
    assert parsed.per_tonne == pytest.approx(per_tonne)
    assert parse_price(parsed) is parsed


PRICE_HINT = "write e.g. '250 USD/kg' or '39500 USD/t'"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("250 usd/kg", f"cannot read '250 usd/kg' as a price; {PRICE_HINT}"),
        ("250 USD/lb", f"cannot read '250 USD/lb' as a price; {PRICE_HINT}"),
        ("250 USD", f"cannot read '250 USD' as a price; {PRICE_HINT}"),
        ("USD 250/kg", f"cannot read 'USD 250/kg' as a price; {PRICE_HINT}"),
        (250, f"cannot read 250 as a price; {PRICE_HINT}"),
        (None, f"cannot read None as a price; {PRICE_HINT}"),
        (
            {"value": 250},
            "a price needs 'value' and 'currency' ('per' defaults to kg), e.g. {value: 250, currency: USD, per: kg}",
        ),
        (
            {"value": 250, "currency": "usd"},
            "currency 'usd' is not a three-letter ISO code such as USD",
        ),
        (
            {"value": 250, "currency": "USD", "per": "lb"},
            "unknown mass unit 'lb' in a price; use one of g, kg, t, kt, Mt",
        ),
        (
            {"value": 1, "currency": "USD", "unit": "kg"},
            "unknown key 'unit' in a price; allowed: currency, per, value",
        ),
    ],
)
def test_parse_price_bad(value, message) -> None:
    with pytest.raises(ValueError) as info:
        parse_price(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"value": None, "currency": "USD"}, id="value-null-TypeError"),
        pytest.param({"value": [1], "currency": "USD"}, id="value-list-TypeError"),
        pytest.param({"value": "abc", "currency": "USD"}, id="value-text-python-message"),
        pytest.param("-250 USD/kg", id="negative"),
    ],
)
def test_parse_price_refuses_nonsense_in_plain_words(value) -> None:
    with pytest.raises(ValueError) as info:
        parse_price(value)
    assert "float" not in str(info.value)


def test_price_convert_with_fx() -> None:
    fx = {"AUD": 0.65, "EUR": 1.1}
    assert parse_price("250 USD/kg").convert(fx, "USD") == pytest.approx(250_000.0)
    assert parse_price("100 AUD/t").convert(fx, "USD") == pytest.approx(65.0)
    assert parse_price("2 EUR/kg").convert(fx, "USD") == pytest.approx(2200.0)
    assert parse_price("2 EUR/kg").convert({}, "EUR") == pytest.approx(2000.0)
    with pytest.raises(KeyError):
        parse_price("2 GBP/kg").convert(fx, "USD")
    assert fx_rate("USD", {}, "USD") == 1.0
    assert str(parse_price("250 USD/kg")) == "250 USD/kg"
    assert str(Price(39500.0, "USD", "t")) == "39500 USD/t"


@pytest.mark.parametrize(
    ("value", "money"),
    [
        ("1.2e9 AUD", Money(1.2e9, "AUD")),
        ("100 USD", Money(100.0, "USD")),
        ("  100USD ", Money(100.0, "USD")),
        ({"value": 1.2e9, "currency": "AUD"}, Money(1.2e9, "AUD")),
    ],
)
def test_parse_money_good(value, money) -> None:
    assert parse_money(value) == money


def test_money_convert_and_str() -> None:
    m = parse_money("1.2e9 AUD")
    assert m.convert({"AUD": 0.65}, "USD") == pytest.approx(7.8e8)
    assert str(m) == "1.2e+09 AUD"
    assert parse_money(m) is m


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.2e9 aud", "cannot read '1.2e9 aud' as money; write e.g. '1.2e9 AUD'"),
        ("1.2e9", "cannot read '1.2e9' as money; write e.g. '1.2e9 AUD'"),
        (5, "cannot read 5 as money; write e.g. '1.2e9 AUD'"),
        (
            {"value": 1},
            "an amount of money needs 'value' and 'currency', e.g. {value: 1.2e9, currency: AUD}",
        ),
        (
            {"value": 1, "currency": "au"},
            "currency 'au' is not a three-letter ISO code such as USD",
        ),
        (
            {"value": 1, "currency": "AUD", "x": 1},
            "unknown key 'x' in a money amount; allowed: currency, value",
        ),
    ],
)
def test_parse_money_bad(value, message) -> None:
    with pytest.raises(ValueError) as info:
        parse_money(value)
    assert str(info.value) == message


# -- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "years"),
    [
        ("18 months", 1.5),
        ("1 month", 1 / 12),
        ("2 years", 2.0),
        ("1.5 year", 1.5),
        ("6 weeks", 6 * 7 / 365.25),
        ("45 days", 45 / 365.25),
        ("1 quarter", 0.25),
        ("3 quarters", 0.75),
        ("18months", 1.5),
        ("  18 months ", 1.5),
        ("0 days", 0.0),
        ({"value": 18, "unit": "months"}, 1.5),
        ({"value": 1, "unit": "year"}, 1.0),
    ],
)
def test_parse_duration_good(value, years) -> None:
    assert parse_duration(value) == pytest.approx(years, rel=1e-12)


DURATION_HINT = "write e.g. '18 months', '2 years', '6 weeks'"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (18, "a duration needs a unit: write '18 months' or '18 years'"),
        (1.5, "a duration needs a unit: write '1.5 months' or '1.5 years'"),
        ("18", f"cannot read '18' as a duration; {DURATION_HINT}"),
        ("18 fortnights", f"cannot read '18 fortnights' as a duration; {DURATION_HINT}"),
        ("18 Months", f"cannot read '18 Months' as a duration; {DURATION_HINT}"),
        ("18 monthss", f"cannot read '18 monthss' as a duration; {DURATION_HINT}"),
        ("months", f"cannot read 'months' as a duration; {DURATION_HINT}"),
        (None, f"cannot read None as a duration; {DURATION_HINT}"),
        (True, "expected a duration such as '18 months'"),
        ("-3 months", "a duration cannot be negative (got '-3 months')"),
        ({"value": -1, "unit": "year"}, "a duration cannot be negative (got -1)"),
        ({"value": 18}, "a duration needs 'value' and 'unit', e.g. {value: 18, unit: months}"),
        ({"unit": "months"}, "a duration needs 'value' and 'unit', e.g. {value: 18, unit: months}"),
        (
            {"value": 18, "unit": "months", "x": 1},
            "unknown key 'x' in a duration; allowed: unit, value",
        ),
        (
            {"value": 18, "unit": "parsecs"},
            f"cannot read '18 parsecs' as a duration; {DURATION_HINT}",
        ),
    ],
)
def test_parse_duration_bad(value, message) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value)
    assert str(info.value) == message


def test_duration_units_are_in_years() -> None:
    assert DURATION_UNITS["year"] == 1.0 and DURATION_UNITS["month"] * 12 == pytest.approx(1.0)


# -- months ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ym"),
    [
        ("2026-03", YearMonth(2026, 3)),
        ("2026-01", YearMonth(2026, 1)),
        ("2026-12", YearMonth(2026, 12)),
        (" 2026-03 ", YearMonth(2026, 3)),
    ],
)
def test_parse_year_month_good(value, ym) -> None:
    assert parse_year_month(value) == ym
    assert parse_year_month(ym) is ym


@pytest.mark.parametrize(
    "value",
    ["2026-13", "2026-00", "2026-3", "26-03", "2026-03-01", "2026/03", "March 2026", 2026, None],
)
def test_parse_year_month_bad(value) -> None:
    with pytest.raises(ValueError) as info:
        parse_year_month(value)
    assert str(info.value) == f"cannot read {value!r} as a month; write YYYY-MM, e.g. '2026-03'"


def test_year_month_arithmetic() -> None:
    a, b = YearMonth(2026, 3), YearMonth(2027, 9)
    assert str(a) == "2026-03" and str(YearMonth(987, 1)) == "0987-01"
    assert a < b and YearMonth(2026, 12) < YearMonth(2027, 1)
    assert b.index - a.index == 18
    assert b.years_since(a) == 1.5
