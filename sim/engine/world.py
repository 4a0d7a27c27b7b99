"""The scenario compiled to arrays: what the engine needs, in tonnes, years and one currency.

Axes used throughout the engine (a leading replication axis `r` is added by `market.py`):
k commodity, s stage (padded to the longest chain; missing upstream stages pass through),
p producer slot at a stage (countries, then 'other producers', then one slot per bloc for
new capacity built during the run), b bloc.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..scenario.base import OTHER, Distribution
from ..scenario.schema import Scenario
from ..scenario.units import DURATION_UNITS, YearMonth, parse_year_month
from . import storage
from .diagnostics import DiagnosticInputs, compile_inputs
from .disruptions.base import mean
from .disruptions.registry import TYPES, stopped

TICKS_PER_YEAR = {"week": 52, "month": 12}
DEFAULT_COST_SHARE = 0.6
"""Unit cost as a share of the reference price where the scenario gives none (flagged in docs)."""


@dataclass(frozen=True)
class World:
    """Everything deterministic about a scenario, as numpy arrays."""

    commodities: tuple[str, ...]
    blocs: tuple[str, ...]
    stages: tuple[tuple[str, ...], ...]  # per commodity, in order (unpadded)
    producer_names: tuple[tuple[tuple[str, ...], ...], ...]  # [k][s] -> names (unpadded)
    n_stages: int
    n_producers: int
    ticks_per_year: int
    n_ticks: int
    start: str
    currency: str
    # [k, s, p]
    capacity: np.ndarray  # t/yr at the start
    utilisation: np.ndarray  # share of capacity used at the reference price
    supply_elasticity: np.ndarray
    unit_cost: np.ndarray  # currency/t
    producer_bloc: np.ndarray  # int bloc index; padding slots have zero capacity
    new_slot: np.ndarray  # [k, s, b] -> producer slot of new capacity in bloc b
    # [k]
    reference_price: np.ndarray  # currency/t
    capacity_growth: np.ndarray
    floor_multiple: np.ndarray
    choke_multiple: np.ndarray
    smoothing: np.ndarray  # years
    elasticity_short: np.ndarray
    elasticity_long: np.ndarray
    adjustment: np.ndarray  # years
    sub_max: np.ndarray
    sub_rate: np.ndarray
    sub_threshold: np.ndarray
    sub_reversal: np.ndarray
    rec_share: np.ndarray
    rec_max: np.ndarray
    rec_lag: np.ndarray
    rec_full: np.ndarray
    lead_time: np.ndarray  # years
    investment_response: np.ndarray
    investment_max_share: np.ndarray
    incentive_price: np.ndarray
    review: np.ndarray  # years
    # [k, b]
    demand: np.ndarray  # t/yr of use at the start
    demand_growth: np.ndarray
    stock_days: np.ndarray  # calm stocks (competitive storage, section 5), days of use
    # [k, b, regime, inflow, availability] storage.py's tables; regime 0 is the market as it
    # is, 1 the market that knows an announced disruption is coming (section 5.4)
    storage_price: np.ndarray
    storage_use: np.ndarray
    announced_days: np.ndarray  # [k, b] stocks held in regime 1 at the reference price, days
    announced_inflow: np.ndarray  # [k, b] inflow the announced disruption will leave, share
    stock_building: np.ndarray  # [k, b] inflow a year that growing stocks take, share of use
    learning: np.ndarray  # [k] time constant of the inflow stockholders read, years
    rerouting: np.ndarray  # [k] time constant of buyers' switching between origins, years
    value_lost: np.ndarray  # [k] currency/t of unmet use (shortfall_value, section 11)
    diagnostics: DiagnosticInputs | None = None  # country grouping and scores (diagnostics.py)
    # countries: code -> bloc name, and the bloc holding '*' (`Scenario.bloc_of_countries`)
    country_bloc: tuple[dict, str | None] = ({}, None)
    # (k, b) -> {code: share of the bloc's use}: `demand.<bloc>.countries`, for controls on
    # countries inside a bloc
    use_split: dict = field(default_factory=dict)
    # the no-disruption path (simulation.calm_path), found once per world where it runs
    calm: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def dt(self) -> float:
        """Length of a tick in years."""
        return 1.0 / self.ticks_per_year

    def tick_of(self, month: YearMonth | None) -> int:
        """The tick `month` begins in, counted from the horizon's start (0 for none): a month
        that begins inside a tick counts from that tick."""
        if month is None:
            return 0
        years = month.years_since(parse_year_month(self.start))
        return int(np.floor(years * self.ticks_per_year + 1e-9))

    def ticks(self, years: float) -> int:
        """A span of `years` in whole ticks, at least one."""
        return max(1, round(years * self.ticks_per_year))

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return len(self.commodities), self.n_stages, self.n_producers, len(self.blocs)

    def stage_index(self, k: int, stage: str) -> int:
        """Padded stage index of a named stage of commodity k."""
        names = self.stages[k]
        return self.n_stages - len(names) + names.index(stage)

    def producer_index(self, k: int, stage: str, country: str) -> int:
        return self.producer_names[k][self.stages[k].index(stage)].index(country)


def compile_world(s: Scenario) -> World:
    """Turn a validated scenario into arrays. Units: tonnes, years, reporting currency/t."""
    fx, cur = s.fx, s.currency
    commodities = tuple(s.commodities)
    blocs = tuple(s.blocs)
    bloc_ix = {b: i for i, b in enumerate(blocs)}
    owner, rest = s.bloc_of_countries()
    n_b = len(blocs)
    n_s = max(len(c.stages) for c in s.commodities.values())
    names_k = []
    for c in s.commodities.values():
        per_stage = []
        for st in c.stages.values():
            names = list(st.producers)
            if sum(p.share or 0 for p in st.producers.values()) < 1 - 1e-9 and any(
                p.share is not None for p in st.producers.values()
            ):
                names.append(OTHER)
            per_stage.append(tuple(names))
        names_k.append(tuple(per_stage))
    n_real = max(len(n) for per in names_k for n in per)
    n_p = n_real + n_b
    K = len(commodities)
    shape = (K, n_s, n_p)
    capacity = np.zeros(shape)
    utilisation = np.ones(shape)
    elasticity = np.zeros(shape)
    cost = np.ones(shape)
    pbloc = np.zeros(shape, dtype=np.intp)
    new_slot = np.zeros((K, n_s, n_b), dtype=np.intp)
    ref = np.zeros(K)
    demand = np.zeros((K, n_b))
    growth = np.zeros((K, n_b))
    stock_days = np.zeros((K, n_b))
    announced_days = np.zeros((K, n_b))
    announced_inflow = np.ones((K, n_b))
    F = round(storage.INFLOW_MAX / storage.INFLOW_STEP) + 1
    table_shape = (K, n_b, 2, F, storage.A_POINTS)
    tables_p = np.ones(table_shape)
    tables_u = np.ones(table_shape)
    rest_ix = bloc_ix[rest] if rest is not None else 0

    for k, (_cname, c) in enumerate(s.commodities.items()):
        ref[k] = c.reference_price.convert(fx, cur)
        stages = list(c.stages.values())
        pad = n_s - len(stages)
        for s_pad in range(pad):  # pass-through stages upstream of short chains
            capacity[k, s_pad, n_real:] = 1e30
            pbloc[k, s_pad, n_real:] = np.arange(n_b)
            cost[k, s_pad] = 0.0
        for j, st in enumerate(stages):
            si = pad + j
            out = st.world_output if st.world_output is not None else c.world_output
            u0 = st.utilisation
            default_cost = (
                st.unit_cost.convert(fx, cur) if st.unit_cost else DEFAULT_COST_SHARE * ref[k]
            )
            shares_total = 0.0
            for pi, (code, p) in enumerate(st.producers.items()):
                if p.share is not None:
                    base = p.share * out
                else:
                    assert p.capacity is not None  # one or the other (Producer._one_size)
                    base = p.capacity
                shares_total += p.share or 0.0
                capacity[k, si, pi] = base / u0
                cost[k, si, pi] = p.unit_cost.convert(fx, cur) if p.unit_cost else default_cost
                pbloc[k, si, pi] = bloc_ix[owner[code]] if code in owner else rest_ix
            slots = names_k[k][j]
            if slots and slots[-1] == OTHER:
                pi = len(slots) - 1
                capacity[k, si, pi] = (1 - shares_total) * out / u0
                cost[k, si, pi] = default_cost
                pbloc[k, si, pi] = rest_ix
            utilisation[k, si, :] = u0
            elasticity[k, si, :] = st.supply_elasticity
            cost[k, si, n_real:] = default_cost
            pbloc[k, si, n_real:] = np.arange(n_b)
        new_slot[k, :, :] = n_real + np.arange(n_b)
        # use at the start: primary output of the last stage plus recycled supply
        last = stages[-1]
        primary = last.world_output if last.world_output is not None else c.world_output
        world_use = primary / (1 - c.recycling.share) if c.recycling.share < 1 else primary
        for bname, d in c.demand.items():
            b = bloc_ix[bname]
            demand[k, b] = d.share * world_use if d.share is not None else d.quantity
            growth[k, b] = d.growth
            stock_days[k, b] = d.stock_days if d.stock_days is not None else c.stock_days
        # competitive storage of each bloc, solved before the run (storage.py)
        for bname in blocs:
            b = bloc_ix[bname]
            par = storage_parameters(s, k, b, c, stock_days[k, b], owner, rest)
            table = storage.solve(par)
            tables_p[k, b, 0], tables_u[k, b, 0] = table.price, table.use
            known = announcement(s, k, b, owner, rest)
            if known is not None:
                lead, inflow = known
                table_ahead = storage.solve_announced(par, lead, inflow)
                announced_inflow[k, b] = inflow
            else:
                table_ahead = table
            tables_p[k, b, 1], tables_u[k, b, 1] = table_ahead.price, table_ahead.use
            stock_days[k, b] = table.steady_stock * 365.0
            announced_days[k, b] = table_ahead.steady_stock * 365.0
        # Growing use raises the stocks users want to hold; the output of the reference
        # state covers that build-up too, so an undisturbed market stays at its reference price.
        building = (demand[k] * np.log1p(growth[k]) * stock_days[k] / 365.0).sum()
        if primary > 0 and building != 0:
            real = slice(0, n_real)
            capacity[k, pad:, real] *= 1 + building / primary

    def per(attr):
        return np.array([attr(c) for c in s.commodities.values()], dtype=float)

    tpy = TICKS_PER_YEAR[s.horizon.step]
    world = World(
        commodities=commodities,
        blocs=blocs,
        stages=tuple(tuple(c.stages) for c in s.commodities.values()),
        producer_names=tuple(names_k),
        n_stages=n_s,
        n_producers=n_p,
        ticks_per_year=tpy,
        n_ticks=s.horizon.years * tpy,
        start=str(s.horizon.start),
        currency=cur,
        capacity=capacity,
        utilisation=utilisation,
        supply_elasticity=elasticity,
        unit_cost=cost,
        producer_bloc=pbloc,
        new_slot=new_slot,
        reference_price=ref,
        capacity_growth=per(lambda c: c.capacity_growth),
        floor_multiple=per(lambda c: c.price.floor_multiple),
        choke_multiple=per(lambda c: c.price.choke_multiple),
        smoothing=per(lambda c: c.price.smoothing),
        elasticity_short=per(lambda c: c.elasticity.short_run),
        elasticity_long=per(lambda c: c.elasticity.long_run),
        adjustment=per(lambda c: c.elasticity.adjustment),
        sub_max=per(lambda c: c.substitution.max_share),
        sub_rate=per(lambda c: c.substitution.rate),
        sub_threshold=per(lambda c: c.substitution.threshold),
        sub_reversal=per(lambda c: c.substitution.reversal),
        rec_share=per(lambda c: c.recycling.share),
        rec_max=per(lambda c: c.recycling.max_share),
        rec_lag=per(lambda c: c.recycling.lag),
        rec_full=per(lambda c: c.recycling.full_response_multiple),
        lead_time=per(lambda c: c.investment.lead_time),
        investment_response=per(lambda c: c.investment.response),
        investment_max_share=per(lambda c: c.investment.max_share),
        incentive_price=np.array(
            [
                c.investment.incentive_price.convert(fx, cur)
                if c.investment.incentive_price
                else c.reference_price.convert(fx, cur)
                for c in s.commodities.values()
            ]
        ),
        review=per(lambda c: c.investment.review),
        demand=demand,
        demand_growth=growth,
        stock_days=stock_days,
        storage_price=tables_p,
        storage_use=tables_u,
        announced_days=announced_days,
        announced_inflow=announced_inflow,
        stock_building=stock_days / 365.0 * np.log1p(growth),
        learning=per(lambda c: c.storage.learning),
        rerouting=per(lambda c: c.trade.rerouting),
        value_lost=np.array(
            [
                c.value_lost.convert(fx, cur)
                if c.value_lost
                else c.elasticity.backstop * c.reference_price.convert(fx, cur)
                for c in s.commodities.values()
            ]
        ),
        country_bloc=(owner, rest),
        use_split={
            (k, bloc_ix[bname]): dict(d.countries)
            for k, c in enumerate(s.commodities.values())
            for bname, d in c.demand.items()
            if d.countries
        },
    )
    return replace(world, diagnostics=compile_inputs(s, world))


def fear_hazard(s: Scenario, commodity: str, bloc: str, owner: dict, rest: str | None) -> float:
    """Disruptions a year that bloc's stockholders see coming: the rates of the scenario's
    random onsets of that commodity that would cut its inflow (docs/model.md section 5)."""
    total = 0.0
    for d in s.disruptions.values():
        if d.commodity != commodity or d.stochastic is None:
            continue
        if TYPES[d.type].hits(d, bloc, owner, rest):
            total += d.stochastic.rate
    return total


def announcement(
    s: Scenario, k: int, b: int, owner: dict, rest: str | None
) -> tuple[float, float] | None:
    """What bloc b's stockholders of commodity k know once a disruption that will hit them
    is announced: its lead (years from the announcement to the start) and the inflow it will
    leave them (share of use: one less the severity, averaged over its duration after
    licences and leakage, times the share of the stage's output it stops). Of several, the
    one leaving the least inflow. None if no announced disruption hits the bloc (docs/model.md
    section 5.4)."""
    name, bloc = list(s.commodities)[k], list(s.blocs)[b]
    best = None
    for d in s.disruptions.values():
        if d.announced is None or d.commodity != name:
            continue
        if not TYPES[d.type].hits(d, bloc, owner, rest):
            continue
        assert d.start is not None  # an announcement needs a fixed start (Timing)
        lead = max(d.start.years_since(d.announced), 1.0 / TICKS_PER_YEAR[s.horizon.step])
        lasts = None
        if d.duration is not None:
            lasts = mean(d.duration)
            if isinstance(d.duration, Distribution) and d.duration.unit is not None:
                lasts *= DURATION_UNITS[d.duration.unit.removesuffix("s")]
        persistence = lasts or s.commodities[name].storage.expected_duration
        known = stopped(d, persistence)
        stage_name = getattr(d, "stage", None)  # the types that stop output name a stage
        if known is None or stage_name is None:
            continue
        countries, level = known
        part = getattr(TYPES[d.type], "bloc_part", None)
        if part is not None:  # a control on some countries of the bloc cuts it in part
            split = s.commodities[name].demand.get(bloc)
            level *= part(d, bloc, owner, rest, split.countries if split else {})
        stage = s.commodities[name].stages[stage_name]
        out = stage.world_output or s.commodities[name].world_output
        share = 0.0
        for code in countries:
            p = stage.producers.get(code)
            if p is not None:
                share += p.share if p.share is not None else (p.capacity or 0.0) / out
        inflow = max(0.0, 1.0 - level * min(share, 1.0))
        if best is None or inflow < best[1]:
            best = (lead, inflow)
    return best


def storage_parameters(
    s: Scenario, k: int, b: int, c, days: float, owner: dict, rest: str | None
) -> storage.StorageParameters:
    """What bloc b's storage equilibrium of commodity k depends on (storage.py); `owner` and
    `rest` are the scenario's countries by bloc (`Scenario.bloc_of_countries`)."""
    name, bloc = list(s.commodities)[k], list(s.blocs)[b]
    return storage.StorageParameters(
        dt=1.0 / TICKS_PER_YEAR[s.horizon.step],
        short_run=c.elasticity.short_run,
        backstop=c.elasticity.backstop,
        backstop_spread=c.elasticity.backstop_spread,
        target=days / 365.0,
        carry=c.storage.carry_cost,
        stock_elasticity=c.storage.stock_elasticity,
        capacity=c.storage.capacity,
        persistence=c.storage.expected_duration,
        hazard=fear_hazard(s, name, bloc, owner, rest),
        feared_inflow=c.storage.feared_inflow,
        ceiling=c.price.choke_multiple,
    )
