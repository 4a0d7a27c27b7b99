"""The scenario language: pydantic models whose docstrings are the reference documentation.

docs/scenarios.md is generated from these models (`python -m sim.scenario.docs`) and a test
fails when it is stale. Checks that need more than one field (shares summing to at most 1,
references to blocs and countries) live in `checks.py`, run after these models validate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .base import Distribution, Model, Name, Share, StageName
from .countries import expand_members
from .design import Design
from .disruptions import DisruptionSpec, Stochastic
from .policies import PolicySpec
from .units import Duration, Month, PositiveMass, PositivePrice, PriceField, YearMonth

__all__ = ["Distribution", "Model", "Name", "Share", "StageName"]


class Horizon(Model):
    """What period is simulated, and at what time step."""

    start: Month
    """First month simulated (YYYY-MM)."""
    years: int = Field(gt=0, le=50)
    """Length of the run in years."""
    step: Literal["week", "month"] = "week"
    """Time step of the market clock: `week` (52 a year) or `month` (12 a year)."""

    @property
    def end(self) -> YearMonth:
        """The first month after the run."""
        return YearMonth(self.start.year + self.years, self.start.month)


class Bloc(Model):
    """A group of countries that share a market price (an alliance, China, the rest)."""

    members: list[str] = Field(min_length=1)
    """ISO 3166-1 alpha-2 codes; `EU` stands for the 27 member states; `"*"` means every
    country not named in another bloc."""
    description: str = ""
    """Free text shown in reports."""


class Producer(Model):
    """One country's production at a stage: a share of world output or a capacity."""

    share: Share | None = None
    """Share of the stage's world output (0-1)."""
    capacity: PositiveMass | None = None
    """Output at the reference price in tonnes a year, instead of a share; with the shares
    of the other producers, at most the stage's world output."""
    unit_cost: PositivePrice | None = None
    """Cash cost of production; below it the producer curtails output. Defaults to the
    stage's `unit_cost`."""

    @model_validator(mode="after")
    def _one_size(self) -> Producer:
        if (self.share is None) == (self.capacity is None):
            raise ValueError("give exactly one of 'share' or 'capacity'")
        return self


class Stage(Model):
    """A step of the supply chain (mining, refining, ...) and who produces at it."""

    producers: dict[str, Producer] = Field(min_length=1)
    """Producing countries by ISO code. Shares may sum to less than 1: the rest is
    'other producers', placed in the bloc that holds `"*"`."""
    world_output: PositiveMass | None = None
    """World output of this stage in tonnes a year (contained metal); defaults to the
    commodity's `world_output`."""
    utilisation: float = Field(0.85, gt=0, le=1)
    """Share of capacity in use at the reference price; the rest is spare capacity that a
    higher price brings into use."""
    supply_elasticity: float = Field(0.3, ge=0)
    """Short-run elasticity of utilisation to the producer's home price."""
    unit_cost: PositivePrice | None = None
    """Default cash cost of the stage's producers (see `Producer.unit_cost`); when absent,
    60% of the reference price."""


class DemandEntry(Model):
    """A bloc's use of the commodity at the start of the run."""

    share: Share | None = None
    """Share of world use (0-1)."""
    quantity: PositiveMass | None = None
    """Use in tonnes a year, instead of a share (a bloc that uses none is left out)."""
    growth: float = Field(0.0, gt=-1, le=1)
    """Underlying growth of use a year (0.05 = 5%)."""
    stock_days: float | None = Field(None, gt=0)
    """Commercial stocks held in the bloc, in days of use; defaults to the commodity's."""
    countries: dict[str, Share] = Field(default_factory=dict)
    """Shares of the bloc's use in some of its member countries (ISO codes), for export
    controls that target those countries and not the whole bloc (`to: [US]`)."""

    @model_validator(mode="after")
    def _one_size(self) -> DemandEntry:
        if (self.share is None) == (self.quantity is None):
            raise ValueError("give exactly one of 'share' or 'quantity'")
        return self


