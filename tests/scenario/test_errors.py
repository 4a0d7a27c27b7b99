"""Malformed scenarios and the exact, located messages they produce.

Each case is the valid scenario of conftest.py with one small textual change, so that line
numbers are predictable (see the line layout of `VALID_TEXT`: line 1 is `name:`, line 37
is the disruption's `severity:`). Expected messages are written with `{file}` for the path.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import sim.scenario.loader as loader
from sim.scenario import ScenarioError, load

Edit = Callable[[str], "str | bytes"]


def at(line: int, old: str, new: str) -> Edit:
    """Replace `old` (which must occur once) on line `line` (1-based) with `new`."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        assert lines[line - 1].count(old) == 1, (
            f"{old!r} not once on line {line}: {lines[line - 1]!r}"
        )
        lines[line - 1] = lines[line - 1].replace(old, new)
        return "".join(lines)

    return edit


def append(extra: str) -> Edit:
    return lambda text: text + extra


def chain(*edits: Edit) -> Edit:
    def edit(text: str) -> str:
        for e in edits:
            text = e(text)  # type: ignore[assignment]
        return text

    return edit


def const(content: str | bytes) -> Edit:
    return lambda _text: content


def problems_of(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(path)
    return [str(p).replace(str(path), "{file}") for p in info.value.problems]


GROUP_WAVE = "groups:\n  wave:\n    members: [{m}]\n"  # lines 41-43 when appended

CASES = [
    # -- unknown and misspelt keys ---------------------------------------------------------
    pytest.param(
        at(2, "horizon", "horizn"),
        [
            "{file}:1:1: horizon: missing required key",
            "{file}:2:1: horizn: unknown key 'horizn'; did you mean 'horizon'?",
        ],
        id="top-level-misspelt",
    ),
    pytest.param(
        at(1, "name", "title"),
        ["{file}:1:1: title: unknown key 'title'"],
        id="top-level-unknown-no-close-match",
    ),
    pytest.param(
        at(1, "name: gallium-test", "name: gallium-test\ndisruption: {}"),
        ["{file}:2:1: disruption: unknown key 'disruption'; did you mean 'disruptions'?"],
        id="top-level-singular-disruption",
    ),
    pytest.param(
        at(4, "years", "yaers"),
        [
            "{file}:3:3: horizon.years: missing required key",
            "{file}:4:3: horizon.yaers: unknown key 'yaers'; did you mean 'years'?",
        ],
        id="horizon-misspelt",
    ),
    pytest.param(
        at(17, "world_output", "world_ouput"),
        [
            "{file}:17:5: commodities.gallium.world_ouput: unknown key 'world_ouput'; "
            "did you mean 'world_output'?",
            "{file}:17:5: commodities.gallium.world_output: missing required key",
        ],
        id="commodity-key-misspelt",
    ),
    pytest.param(
        at(21, "producers", "producer"),
        [
            "{file}:21:9: commodities.gallium.stages.mining.producer: unknown key 'producer'; "
            "did you mean 'producers'?",
            "{file}:21:9: commodities.gallium.stages.mining.producers: missing required key",
        ],
        id="stage-key-misspelt",
    ),
    pytest.param(
        at(27, "share", "shares"),
        [
            "{file}:27:18: commodities.gallium.demand.alliance.shares: unknown key 'shares'; "
            "did you mean 'share'?"
        ],
        id="demand-key-misspelt",
    ),
    pytest.param(
        at(37, "severity", "severty"),
        [
            "{file}:37:5: disruptions.ga_ban.severty: unknown key 'severty'; did you mean 'severity'?"
        ],
        id="disruption-key-misspelt",
    ),
    pytest.param(
        at(40, "resumed_share", "resume_share"),
        [
            "{file}:40:34: disruptions.ga_ban.licensing.resume_share: unknown key "
            "'resume_share'; did you mean 'resumed_share'?",
        ],
        id="licensing-key-misspelt",
    ),
    pytest.param(
        at(12, "members", "member"),
        [
            "{file}:12:5: blocs.china.member: unknown key 'member'; did you mean 'members'?",
            "{file}:12:5: blocs.china.members: missing required key",
        ],
        id="bloc-key-misspelt",
    ),
    # -- wrong types -----------------------------------------------------------------------
    pytest.param(
        at(4, "5", "five"),
        ["{file}:4:10: horizon.years: must be a number (got 'five')"],
        id="years-not-a-number",
    ),
    pytest.param(
        at(4, "5", "2.5"),
        ["{file}:4:10: horizon.years: must be a whole number (got 2.5)"],
        id="years-not-whole",
    ),
    pytest.param(
        at(4, "5", "0"),
        ["{file}:4:10: horizon.years: must be greater than 0 (got 0)"],
        id="years-zero",
    ),
    pytest.param(
        at(4, "5", "99999999999999999999999"),
        ["{file}:4:10: horizon.years: must be at most 50 (got 99999999999999999999999)"],
        id="years-huge",
    ),
    pytest.param(
        at(5, "week", "day"),
        ["{file}:5:9: horizon.step: must be one of 'week' or 'month' (got 'day')"],
        id="step-not-allowed",
    ),
    pytest.param(
        at(7, "{AUD: 0.65}", "[AUD, 0.65]"),
        ["{file}:7:5: fx: must be a mapping of keys to values (got ['AUD', 0.65])"],
        id="fx-is-a-list",
    ),
    pytest.param(
        at(12, "[CN]", "CN"),
        ["{file}:12:14: blocs.china.members: must be a list (got 'CN')"],
        id="members-not-a-list",
    ),
    pytest.param(
        at(12, "[CN]", "[]"),
        ["{file}:12:14: blocs.china.members: must have at least 1 entry"],
        id="members-empty",
    ),
    pytest.param(
        at(17, "760 t", "[760, t]"),
        ["{file}:17:19: commodities.gallium.world_output: expected a mass such as '760 t'"],
        id="mass-is-a-list",
    ),
    pytest.param(
        at(17, "760 t", "760 tonnes"),
        [
            "{file}:17:19: commodities.gallium.world_output: unknown mass unit 'tonnes'; "
            "use one of g, kg, t, kt, Mt"
        ],
        id="mass-unknown-unit",
    ),
    pytest.param(
        at(27, "0.4", "forty"),
        ["{file}:27:25: commodities.gallium.demand.alliance.share: must be a number (got 'forty')"],
        id="share-not-a-number",
    ),
    pytest.param(
        at(36, "[alliance]", "alliance"),
        ["{file}:36:9: disruptions.ga_ban.to: must be a list (got 'alliance')"],
        id="to-not-a-list",
    ),
    pytest.param(
        at(37, "0.9", "high"),
        ["{file}:37:15: disruptions.ga_ban.severity: must be a number (got 'high')"],
        id="severity-not-a-number",
    ),
    # -- shares ----------------------------------------------------------------------------
    pytest.param(
        at(22, "0.98", "1.2"),
        [
            "{file}:22:23: commodities.gallium.stages.mining.producers.CN.share: "
            "must be at most 1 (got 1.2)"
        ],
        id="share-above-1",
    ),
    pytest.param(
        at(22, "CN: {share: 0.98}", "CN: {share: 0.98}\n          AU: {share: 0.1}"),
        [
            "{file}:22:11: commodities.gallium.stages.mining.producers: shares sum to 1.08; "
            "they must not exceed 1"
        ],
        id="producer-shares-sum-above-1",
    ),
    pytest.param(
        at(29, "0.15", "0.1"),
        [
            "{file}:27:7: commodities.gallium.demand: demand shares sum to 0.95; they must sum "
            "to 1 (a bloc that is not listed uses none)"
        ],
        id="demand-shares-not-1",
    ),
    pytest.param(
        at(21, "producers:", "utilisation: 0\n        producers:"),
        [
            "{file}:21:22: commodities.gallium.stages.mining.utilisation: must be greater than 0 (got 0)"
        ],
        id="utilisation-zero",
    ),
    # -- countries and blocs ---------------------------------------------------------------
    pytest.param(
        at(12, "CN", "Chna"),
        ["{file}:12:15: blocs.china.members.0: unknown country code 'Chna'; did you mean 'CN'?"],
        id="bloc-country-Chna",
    ),
    pytest.param(
        at(10, "AU", "UK"),
        ["{file}:10:27: blocs.alliance.members.3: unknown country code 'UK'; did you mean 'GB'?"],
        id="bloc-country-UK",
    ),
    pytest.param(
        at(22, "CN", "Chna"),
        [
            "{file}:22:11: commodities.gallium.stages.mining.producers.Chna: unknown country "
            "code 'Chna'; did you mean 'CN'?"
        ],
        id="producer-country-Chna",
    ),
    pytest.param(
        at(33, "CN", "Chna"),
        [
            "{file}:33:14: disruptions.ga_ban.country: unknown country code 'Chna'; did you mean 'CN'?"
        ],
        id="disruption-country-Chna",
    ),
    pytest.param(
        at(12, "[CN]", "[CN, DE]"),
        ["{file}:12:19: blocs.china.members.1: DE is already a member of bloc 'alliance'"],
        id="country-in-two-blocs-via-EU",
    ),
    pytest.param(
        at(12, "[CN]", '[CN, "*"]'),
        [
            "{file}:14:15: blocs.rest.members.0: '*' is already in bloc 'china'; only one bloc "
            "may hold it"
        ],
        id="two-blocs-with-star",
    ),
    pytest.param(
        chain(
            at(14, '["*"]', "[RU]"),
            at(25, "CN: {share: 0.988}", "CN: {share: 0.9}\n          BR: {share: 0.05}"),
        ),
        [
            "{file}:22:11: commodities.gallium.stages.mining.producers: shares sum to 0.98: "
            "the rest ('other producers') needs a bloc holding '*'",
            "{file}:25:11: commodities.gallium.stages.refining.producers: shares sum to 0.95: "
            "the rest ('other producers') needs a bloc holding '*'",
            "{file}:26:11: commodities.gallium.stages.refining.producers.BR: BR is in no bloc; "
            "add it to a bloc's members or add '*' to one bloc",
        ],
        id="producer-in-no-bloc",
    ),
    pytest.param(
        at(27, "alliance", "allies"),
        [
            "{file}:27:7: commodities.gallium.demand.allies: unknown bloc 'allies'; "
            "did you mean 'alliance'?"
        ],
        id="demand-unknown-bloc",
    ),
    pytest.param(
        at(36, "alliance", "alliace"),
        ["{file}:36:10: disruptions.ga_ban.to.0: unknown bloc 'alliace'; did you mean 'alliance'?"],
        id="to-unknown-bloc",
    ),
    pytest.param(
        append(
            "  boom:\n    type: demand_shock\n    commodity: gallium\n    blocs: [alliace]\n"
            "    change: 0.3\n    start: 2027-01\n    duration: 1 year\n"
        ),
        [
            "{file}:44:13: disruptions.boom.blocs.0: unknown bloc 'alliace'; did you mean 'alliance'?"
        ],
        id="demand-shock-unknown-bloc",
    ),
    pytest.param(
        at(36, "alliance", "china"),
        [
            "{file}:36:10: disruptions.ga_ban.to.0: CN is in bloc 'china'; a country cannot "
            "restrict exports to its own bloc"
        ],
        id="export-control-to-own-bloc",
    ),
    # -- references from disruptions -------------------------------------------------------
    pytest.param(
        at(34, "gallium", "galium"),
        [
            "{file}:34:16: disruptions.ga_ban.commodity: unknown commodity 'galium'; did you mean 'gallium'?"
        ],
        id="unknown-commodity",
    ),
    pytest.param(
        at(35, "refining", "refinig"),
        [
            "{file}:35:12: disruptions.ga_ban.stage: gallium has no stage 'refinig'; did you mean 'refining'?"
        ],
        id="unknown-stage",
    ),
    pytest.param(
        at(33, "CN", "RU"),
        [
            "{file}:33:14: disruptions.ga_ban.country: RU does not produce gallium at stage "
            "'refining' (producers: CN)"
        ],
        id="country-not-a-producer",
    ),
    pytest.param(
        at(33, "CN", "NO"),
        [
            "{file}:33:14: disruptions.ga_ban.country: NO does not produce gallium at stage "
            "'refining' (producers: CN)"
        ],
        id="norway-is-not-false",
    ),
    pytest.param(
        at(23, "refining", "smelting"),
        [
            "{file}:20:7: commodities.gallium.stages: missing stage 'refining'; every commodity "
            "needs 'mining' and 'refining'",
            "{file}:35:12: disruptions.ga_ban.stage: gallium has no stage 'refining'; "
            "did you mean 'mining'?",
        ],
        id="commodity-without-refining",
    ),
    # -- months and durations --------------------------------------------------------------
    pytest.param(
        at(38, "2026-08", "2031-01"),
        [
            "{file}:38:12: disruptions.ga_ban.start: 2031-01 is outside the horizon "
            "(2026-01 to 2031-01, exclusive)"
        ],
        id="start-after-horizon",
    ),
    pytest.param(
        at(38, "2026-08", "2025-12"),
        [
            "{file}:38:12: disruptions.ga_ban.start: 2025-12 is outside the horizon "
            "(2026-01 to 2031-01, exclusive)"
        ],
        id="start-before-horizon",
    ),
    pytest.param(
        at(38, "2026-08", "2026-13"),
        [
            "{file}:38:12: disruptions.ga_ban.start: cannot read '2026-13' as a month; "
            "write YYYY-MM, e.g. '2026-03'"
        ],
        id="month-13",
    ),
    pytest.param(
        at(3, "2026-01", "2026-13"),
        [
            "{file}:3:10: horizon.start: cannot read '2026-13' as a month; write YYYY-MM, e.g. '2026-03'"
        ],
        id="horizon-month-13",
    ),
    pytest.param(
        at(38, "2026-08", "2026-08-01"),
        [
            "{file}:38:12: disruptions.ga_ban.start: cannot read '2026-08-01' as a month; "
            "write YYYY-MM, e.g. '2026-03'"
        ],
        id="start-is-a-date",
    ),
    pytest.param(
        at(39, "18 months", "18"),
        [
            "{file}:39:15: disruptions.ga_ban.duration: a duration needs a unit: write "
            "'18 months' or '18 years'"
        ],
        id="duration-without-unit",
    ),
    pytest.param(
        at(39, "18 months", "18 fortnights"),
        [
            "{file}:39:15: disruptions.ga_ban.duration: cannot read '18 fortnights' as a "
            "duration; write e.g. '18 months', '2 years', '6 weeks'"
        ],
        id="duration-unknown-unit",
    ),
    pytest.param(
        at(39, "18 months", "-18 months"),
        [
            "{file}:39:15: disruptions.ga_ban.duration: a duration cannot be negative "
            "(got '-18 months')"
        ],
        id="duration-negative",
    ),
    pytest.param(
        lambda t: t.replace("    start: 2026-08\n", "    announced: 2026-09\n    start: 2026-08\n"),
        [
            "{file}:38:16: disruptions.ga_ban.announced: 'announced' (2026-09) must come "
            "before 'start' (2026-08)"
        ],
        id="announced-after-start",
    ),
    pytest.param(
        lambda t: t.replace("    start: 2026-08\n", "    announced: 2026-06\n"),
        [
            "{file}:38:16: disruptions.ga_ban.announced: 'announced' needs a fixed 'start' "
            "(random onsets come unannounced)"
        ],
        id="announced-without-start",
    ),
    pytest.param(
        at(40, "2 months", "2"),
        [
            "{file}:40:24: disruptions.ga_ban.licensing.delay: a duration needs a unit: "
            "write '2 months' or '2 years'"
        ],
        id="licensing-delay-without-unit",
    ),
    pytest.param(
        at(38, "start: 2026-08", "stochastic: {rate: 0.2, duration: 1 year, earliest: 2040-01}"),
        [
            "{file}:38:57: disruptions.ga_ban.stochastic.earliest: 2040-01 is outside the "
            "horizon (2026-01 to 2031-01, exclusive)"
        ],
        id="stochastic-earliest-outside-horizon",
    ),
    # -- money -----------------------------------------------------------------------------
    pytest.param(
        at(18, "250 USD/kg", "250 USD per kg"),
        [
            "{file}:18:22: commodities.gallium.reference_price: cannot read '250 USD per kg' "
            "as a price; write e.g. '250 USD/kg' or '39500 USD/t'"
        ],
        id="price-malformed",
    ),
    pytest.param(
        at(18, "250 USD/kg", "{value: 250, currency: USD, per: lb}"),
        [
            "{file}:18:22: commodities.gallium.reference_price: unknown mass unit 'lb' in a "
            "price; use one of g, kg, t, kt, Mt"
        ],
        id="price-mapping-unknown-per",
    ),
    pytest.param(
        at(18, "250 USD/kg", "{value: 250, currency: USD, unit: kg}"),
        [
            "{file}:18:22: commodities.gallium.reference_price: unknown key 'unit' in a price; "
            "allowed: currency, per, value"
        ],
        id="price-mapping-unknown-key",
    ),
    pytest.param(
        at(18, "USD", "EUR"),
        [
            "{file}:18:22: commodities.gallium.reference_price: currency EUR has no exchange "
            "rate; add 'fx: {EUR: <USD per EUR>}' (rates given: AUD)"
        ],
        id="currency-without-fx",
    ),
    pytest.param(
        at(6, "USD", "usd"),
        ["{file}:6:11: currency: must be a three-letter ISO currency code such as USD (got 'usd')"],
        id="currency-code-lower-case",
    ),
    pytest.param(
        at(7, "0.65", "-0.65"),
        ["{file}:7:11: fx.AUD: must be greater than 0 (got -0.65)"],
        id="fx-rate-negative",
    ),
    # -- elasticities and recycling --------------------------------------------------------
    pytest.param(
        at(17, "760 t", "760 t\n    elasticity: {short_run: 0.1}"),
        [
            "{file}:18:29: commodities.gallium.elasticity.short_run: a demand elasticity must "
            "be <= 0 (got 0.1)"
        ],
        id="elasticity-positive",
    ),
    pytest.param(
        at(17, "760 t", "760 t\n    elasticity: {short_run: -0.3, long_run: -0.1}"),
        [
            "{file}:18:45: commodities.gallium.elasticity.long_run: the long-run elasticity "
            "(-0.1) must be at least as large in size as the short-run one (-0.3)"
        ],
        id="elasticity-long-run-smaller",
    ),
    pytest.param(
        at(17, "760 t", "760 t\n    recycling: {share: 0.2, max_share: 0.1}"),
        [
            "{file}:18:40: commodities.gallium.recycling.max_share: must be at least 'share' "
            "(0.2); got 0.1"
        ],
        id="recycling-max-share-below-share",
    ),
    # -- severities, probabilities, types --------------------------------------------------
    pytest.param(
        at(37, "0.9", "1.5"),
        ["{file}:37:15: disruptions.ga_ban.severity: must be at most 1 (got 1.5)"],
        id="severity-above-1",
    ),
    pytest.param(
        at(38, "start: 2026-08", "start: 2026-08\n    probability: -0.1"),
        ["{file}:39:18: disruptions.ga_ban.probability: must be at least 0 (got -0.1)"],
        id="probability-negative",
    ),
    pytest.param(
        at(40, "0.5}", "-0.5}"),
        ["{file}:40:49: disruptions.ga_ban.licensing.resumed_share: must be at least 0 (got -0.5)"],
        id="resumed-share-negative",
    ),
    pytest.param(
        append(
            "  boom:\n    type: demand_shock\n    commodity: gallium\n    change: -1.5\n"
            "    start: 2027-01\n    duration: 1 year\n"
        ),
        ["{file}:44:13: disruptions.boom.change: must be greater than -1 (got -1.5)"],
        id="demand-shock-change-below-minus-1",
    ),
    pytest.param(
        at(32, "export_control", "export_ban"),
        [
            "{file}:32:11: disruptions.ga_ban.type: unknown disruption type 'export_ban'; "
            "expected one of 'demand_shock', 'export_control', 'outage', 'quota'"
        ],
        id="unknown-disruption-type",
    ),
    pytest.param(
        append("policies:\n  reserve:\n    type: stock_pile\n"),
        [
            "{file}:43:11: policies.reserve.type: unknown policy type 'stock_pile'; expected "
            "one of 'capacity_programme', 'offtake', 'price_floor', 'recycling_target', "
            "'stockpile', 'tariff'"
        ],
        id="unknown-policy-type",
    ),
    pytest.param(
        append("policies:\n  reserve:\n    owners: [JP]\n"),
        [
            "{file}:43:5: policies.reserve: missing 'type'; expected one of "
            "'capacity_programme', 'offtake', 'price_floor', 'recycling_target', 'stockpile', "
            "'tariff'"
        ],
        id="missing-policy-type",
    ),
    # -- missing required keys -------------------------------------------------------------
    pytest.param(
        chain(
            at(2, "horizon:", "# no horizon"),
            at(3, "start: 2026-01", "# -"),
            at(4, "years: 5", "# -"),
            at(5, "step: week", "# -"),
        ),
        ["{file}:1:1: horizon: missing required key"],
        id="missing-horizon",
    ),
    pytest.param(
        at(32, "type: export_control", "description: no type"),
        [
            "{file}:32:5: disruptions.ga_ban: missing 'type'; expected one of 'demand_shock', "
            "'export_control', 'outage', 'quota'"
        ],
        id="missing-type",
    ),
    pytest.param(
        at(34, "commodity: gallium", "description: no commodity"),
        ["{file}:32:5: disruptions.ga_ban.commodity: missing required key"],
        id="missing-commodity",
    ),
    pytest.param(
        append(
            "  q:\n    type: quota\n    country: CN\n    commodity: gallium\n"
            "    start: 2027-01\n    duration: 1 year\n"
        ),
        ["{file}:42:5: disruptions.q: give either 'cap' (a share) or 'tonnes' (a tonnage a year)"],
        id="quota-missing-cap",
    ),
    pytest.param(
        at(38, "start: 2026-08", "stochastic: {duration: 1 year}"),
        ["{file}:38:17: disruptions.ga_ban.stochastic.rate: missing required key"],
        id="stochastic-missing-rate",
    ),
    # -- distributions ---------------------------------------------------------------------
    pytest.param(
        at(37, "0.9", "{dist: uniform, low: 0.5}"),
        ["{file}:37:15: disruptions.ga_ban.severity: a uniform distribution needs high"],
        id="uniform-missing-high",
    ),
    pytest.param(
        at(37, "0.9", "{dist: beta, a: 2}"),
        ["{file}:37:15: disruptions.ga_ban.severity: a beta distribution needs b"],
        id="beta-missing-b",
    ),
    pytest.param(
        at(37, "0.9", "{dist: fixed, value: 0.5, low: 0.1}"),
        ["{file}:37:15: disruptions.ga_ban.severity: a fixed distribution does not take low"],
        id="fixed-with-extra-parameter",
    ),
    pytest.param(
        at(37, "0.9", "{dist: triangular, low: 0.5, mode: 0.2, high: 0.9}"),
        ["{file}:37:15: disruptions.ga_ban.severity: mode (0.2) must lie between low and high"],
        id="triangular-mode-outside",
    ),
    pytest.param(
        at(37, "0.9", "{dist: lognormal, median: 0.5, sigma: 0.2}"),
        [
            "{file}:37:15: disruptions.ga_ban.severity: a share cannot follow a lognormal "
            "distribution (it is unbounded); use beta, uniform or triangular"
        ],
        id="lognormal-severity",
    ),
    pytest.param(
        at(37, "0.9", "{dist: uniform, low: 0.5, high: 1.5}"),
        ["{file}:37:47: disruptions.ga_ban.severity.high: must lie between 0 and 1 (got 1.5)"],
        id="severity-distribution-above-1",
    ),
    pytest.param(
        at(39, "18 months", "{dist: uniform, low: 6, high: 24}"),
        [
            "{file}:39:15: disruptions.ga_ban.duration: a duration distribution needs a 'unit' "
            "(days, weeks, months, quarters, years)"
        ],
        id="duration-distribution-without-unit",
    ),
    pytest.param(
        at(39, "18 months", "{dist: uniform, low: -6, high: 24, unit: months}"),
        ["{file}:39:15: disruptions.ga_ban.duration: a duration cannot be negative"],
        id="duration-distribution-negative",
    ),
    pytest.param(
        at(37, "0.9", "{dist: normal, median: 0.5, sigma: 0.2}"),
        [
            "{file}:37:22: disruptions.ga_ban.severity.dist: must be one of 'fixed', 'uniform', "
            "'triangular', 'lognormal' or 'beta' (got 'normal')"
        ],
        id="unknown-distribution-family",
    ),
    pytest.param(
        at(39, "18 months", "{dist: fixed, value: 18, unit: fortnights}"),
        [
            "{file}:39:46: disruptions.ga_ban.duration.unit: must be one of 'days', 'weeks', "
            "'months', 'quarters' or 'years' (got 'fortnights')"
        ],
        id="duration-distribution-bad-unit",
    ),
    pytest.param(
        at(39, "18 months", "{value: 18, unit: fortnight}"),
        [
            "{file}:39:15: disruptions.ga_ban.duration: cannot read '18 fortnight' as a "
            "duration; write e.g. '18 months', '2 years', '6 weeks'"
        ],
        id="duration-mapping-bad-unit",
    ),
    # -- groups and timing -----------------------------------------------------------------
    pytest.param(
        append(GROUP_WAVE.format(m="ga_bna") + "    start: 2027-01\n"),
        [
            "{file}:43:15: groups.wave.members.0: unknown disruption 'ga_bna'; did you mean 'ga_ban'?"
        ],
        id="group-member-unknown",
    ),
    pytest.param(
        append(GROUP_WAVE.format(m="ga_ban") + "    start: 2027-01\n"),
        [
            "{file}:32:5: disruptions.ga_ban: a member of a group takes its onset from the "
            "group; remove 'start' and 'stochastic'"
        ],
        id="group-member-with-own-start",
    ),
    pytest.param(
        chain(
            at(38, "start: 2026-08", "description: x"),
            append(
                GROUP_WAVE.format(m="ga_ban")
                + "    start: 2027-01\n    stochastic: {rate: 0.2, duration: 1 year}\n"
            ),
        ),
        ["{file}:43:5: groups.wave: give exactly one of 'start' or 'stochastic'"],
        id="group-start-and-stochastic",
    ),
    pytest.param(
        chain(
            at(38, "start: 2026-08", "description: x"),
            append(
                GROUP_WAVE.format(m="ga_ban") + "    start: 2027-01\n"
                "  wave2:\n    members: [ga_ban]\n    start: 2027-01\n"
            ),
        ),
        ["{file}:46:15: groups.wave2.members.0: 'ga_ban' is already a member of group 'wave'"],
        id="disruption-in-two-groups",
    ),
    pytest.param(
        at(38, "start: 2026-08", "description: no start"),
        [
            "{file}:32:5: disruptions.ga_ban: give a 'start' month or a 'stochastic' onset "
            "(or list it in a group)"
        ],
        id="disruption-without-onset",
    ),
    pytest.param(
        at(38, "start: 2026-08", "start: 2026-08\n    stochastic: {rate: 0.2, duration: 1 year}"),
        ["{file}:32:5: disruptions.ga_ban: give 'start' or 'stochastic', not both"],
        id="disruption-start-and-stochastic",
    ),
    pytest.param(
        at(39, "duration: 18 months", "description: no duration"),
        ["{file}:32:5: disruptions.ga_ban: a disruption with a fixed 'start' needs a 'duration'"],
        id="fixed-start-without-duration",
    ),
    # -- exactly-one-of --------------------------------------------------------------------
    pytest.param(
        at(22, "{share: 0.98}", "{share: 0.98, capacity: 700 t}"),
        [
            "{file}:22:15: commodities.gallium.stages.mining.producers.CN: give exactly one of "
            "'share' or 'capacity'"
        ],
        id="producer-share-and-capacity",
    ),
    pytest.param(
        at(22, "{share: 0.98}", "{unit_cost: 100 USD/kg}"),
        [
            "{file}:22:15: commodities.gallium.stages.mining.producers.CN: give exactly one of "
            "'share' or 'capacity'"
        ],
        id="producer-neither-share-nor-capacity",
    ),
    pytest.param(
        at(27, "{share: 0.4}", "{share: 0.4, quantity: 300 t}"),
        [
            "{file}:27:17: commodities.gallium.demand.alliance: give exactly one of 'share' "
            "or 'quantity'"
        ],
        id="demand-share-and-quantity",
    ),
    # -- names -----------------------------------------------------------------------------
    pytest.param(
        append('overrides:\n  "a b": {name: x}\n'),
        [
            "{file}:42:3: overrides.a b: names use letters, digits, '-', '_' and '.' only (got 'a b')"
        ],
        id="override-name-with-space",
    ),
    # -- several problems at once, sorted by line -----------------------------------------
    pytest.param(
        chain(
            at(37, "0.9", "1.5"),  # last in the file, first in the edit
            at(17, "760 t", "760 tonnes"),
            at(4, "5", "five"),
            at(29, "0.15", "0.1"),  # a semantic problem: not reported while the schema fails
        ),
        [
            "{file}:4:10: horizon.years: must be a number (got 'five')",
            "{file}:17:19: commodities.gallium.world_output: unknown mass unit 'tonnes'; "
            "use one of g, kg, t, kt, Mt",
            "{file}:37:15: disruptions.ga_ban.severity: must be at most 1 (got 1.5)",
        ],
        id="several-schema-problems",
    ),
    pytest.param(
        chain(
            at(36, "alliance", "alliace"),
            at(29, "0.15", "0.1"),
            at(18, "USD", "EUR"),
            at(12, "CN", "Chna"),
        ),
        [
            "{file}:12:15: blocs.china.members.0: unknown country code 'Chna'; did you mean 'CN'?",
            "{file}:18:22: commodities.gallium.reference_price: currency EUR has no exchange "
            "rate; add 'fx: {EUR: <USD per EUR>}' (rates given: AUD)",
            "{file}:27:7: commodities.gallium.demand: demand shares sum to 0.95; they must sum "
            "to 1 (a bloc that is not listed uses none)",
            "{file}:36:10: disruptions.ga_ban.to.0: unknown bloc 'alliace'; did you mean 'alliance'?",
        ],
        id="several-semantic-problems",
    ),
    # -- YAML itself -----------------------------------------------------------------------
    pytest.param(
        at(36, "[alliance]", "[alliance"),
        ["{file}:37:13: invalid YAML: expected ',' or ']', but got ':'"],
        id="yaml-unclosed-flow-list",
    ),
    pytest.param(
        at(33, "country", " country"),
        ["{file}:33:13: invalid YAML: mapping values are not allowed here"],
        id="yaml-bad-indent",
    ),
    pytest.param(
        at(33, "    country", "\tcountry"),
        ["{file}:33:1: invalid YAML: found character '\\t' that cannot start any token"],
        id="yaml-tab",
    ),
    pytest.param(
        at(38, "start: 2026-08", "severity: 0.5"),
        [
            "{file}:38:5: disruptions.ga_ban.severity: duplicate key 'severity'; it is first "
            "defined at line 37"
        ],
        id="duplicate-key",
    ),
    pytest.param(
        at(1, "gallium-test", '!!python/object/apply:os.system ["echo"]'),
        [
            "{file}:1:7: name: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is "
            "not allowed (Python objects are never loaded)"
        ],
        id="python-tag",
    ),
    pytest.param(
        at(1, "gallium-test", "!foo bar"),
        ["{file}:1:7: name: YAML tag '!foo' is not allowed"],
        id="unknown-tag",
    ),
    pytest.param(
        at(1, "gallium-test", "!!binary aGVsbG8="),
        ["{file}:1:7: name: YAML tag 'tag:yaml.org,2002:binary' is not allowed"],
        id="binary-tag",
    ),
    pytest.param(
        at(7, "{AUD: 0.65}", "!!omap [{AUD: 0.65}]"),
        ["{file}:7:5: fx: YAML tag 'tag:yaml.org,2002:omap' is not allowed"],
        id="omap-tag",
    ),
    pytest.param(
        chain(
            at(8, "blocs:", "base: &b {members: [CN]}\nblocs:"),
            at(13, "members: [CN]", "<<: *b"),  # line 12 before the first edit
        ),
        [
            "{file}:13:5: blocs.china: YAML merge keys (<<) are not supported; use 'extends:' "
            "or an alias"
        ],
        id="merge-key",
    ),
    pytest.param(
        at(1, "name: gallium-test", "? [a, b]\n: x"),
        ["{file}:1:3: mapping keys must be plain text"],
        id="complex-key",
    ),
    pytest.param(const(""), ["{file}:1:1: the file is empty"], id="empty-file"),
    pytest.param(const("# only a comment\n"), ["{file}:1:1: the file is empty"], id="comment-only"),
    pytest.param(
        const("- horizon\n- blocs\n"),
        ["{file}:1:1: a scenario must be a mapping of keys to values"],
        id="top-level-list",
    ),
    pytest.param(
        const("just some text\n"),
        ["{file}:1:1: a scenario must be a mapping of keys to values"],
        id="top-level-scalar",
    ),
    pytest.param(
        const(b"name: caf\xe9\n"),
        ["{file}:1:1: not UTF-8 text (invalid continuation byte at byte 9)"],
        id="latin-1-bytes",
    ),
    pytest.param(
        lambda text: text.encode("utf-16"),
        ["{file}:1:1: not UTF-8 text (invalid start byte at byte 0)"],
        id="utf-16-file",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_malformed_scenario(valid_text, write, edit, expected) -> None:
    path = write(edit(valid_text))
    assert problems_of(path) == expected


def test_several_problems_are_sorted_by_line(valid_text, write) -> None:
    text = chain(at(36, "alliance", "alliace"), at(12, "CN", "Chna"), at(29, "0.15", "0.1"))(
        valid_text
    )
    with pytest.raises(ScenarioError) as info:
        load(write(text))
    lines = [p.location.line for p in info.value.problems]
    assert lines == sorted(lines) and len(lines) == 3
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)


def test_valid_text_with_a_utf8_bom_loads(valid_text, write) -> None:
    assert load(write(b"\xef\xbb\xbf" + valid_text.encode())).scenario.name == "gallium-test"


def test_file_over_the_size_bound(valid_text, write, monkeypatch) -> None:
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 100)
    path = write(valid_text)
    size = len(valid_text.encode())
    assert problems_of(path) == [
        f"{{file}}:1:1: the file is {size:,} bytes; scenario files are limited to 100 bytes"
    ]


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_refused(write, monkeypatch) -> None:
    # The bound is lowered so the test is fast; test_alias_bomb_refused_at_real_bound is slow.
    monkeypatch.setattr(loader, "MAX_NODES", 10_000)
    path = write(_alias_bomb())
    assert problems_of(path) == [
        "{file}:1:73: a3.7.8.8.9: the document expands to more than 10,000 values through "
        "aliases; refusing it (is it an alias bomb?)"
    ]


@pytest.mark.slow
def test_alias_bomb_refused_at_real_bound(write) -> None:
    problems = problems_of(write(_alias_bomb()))
    assert len(problems) == 1
    assert problems[0].endswith(
        "the document expands to more than 100,000 values through aliases; refusing it "
        "(is it an alias bomb?)"
    )


def test_aliases_that_do_not_explode_are_fine(valid_text, write) -> None:
    text = at(10, "[US, EU, JP, AU]", "&allies [US, EU, JP, AU]")(valid_text)
    text += "  other:\n    type: outage\n    countries: [CN]\n    commodity: gallium\n"
    text += "    start: 2027-01\n    duration: 3 months\n"
    assert load(write(text)).scenario.disruptions["other"].countries == ["CN"]


# -- Problems whose exact wording is for the lead to choose: they must be ScenarioErrors,
#    located on the right line and key, in plain words rather than a Python error. ---------

PYTHONISMS = ("float()", "int()", "could not convert", "invalid literal", "NoneType", "Traceback")

LOCATED = [
    pytest.param(
        at(18, "250 USD/kg", "{value: null, currency: USD}"),
        18,
        "commodities.gallium.reference_price",
        id="price-value-null-crashes",
    ),
    pytest.param(
        at(18, "250 USD/kg", "{value: [1], currency: USD}"),
        18,
        "commodities.gallium.reference_price",
        id="price-value-list-crashes",
    ),
    pytest.param(
        at(18, "250 USD/kg", "{value: abc, currency: USD}"),
        18,
        "commodities.gallium.reference_price",
        id="price-value-text-python-message",
    ),
    pytest.param(
        at(4, "5", "!!int five"),
        4,
        "horizon.years",
        id="explicit-int-tag-crashes",
    ),
    pytest.param(
        at(37, "0.9", "!!float high"),
        37,
        "disruptions.ga_ban.severity",
        id="explicit-float-tag-crashes",
    ),
    pytest.param(
        at(4, "5", "!!bool maybe"),
        4,
        "horizon.years",
        id="explicit-bool-tag-crashes",
    ),
    pytest.param(
        at(1, "gallium-test", "&x [*x]"),
        1,
        "name.0",
        id="recursive-alias-crashes",
    ),
    pytest.param(
        at(17, "760 t", "-760 t"),
        17,
        "commodities.gallium.world_output",
        id="negative-mass-accepted",
    ),
    pytest.param(
        at(17, "760 t", ".inf"),
        17,
        "commodities.gallium.world_output",
        id="infinite-mass-accepted",
    ),
    pytest.param(
        at(18, "250 USD/kg", "-250 USD/kg"),
        18,
        "commodities.gallium.reference_price",
        id="negative-price-accepted",
    ),
    pytest.param(
        at(4, "5", "true"),
        4,
        "horizon.years",
        id="years-true-accepted",
    ),
    pytest.param(
        at(37, "0.9", "true"),
        37,
        "disruptions.ga_ban.severity",
        id="severity-true-accepted",
    ),
    pytest.param(
        append("---\nname: second\n"),
        41,
        "",
        id="second-document-message",
    ),
    pytest.param(
        at(1, "gallium-test", "gallium\x00test"),
        1,
        "",
        id="nul-character-message",
    ),
]


@pytest.mark.parametrize(("edit", "line", "key"), LOCATED)
def test_rejected_in_plain_words(valid_text, write, edit, line, key) -> None:
    path = write(edit(valid_text))
    with pytest.raises(ScenarioError) as info:
        load(path)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    (p,) = problems
    assert (p.location.file, p.location.line, p.key) == (str(path), line, key)
    assert "\n" not in p.message
    assert "but found" not in p.message and "<unicode string>" not in p.message
    assert not any(word in p.message for word in PYTHONISMS), p.message


# -- Problems about a KEY must point at the key, not at its value -----------------------

KEY_LOCATIONS = [
    pytest.param(at(2, "horizon", "horizn"), "horizn", "2:1", id="unknown-key-control"),
    pytest.param(
        at(22, "CN", "Chna"),
        "commodities.gallium.stages.mining.producers.Chna",
        "22:11",
        id="unknown-producer-control",
    ),
    pytest.param(
        at(20, "mining", "Mining"),
        "commodities.gallium.stages.Mining",
        "20:7",
        id="bad-stage-name",
    ),
    pytest.param(
        at(9, "alliance:", '"al liance":'),
        "blocs.al liance",
        "9:3",
        id="bad-bloc-name",
    ),
    pytest.param(
        at(7, "AUD", "aud"),
        "fx.aud",
        "7:6",
        id="bad-fx-currency-key",
    ),
    pytest.param(
        at(17, "760 t", ""),
        "commodities.gallium.world_output",
        "17:",
        id="empty-value",
    ),
]


@pytest.mark.parametrize(("edit", "key", "where"), KEY_LOCATIONS)
def test_key_problems_point_at_the_key(valid_text, write, edit, key, where) -> None:
    path = write(edit(valid_text))
    with pytest.raises(ScenarioError) as info:
        load(path)
    found = [str(p) for p in info.value.problems if p.key == key]
    assert found, [str(p) for p in info.value.problems]
    assert found[0].startswith(f"{path}:{where}"), found[0]
