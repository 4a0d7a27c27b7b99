"""Quantities with units: tonnes, prices, money, durations and months.

Analysts write `760 t`, `250 USD/kg`, `1.2e9 AUD`, `18 months` or `2026-03`, or the mapping
forms (`{value: 1.2e9, currency: AUD}`). Everything is parsed here into one internal unit
(tonnes, currency per tonne, years) so that the engine never sees a unit string.
Currencies stay symbolic until the scenario's FX table converts them (see `schema.Scenario`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

MASS_UNITS: dict[str, float] = {"g": 1e-6, "kg": 1e-3, "t": 1.0, "kt": 1e3, "Mt": 1e6}
DURATION_UNITS: dict[str, float] = {
    "day": 1 / 365.25,
    "week": 7 / 365.25,
    "month": 1 / 12,
    "quarter": 1 / 4,
    "year": 1.0,
}
MAX_YEARS = 1000.0
"""Longest duration a scenario may give: longer is a slip of the unit (or of the keyboard),
and a far longer one overflows the clock's ticks."""
_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CURRENCY = r"[A-Z]{3}"


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def _amount(value: Any, what: str, example: str) -> float:
    """A finite, non-negative number from a mapping's `value`, or a clear ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"the 'value' of a {what} must be a number (got {value!r}); e.g. {example}"
        )
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"a {what} must be finite (got {value!r})")
    if x < 0:
        raise ValueError(f"a {what} cannot be negative (got {value!r})")
    return x


def _checked(x: float, what: str, text: Any) -> float:
    if not math.isfinite(x):
        raise ValueError(f"a {what} must be finite (got {text!r})")
    if x < 0:
        raise ValueError(f"a {what} cannot be negative (got {text!r})")
    return x


def _as_mapping(value: Any, allowed: set[str], what: str) -> dict[str, Any]:
    extra = sorted(set(value) - allowed)
    if extra:
        raise ValueError(
            f"unknown key {extra[0]!r} in a {what}; allowed: {', '.join(sorted(allowed))}"
        )
    return value


def _mass_unit(unit: str) -> float:
    unit = unit.removesuffix("/yr").removesuffix("/year")
    if unit not in MASS_UNITS:
        raise ValueError(f"unknown mass unit {unit!r}; use one of {', '.join(MASS_UNITS)}")
    return MASS_UNITS[unit]


def parse_mass(value: Any) -> float:
    """Tonnes from `760`, `"760 t"`, `"1.6 Mt"` or `{value: 760, unit: t}`."""
    if isinstance(value, bool):
        raise ValueError("expected a mass such as '760 t'")
    if isinstance(value, int | float):
        return _checked(float(value), "mass", value)
    if isinstance(value, dict):
        _as_mapping(value, {"value", "unit"}, "mass")
        if "value" not in value:
            raise ValueError("a mass needs 'value' (and 'unit', default t)")
        amount = _amount(value["value"], "mass", "{value: 760, unit: t}")
        return _checked(amount * _mass_unit(str(value.get("unit", "t"))), "mass", value)
    if isinstance(value, str):
        m = re.fullmatch(rf"\s*({_NUMBER})\s*([A-Za-z/]+)?\s*", value)
        if not m:
            raise ValueError(f"cannot read {value!r} as a mass; write e.g. '760 t' or '1.6 Mt'")
        return _checked(_number(m.group(1)) * _mass_unit(m.group(2) or "t"), "mass", value)
    raise ValueError("expected a mass such as '760 t'")


@dataclass(frozen=True)
class Money:
    """An amount in a named currency (ISO 4217 code)."""

    value: float
    currency: str

    def convert(self, fx: dict[str, float], reporting: str) -> float:
        return self.value * fx_rate(self.currency, fx, reporting)

    def __str__(self) -> str:
        return f"{self.value:g} {self.currency}"


@dataclass(frozen=True)
class Price:
    """A price: `value` units of `currency` per `per_tonnes` tonnes."""

    value: float
    currency: str
    per: str = "kg"

    @property
    def per_tonne(self) -> float:
        """The price per tonne, still in `currency`."""
        return self.value / MASS_UNITS[self.per]

    def convert(self, fx: dict[str, float], reporting: str) -> float:
        """Reporting-currency units per tonne."""
        return self.per_tonne * fx_rate(self.currency, fx, reporting)

    def __str__(self) -> str:
        return f"{self.value:g} {self.currency}/{self.per}"


def fx_rate(currency: str, fx: dict[str, float], reporting: str) -> float:
    """Units of the reporting currency bought by one unit of `currency`."""
    if currency == reporting:
        return 1.0
    if currency not in fx:
        raise KeyError(currency)
    return fx[currency]


def parse_money(value: Any) -> Money:
    """`"1.2e9 AUD"` or `{value: 1.2e9, currency: AUD}`."""
    if isinstance(value, Money):
        return value
    if isinstance(value, dict):
        _as_mapping(value, {"value", "currency"}, "money amount")
        if "value" not in value or "currency" not in value:
            raise ValueError(
                "an amount of money needs 'value' and 'currency', e.g. {value: 1.2e9, currency: AUD}"
            )
        cur = str(value["currency"])
        if not re.fullmatch(_CURRENCY, cur):
            raise ValueError(f"currency {cur!r} is not a three-letter ISO code such as USD")
        return Money(_amount(value["value"], "money amount", "{value: 1.2e9, currency: AUD}"), cur)
    if isinstance(value, str):
        m = re.fullmatch(rf"\s*({_NUMBER})\s*({_CURRENCY})\s*", value)
        if m:
            return Money(_checked(_number(m.group(1)), "money amount", value), m.group(2))
    raise ValueError(f"cannot read {value!r} as money; write e.g. '1.2e9 AUD'")


def parse_price(value: Any) -> Price:
    """`"250 USD/kg"`, `"39500 USD/t"` or `{value: 250, currency: USD, per: kg}`."""
    if isinstance(value, Price):
        return value
    if isinstance(value, dict):
        _as_mapping(value, {"value", "currency", "per"}, "price")
        if "value" not in value or "currency" not in value:
            raise ValueError(
                "a price needs 'value' and 'currency' ('per' defaults to kg), "
                "e.g. {value: 250, currency: USD, per: kg}"
            )
        per = str(value.get("per", "kg"))
        if per not in MASS_UNITS:
            raise ValueError(
                f"unknown mass unit {per!r} in a price; use one of {', '.join(MASS_UNITS)}"
            )
        cur = str(value["currency"])
        if not re.fullmatch(_CURRENCY, cur):
            raise ValueError(f"currency {cur!r} is not a three-letter ISO code such as USD")
        return Price(
            _amount(value["value"], "price", "{value: 250, currency: USD, per: kg}"), cur, per
        )
    if isinstance(value, str):
        m = re.fullmatch(rf"\s*({_NUMBER})\s*({_CURRENCY})\s*/\s*([A-Za-z]+)\s*", value)
        if m and m.group(3) in MASS_UNITS:
            return Price(_checked(_number(m.group(1)), "price", value), m.group(2), m.group(3))
    raise ValueError(f"cannot read {value!r} as a price; write e.g. '250 USD/kg' or '39500 USD/t'")


def positive_price(price: Price) -> Price:
    """A price that must be above zero: the reference price divides every price multiple,
    and a cost or a floor of nothing is a mistake, not a scenario."""
    if price.value <= 0:
        raise ValueError(f"must be greater than 0 (got {price})")
    return price


def parse_duration(value: Any) -> float:
    """Years from `"18 months"`, `"2 years"`, `"6 weeks"`, `"45 days"` or `{value, unit}`."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '18 months'")
    if isinstance(value, dict):
        _as_mapping(value, {"value", "unit"}, "duration")
        if "value" not in value or "unit" not in value:
            raise ValueError("a duration needs 'value' and 'unit', e.g. {value: 18, unit: months}")
        _amount(value["value"], "duration", "{value: 18, unit: months}")
        return parse_duration(f"{value['value']} {value['unit']}")
    if isinstance(value, int | float):
        raise ValueError(f"a duration needs a unit: write '{value} months' or '{value} years'")
    if isinstance(value, str):
        m = re.fullmatch(rf"\s*({_NUMBER})\s*([a-z]+?)s?\s*", value)
        if m and m.group(2) in DURATION_UNITS:
            years = _number(m.group(1)) * DURATION_UNITS[m.group(2)]
            if years < 0:
                raise ValueError(f"a duration cannot be negative (got {value!r})")
            if years > MAX_YEARS:
                raise ValueError(
                    f"a duration of at most {MAX_YEARS:g} years is allowed (got {value!r})"
                )
            return _checked(years, "duration", value)
    raise ValueError(
        f"cannot read {value!r} as a duration; write e.g. '18 months', '2 years', '6 weeks'"
    )