class Elasticity(Model):
    """How use responds to price: at once (short run) and in the end (long run)."""

    short_run: float = -0.05
    """Elasticity of use to price within a time step; must be <= 0."""
    long_run: float = -0.3
    """Elasticity once users have adjusted; must be <= 0."""
    adjustment: Duration = 3.0
    """Time constant of the move from short- to long-run response."""
    backstop: float = Field(12.0, gt=1)
    """Median price multiple at which users give the mineral up (a substitute's cost, or the
    value of the output it makes): above it use falls away, so the price stays finite."""
    backstop_spread: float = Field(1.0, gt=0, le=5)
    """Log spread of those prices across users (lognormal): smaller is a sharper backstop."""


class Substitution(Model):
    """Users switching to other materials while the price is high (Sprecher et al. 2017)."""

    max_share: Share = 0.1
    """Largest share of use that can be substituted away."""
    rate: float = Field(0.1, ge=0)
    """Fastest growth of the substituted share, in shares of use a year."""
    threshold: float = Field(1.5, ge=1)
    """Price multiple above which substitution starts."""
    reversal: Duration = 5.0
    """Time constant of users switching back once the price has fallen."""


class Recycling(Model):
    """Secondary supply from scrap, rising with price after a lag."""

    share: Share = 0.0
    """Share of use met from recycled material at the reference price."""
    max_share: Share = 0.0
    """Share reachable when prices stay high."""
    lag: Duration = 3.0
    """Time constant of recycling capacity following price."""
    full_response_multiple: float = Field(3.0, gt=1)
    """Price multiple at which recycling reaches `max_share`."""


class PriceFormation(Model):
    """Numerical bounds on the price; the market sets it (`storage`, `elasticity.backstop`)."""

    floor_multiple: float = Field(0.3, gt=0, le=1)
    """Lowest price as a multiple of the reference price (a guard; flagged when it binds)."""
    choke_multiple: float = Field(100.0, ge=2)
    """Highest price as a multiple of the reference price (a guard; flagged when it binds)."""
    smoothing: Duration = 0.25
    """Time constant of the expected price that investors and users watch."""


class Storage(Model):
    """Competitive storage by users and traders (docs/model.md section 5)."""

    carry_cost: float = Field(0.10, gt=0, le=1)
    """Cost of carrying a tonne a year as a share of its value: interest, storage, insurance."""
    stock_elasticity: float = Field(1.0, gt=0, le=5)
    """Elasticity of the stocks held to the convenience yield (Working's curve)."""
    capacity: float = Field(4.0, gt=1, le=20)
    """Most stock held, as a multiple of the calm stock (`stock_days`)."""
    expected_duration: Duration = Field(1.0, gt=0)
    """How long stockholders expect a disturbed inflow to last."""
    feared_inflow: float = Field(0.5, ge=0, le=1)
    """Inflow (share of use) that a calm market fears from a disruption it sees coming."""
    learning: Duration = 0.25
    """Time constant of stockholders' reading of the inflow they are getting."""


class Trade(Model):
    """How buyers abroad move between origins when a control or an outage shifts the flows."""

    rerouting: Duration = 0.0
    """Time constant of buyers' switching between foreign origins (contracts, qualifying a
    new supplier): each tick the shares of every origin's exports move 1 - exp(-dt/rerouting)
    of the way to where metal is scarcest, while home buyers take theirs at once
    (docs/model.md section 4); 0 switches at once."""


class Investment(Model):
    """New capacity built where prices stay above the incentive price, after a lead time."""

    lead_time: Duration = 5.0
    """Years from the decision to output (studies: 4-7 years for lithium, ~16 for new mines)."""
    response: float = Field(0.1, ge=0)
    """Capacity committed a year, as a share of the bloc's use, per 100% margin over the
    incentive price (the margin counts up to 100%)."""
    max_share: float = Field(0.5, ge=0)
    """Most new capacity (built or under construction) a bloc adds over the run, as a share
    of its use."""
    incentive_price: PositivePrice | None = None
    """Price that justifies new capacity; defaults to the reference price."""
    review: Duration = 0.25
    """Interval between investment decisions."""


class Criticality(Model):
    """Inputs of the EU JRC supply-risk index that the market model does not hold
    (docs/model.md, section 11.1). The index is computed only when both `eol_rir` and
    `substitution_index` are given and `governance` scores every producing country."""

    eol_rir: Share | None = None
    """End-of-life recycling input rate: share of use met by recycled old scrap (JRC EoL-RIR)."""
    substitution_index: float | None = Field(None, ge=0, le=1)
    """JRC substitution index for supply risk, SI_SR (0-1; 1 = no substitute)."""
    published_sr: float | None = Field(None, ge=0)
    """A published supply-risk value to show beside the computed one (e.g. the EU 2023
    assessment); not used in any calculation."""


class PosteriorPoint(Model):
    """One grid point of a calibrated posterior and its weight."""

    weight: float = Field(gt=0, le=1)
    """Posterior probability of the point (the points' weights sum to 1)."""
    values: list[float | str] = Field(min_length=1)
    """The value of each key of `Posterior.keys`, in that order: numbers, or durations
    written with their unit ('3 months')."""


class Posterior(Model):
    """The calibrated posterior of a class's market parameters, as stratified draws of the
    calibration grid's points (`minsim calibrate`); replications draw from it when the
    scenario asks for `parameter_uncertainty` (docs/model.md section 13.1)."""

    keys: list[str] = Field(min_length=1)
    """Dotted keys inside the commodity (e.g. `elasticity.backstop`)."""
    points: list[PosteriorPoint] = Field(min_length=1)
    """The points, the fit first."""

    @model_validator(mode="after")
    def _consistent(self) -> Posterior:
        for i, p in enumerate(self.points):
            if len(p.values) != len(self.keys):
                raise ValueError(
                    f"points[{i}] has {len(p.values)} values for {len(self.keys)} keys "
                    f"({', '.join(self.keys)})"
                )
        total = sum(p.weight for p in self.points)
        if abs(total - 1.0) > 1e-3:
            raise ValueError(f"the points' weights sum to {total:.6g}; they must sum to 1")
        return self


class CalibrationRecord(Model):
    """Where this commodity's market parameters came from, written by `minsim calibrate`
    (docs/validation.md): the values themselves are in their keys; this keeps the fit that
    gave them and their uncertainty."""

    fit: str
    """The market class whose episodes were fitted, or '(pooled)' for a class with none."""
    episodes: list[str] = Field(default_factory=list)
    """The back-test episodes the fit saw."""
    ranges: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict
    )
    """5-95% range of each fitted key's posterior (durations in years)."""
    posterior: Posterior | None = None
    """The posterior itself, for replications that draw their market parameters from it."""


class Commodity(Model):
    """A mineral: its supply chain, its users and how its market behaves."""

    description: str = ""
    """Free text shown in reports."""
    world_output: PositiveMass
    """World primary output in tonnes a year (contained metal or oxide)."""
    reference_price: PositivePrice
    """Price at the start of the run, in any currency per kg or t; every price multiple is
    taken over it."""
    stages: dict[StageName, Stage]
    """Stages of the chain in order, at least `mining` and `refining`; mined output feeds
    refining."""
    demand: dict[str, DemandEntry] = Field(min_length=1)
    """Use by bloc at the start of the run."""
    stock_days: float = Field(60.0, gt=0)
    """Commercial stocks held by users and traders, in days of use."""
    elasticity: Elasticity = Elasticity()
    """Response of use to price."""
    substitution: Substitution = Substitution()
    """Switching away while prices are high."""
    recycling: Recycling = Recycling()
    """Secondary supply."""
    price: PriceFormation = PriceFormation()
    """Bounds of the price."""
    storage: Storage = Storage()
    """Stockholding by users and traders, which sets the price with use."""
    trade: Trade = Trade()
    """Re-routing between origins."""
    investment: Investment = Investment()
    """New capacity."""
    capacity_growth: float = Field(0.0, gt=-1, le=1)
    """Growth of existing capacity a year (committed projects), e.g. to match use growth."""
    criticality: Criticality = Criticality()
    """Inputs of the EU JRC supply-risk diagnostic."""
    value_lost: PriceField | None = None
    """Value of the output lost per unit of use that goes unmet (downstream value added, or
    the cost of the substitute users turn to), for `shortfall_value`; default: the backstop
    times the reference price, the median price at which the model's users give the mineral
    up (docs/model.md section 11)."""
    market_class: Name | None = None
    """Commodities of one class share one set of calibrated market parameters
    (`minsim calibrate`); default: a class of its own, named after the commodity."""
    calibration: CalibrationRecord | None = None
    """Written by `minsim calibrate`: the fit behind the market parameters."""

    def class_name(self, name: str) -> str:
        """The market class of this commodity, which is called `name`."""
        return self.market_class or name