def duration_text(years: float) -> str:
    """A duration in years as a scenario would write it, in the largest unit that makes it
    a whole number: 3.0 -> '3 years', 0.25 -> '3 months', 1.0 -> '1 year' (what
    `parse_duration` reads back to the same value)."""
    for unit, size in (("year", 1.0), ("month", 1 / 12), ("week", 7 / 365.25), ("day", 1 / 365.25)):
        n = years / size
        if abs(n - round(n)) < 1e-9:
            n = round(n)
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{years:g} years"


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month; dates in scenarios are months (YYYY-MM)."""

    year: int
    month: int

    @property
    def index(self) -> int:
        """Months since year 0, for arithmetic."""
        return self.year * 12 + self.month - 1

    def years_since(self, other: YearMonth) -> float:
        return (self.index - other.index) / 12

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_year_month(value: Any) -> YearMonth:
    if isinstance(value, YearMonth):
        return value
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(value).strip()) if isinstance(value, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"cannot read {value!r} as a month; write YYYY-MM, e.g. '2026-03'")
    return YearMonth(int(m.group(1)), int(m.group(2)))


def _above_zero_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a quantity that must be above zero, from the schema of one that may
    be zero: a bare number and a mapping's `value` get `exclusiveMinimum: 0` in place of any
    `minimum`; the text forms stay as they are (the validator, not the pattern, rejects 0)."""

    def above_zero(form: dict[str, Any]) -> dict[str, Any]:
        if form.get("type") == "number":
            return {
                **{key: v for key, v in form.items() if key != "minimum"},
                "exclusiveMinimum": 0,
            }
        if form.get("type") == "object":
            value = above_zero(form["properties"]["value"])
            return {**form, "properties": {**form["properties"], "value": value}}
        return form

    return {**schema, "anyOf": [above_zero(form) for form in schema["anyOf"]]}