Disruption = DisruptionSpec
"""Any disruption (one module each under sim/scenario/disruptions/)."""


class Group(Model):
    """Disruptions that start together, such as a wave of export controls on several minerals."""

    members: list[str] = Field(min_length=1)
    """Names of disruptions in `disruptions:`; they take their onset from the group."""
    start: Month | None = None
    """Fixed onset month."""
    probability: Share = 1.0
    """Chance that a fixed-onset group fires at all in a replication."""
    stochastic: Stochastic | None = None
    """Random onsets instead of a fixed `start`."""
    duration: Duration | Distribution | None = None
    """Default duration of members that do not give their own."""
    takes_part: dict[str, Share] = Field(default_factory=dict)
    """Chance that a member is hit by each occurrence of the group (default 1): a wave of
    controls rarely names every mineral. Drawn per occurrence and member, so members stay
    correlated through the shared onsets while each keeps its own rate (rate x chance)."""
    description: str = ""
    """Free text shown in reports."""

    @model_validator(mode="after")
    def _one_timing(self) -> Group:
        if (self.start is None) == (self.stochastic is None):
            raise ValueError("give exactly one of 'start' or 'stochastic'")
        return self


class ObservedPoint(Model):
    """One observed price, as a multiple of the price before the shock."""

    month: Month
    """When it was observed (YYYY-MM)."""
    multiple: float = Field(gt=0)
    """Price divided by the pre-shock price."""
    source: str
    """Where it comes from (source ids, e.g. `S43-S48`)."""


class ObservedFallBack(Model):
    """How far the price had come down some months after its peak."""

    months: float = Field(gt=0)
    """Months after the peak at which the price is read."""
    remaining: float = Field(gt=0)
    """Price then, as a share of the peak price (0.26 = 74% below the peak)."""
    source: str
    """Where it comes from."""


class ObservedSplit(Model):
    """Which way the prices of two blocs moved apart during the episode."""

    versus: str
    """The other bloc (e.g. the country that restricted its exports)."""
    sign: Literal[-1, 0, 1]
    """At the target's peak, 1: the target's bloc pays more than the other bloc (each price
    as a multiple of its pre-shock price); -1: less; 0: the same (ratio within 10% of 1)."""
    ratio: float | None = Field(None, gt=0)
    """Observed ratio of the two prices (each as a multiple of its pre-shock price), if known."""
    source: str
    """Where it comes from."""


class BacktestTarget(Model):
    """What was observed in one commodity's price during a historical episode."""

    commodity: str
    """Commodity observed."""
    bloc: str
    """Bloc whose price was observed (e.g. Rotterdam quotes: the alliance)."""
    onset: Month
    """Month the recorded shock began; time to peak is counted from here."""
    peak_multiple: float = Field(gt=0)
    """Highest price divided by the pre-shock price."""
    months_to_peak: float | None = Field(gt=0)
    """Months from `onset` to the peak; null where no rise was recorded (the price fell
    from the onset on): then only the peak is judged."""
    fall_back: ObservedFallBack | None = None
    """The fall from the peak (reported, not a pass criterion)."""
    split: ObservedSplit | None = None
    """The split between blocs; its sign is a pass criterion."""
    points: list[ObservedPoint] = Field(default_factory=list)
    """Observed prices drawn over the simulated fan."""
    sources: str
    """The observations' sources and how the numbers above were derived from them."""