def _quantity_schema(
    pattern: str,
    keys: dict[str, Any],
    required: list[str],
    examples: list[Any],
    *,
    bare_number: bool = False,
) -> dict[str, Any]:
    """The JSON schema of a quantity as scenarios may write it: text matching `pattern`, or
    a mapping of a numeric `value` and `keys` and nothing else (what `_as_mapping` accepts);
    with `bare_number`, also a plain non-negative number (a mass, in tonnes)."""
    mapping = {
        "type": "object",
        "properties": {"value": {"type": "number"}, **keys},
        "required": required,
        "additionalProperties": False,
    }
    forms: list[dict[str, Any]] = [{"type": "number", "minimum": 0}] if bare_number else []
    forms += [{"type": "string", "pattern": pattern}, mapping]
    return {"anyOf": forms, "examples": examples}


_currency_schema: dict[str, Any] = {"type": "string", "pattern": "^[A-Z]{3}$"}
_mass_schema = _quantity_schema(
    rf"^\s*{_NUMBER}\s*(g|kg|t|kt|Mt)?(/yr|/year)?\s*$",
    {"unit": {"enum": list(MASS_UNITS)}},
    ["value"],
    ["760 t", "1.6 Mt"],
    bare_number=True,
)
_positive_mass_schema = _above_zero_schema(_mass_schema)
_price_schema = _quantity_schema(
    rf"^\s*{_NUMBER}\s*[A-Z]{{3}}\s*/\s*(g|kg|t|kt|Mt)\s*$",
    {"currency": _currency_schema, "per": {"enum": list(MASS_UNITS)}},
    ["value", "currency"],
    ["250 USD/kg", "39500 USD/t"],
)
_positive_price_schema = _above_zero_schema(_price_schema)
_money_schema = _quantity_schema(
    rf"^\s*{_NUMBER}\s*[A-Z]{{3}}\s*$",
    {"currency": _currency_schema},
    ["value", "currency"],
    ["1.2e9 AUD", {"value": 1.2e9, "currency": "AUD"}],
)
_duration_schema = _quantity_schema(
    rf"^\s*{_NUMBER}\s*(day|week|month|quarter|year)s?\s*$",
    {"unit": {"enum": [u + "s" for u in DURATION_UNITS] + list(DURATION_UNITS)}},
    ["value", "unit"],
    ["18 months", "2 years"],
)

Mass = Annotated[
    float,
    BeforeValidator(parse_mass),
    WithJsonSchema(_mass_schema),
    PlainSerializer(lambda v: f"{v:g} t"),
]
"""Tonnes (per year where the field is a flow)."""
PositiveMass = Annotated[Mass, Field(gt=0), WithJsonSchema(_positive_mass_schema)]
"""Tonnes above zero (world output, capacities, use, volumes)."""
PriceField = Annotated[
    Price, BeforeValidator(parse_price), WithJsonSchema(_price_schema), PlainSerializer(str)
]
PositivePrice = Annotated[
    PriceField, AfterValidator(positive_price), WithJsonSchema(_positive_price_schema)
]
"""A price above zero (reference prices, costs, floors, strikes)."""
MoneyField = Annotated[
    Money, BeforeValidator(parse_money), WithJsonSchema(_money_schema), PlainSerializer(str)
]
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(_duration_schema),
    PlainSerializer(lambda v: f"{v:g} years"),
]
"""Years."""
Month = Annotated[
    YearMonth,
    BeforeValidator(parse_year_month),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-03"]}
    ),
    PlainSerializer(str),
]