class Backtest(Model):
    """The observations a historical episode is checked against (`minsim backtest`)."""

    description: str = ""
    """Free text: the episode and what was recorded."""
    targets: dict[Name, BacktestTarget] = Field(min_length=1)
    """Observed series by name (e.g. `dy-oxide`)."""


class Governance(Model):
    """One country's scores for the supply-risk diagnostics (docs/model.md, section 11.1)."""

    wgi: float | None = Field(None, ge=0, le=10)
    """World Bank Worldwide Governance Indicators on the JRC 0-10 scale (10 = worst):
    2·(2.5 − mean of the six WGI scores). Needed for the EU JRC supply risk."""
    trade_factor: dict[str, Annotated[float, Field(gt=0, le=2)]] = Field(default_factory=dict)
    """JRC trade factor t by commodity (1 where not listed): 1.1-1.5 for a country that
    restricts exports of the material, 0.8 for an EU trade-agreement partner."""
    asi: Share | None = None
    """USGS ability to supply (0-1), for the disruption potential; give it with `wsi`."""
    wsi: Share | None = None
    """USGS willingness to supply (0-1), for the disruption potential; give it with `asi`."""

    @model_validator(mode="after")
    def _both(self) -> Governance:
        if (self.asi is None) != (self.wsi is None):
            raise ValueError("give both 'asi' and 'wsi', or neither")
        return self


class ParameterUncertainty(Model):
    """Replications that draw their market parameters from the calibrated posteriors (the
    `calibration.posterior` of each commodity; docs/model.md section 13.1)."""

    draws: int = Field(ge=2, le=1000)
    """Parameter sets drawn; replication i uses set i mod `draws`, the same in every option
    (common random numbers). Draw at least 20: fewer resolve the posterior coarsely."""


class Scenario(Model):
    """A critical-minerals market, the disruptions that may hit it and the options to compare."""

    name: str = ""
    """Short name shown in reports."""
    description: str = ""
    """What the scenario asks."""
    sources: dict[str, str] = Field(default_factory=dict)
    """Citations by id (e.g. `S1: USGS Mineral Commodity Summaries 2025`), named in comments
    beside the numbers that use them."""
    horizon: Horizon
    """Period and time step."""
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    """Reporting currency: every price and cost is converted into it."""
    fx: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict
    )
    """Exchange rates: units of the reporting currency per unit of each other currency."""
    blocs: dict[Name, Bloc] = Field(min_length=1)
    """Trading blocs, each with its own price."""
    commodities: dict[Name, Commodity] = Field(min_length=1)
    """Minerals simulated."""
    disruptions: dict[Name, Disruption] = Field(default_factory=dict)
    """Disruptions that may happen, by name."""
    groups: dict[Name, Group] = Field(default_factory=dict)
    """Disruptions that fire together, by name."""
    policies: dict[Name, PolicySpec] = Field(default_factory=dict)
    """Policy instruments that options can switch on, by name."""
    governance: dict[str, Governance] = Field(default_factory=dict)
    """Scores by country (ISO code) for the supply-risk diagnostics: JRC-scaled WGI and
    trade factors (EU supply risk), USGS ability and willingness to supply (disruption
    potential). Without them those diagnostics are not reported."""
    options: dict[Name, list[str]] = Field(default_factory=dict)
    """Policy options to compare: each names the policies it switches on (`do-nothing: []`)."""
    sweep: dict[str, list[Any] | str] = Field(default_factory=dict)
    """Parameters `minsim sweep` varies: dotted key -> a list of values, or 'range(a, b, step)'
    or 'linspace(a, b, n)'."""
    design: Design | None = None
    """Levers, objectives and constraints for `minsim optimise` (sim/scenario/design.py)."""
    discount_rate: float = Field(0.03, ge=0, le=1)
    """Rate a year at which future fiscal costs are discounted."""
    overrides: dict[Name, dict[str, Any]] = Field(default_factory=dict)
    """Named sets of dotted-key edits, switched on by `active_overrides` or `--override`."""
    active_overrides: list[str] = Field(default_factory=list)
    """Overrides applied whenever this file is loaded."""
    backtest: Backtest | None = None
    """Observed points of a historical episode (scenarios/history/), for `minsim backtest`."""
    parameter_uncertainty: ParameterUncertainty | None = None
    """Draw the calibrated market parameters from their posterior, so that the spread of the
    results shows model uncertainty as well as the disruptions' dice."""

    def bloc_of_countries(self) -> tuple[dict[str, str], str | None]:
        """Country code -> the bloc that holds it, and the bloc that holds '*' (if any)."""
        owner: dict[str, str] = {}
        rest = None
        for name, bloc in self.blocs.items():
            for member in bloc.members:
                if member == "*":
                    rest = name
                else:
                    for c in expand_members([member]):
                        owner.setdefault(c, name)
        return owner, rest

    def one_country_blocs(self) -> dict[str, str]:
        """Bloc name -> its country, for blocs of exactly one country (and no '*')."""
        out = {}
        for name, bloc in self.blocs.items():
            codes = expand_members(list(bloc.members))
            if "*" not in bloc.members and len(codes) == 1:
                out[name] = next(iter(codes))
        return out


def json_schema() -> dict:
    """The JSON Schema of scenario files, for editors (yaml-language-server) and docs.

    A file with `extends:` is partial (it holds only what it changes), so the schema has two
    halves: the root and `$defs/Partial*` without any `required` (every file must fit them),
    and, through `if`/`else` on `extends`, the full models that a file without `extends`
    must fit as well. Durations' defaults are written with their unit, as a file would."""
    schema = Scenario.model_json_schema()
    _durations_with_units(schema)
    defs = schema.pop("$defs")
    full = {"required": schema.pop("required"), "properties": schema["properties"]}
    partial = _partial({"properties": schema["properties"], "$defs": defs})
    schema["properties"] = partial["properties"]
    schema["properties"]["extends"] = {
        "description": "Files this one builds on, merged in order underneath it; a file "
        "with `extends` may leave out anything they give.",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    }
    schema["$defs"] = {**defs, **partial["$defs"]}
    schema["if"] = {"required": ["extends"]}
    schema["else"] = full
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "minsim scenario",
        **schema,
    }


PARTIAL = "Partial"
"""Prefix of the `$defs` of partial files (`json_schema`)."""


def _partial(node: Any) -> Any:
    """A copy of a schema fragment that a partial file fits: no `required`, references to
    the partial definitions, and `oneOf` as `anyOf` (a disruption given without its `type`
    fits every kind once nothing is required); a `discriminator` (which validators ignore)
    points at the partial kinds."""
    if isinstance(node, list):
        return [_partial(x) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = _partial_ref(value)
        elif key == "discriminator":  # kept for 'did you mean' (validate.py), not validation
            mapping = {k: _partial_ref(v) for k, v in value.get("mapping", {}).items()}
            out[key] = {**value, "mapping": mapping}
        elif key == "$defs":
            out[key] = {PARTIAL + name: _partial(d) for name, d in value.items()}
        elif key == "oneOf":
            out["anyOf"] = _partial(value)
        elif key in ("default", "examples"):
            out[key] = value
        else:
            out[key] = _partial(value)
    return out


def _partial_ref(ref: str) -> str:
    return "#/$defs/" + PARTIAL + ref.removeprefix("#/$defs/")


def _durations_with_units(node: Any) -> None:
    """Write each duration's default as `minsim` reads it (`3 years`, not 3.0, which it
    refuses for want of a unit), in place."""
    from .units import _duration_schema, duration_text

    if isinstance(node, list):
        for x in node:
            _durations_with_units(x)
        return
    if not isinstance(node, dict):
        return
    default = node.get("default")
    if (
        node.get("anyOf") == _duration_schema["anyOf"]
        and isinstance(default, int | float)
        and not isinstance(default, bool)
    ):
        node["default"] = duration_text(float(default))
    for value in node.values():
        _durations_with_units(value)
