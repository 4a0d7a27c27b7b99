"""Competitive storage: the price and use of a bloc's market as functions of what it has on
hand and of the inflow it is getting, solved before the run (docs/model.md section 5).

Stockholders (users' working and precautionary stocks, traders) carry metal from one tick to
the next while the expected price, plus the convenience yield of holding stock, covers the
carrying cost: the Working (1949) supply-of-storage curve inside a rational-expectations
storage model (Williams & Wright 1991; Deaton & Laroque 1992). Users buy along a demand
curve with a backstop: above the prices at which substitutes or the output lost cost less,
use falls away. Each bloc's inflow follows a Markov chain of regimes (the current inflow
persists until a disruption ends, with a hazard; a normal market may be disrupted, with a
hazard), so expectations are those of a stockholder who knows the odds but not the dates.

The equilibrium is solved per (commodity, bloc) by time iteration with the endogenous grid
method (Carroll 2006), as Gouel's RECS does by collocation: on a grid of carry-out stocks,
the expected price next tick gives today's price from the storage condition and today's
use from demand, hence the availability the pair belongs to; no root is found. The result
is two tables on a grid uniform in log availability and in inflow, which the clearing reads
with one bilinear interpolation per bloc and replication (`kernels.trade`).

Units: quantities in years of the bloc's use at the reference price, prices as multiples of
the reference price.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.special import log_ndtr

A_LOW, A_HIGH, A_POINTS = 1e-5, 10.0, 300
"""Availabilities tabulated (years of use), uniform in their logarithm; outside, the end
columns hold."""
LOG_A0 = float(np.log(A_LOW))
LOG_STEP = float((np.log(A_HIGH) - np.log(A_LOW)) / (A_POINTS - 1))
INFLOW_STEP = 0.05
INFLOW_MAX = 2.5
"""Inflows tabulated: 0, 0.05, ..., 2.5 times the bloc's use at the reference price."""
S_POINTS = 300
TOLERANCE = 1e-9
MAX_ITERATIONS = 20_000
ROW_SHIFT = 1_000.0
"""Offset between inflow rows in log availability, so all rows interpolate in one call."""


@dataclass(frozen=True)
class StorageParameters:
    """What one bloc's storage equilibrium depends on (all per year, or as multiples)."""

    dt: float  # tick, years
    short_run: float  # elasticity of use to price within the tick (<= 0)
    backstop: float  # median price multiple at which users give the mineral up
    backstop_spread: float  # log spread of those prices across users
    target: float  # stocks held in a calm market, years of use (stock_days / 365)
    carry: float  # carrying cost a year: interest, storage, insurance
    stock_elasticity: float  # of stocks held to the convenience yield (Working's curve)
    capacity: float  # most stock held, as a multiple of `target`
    persistence: float  # expected length of a disturbed inflow, years
    hazard: float  # disruptions a year that a calm market fears
    feared_inflow: float  # inflow in such a disruption, share of use
    ceiling: float  # the numerical guard on the price multiple (`price.choke_multiple`)


@dataclass(frozen=True)
class StorageTable:
    """The solved equilibrium of one bloc on the grid (docs/model.md section 5)."""

    price: np.ndarray  # [inflow, availability] multiple of the reference price
    use: np.ndarray  # [inflow, availability] use this tick, years of use
    steady_stock: float  # stock held in a calm market at the reference price, years of use
    iterations: int


def demand(p: np.ndarray, par: StorageParameters) -> np.ndarray:
    """Use a year at price multiple p: the short-run elasticity, times the share of users
    whose price of giving the mineral up (lognormal across users) is above p, relative to
    that share at the reference price."""
    z = (np.log(p) - np.log(par.backstop)) / par.backstop_spread
    z0 = -np.log(par.backstop) / par.backstop_spread
    return np.exp(par.short_run * np.log(p) + log_ndtr(-z) - log_ndtr(-z0))


def _inverse_demand(par: StorageParameters):
    """Price multiple at which use a year is q: interpolated on a fine grid of log prices
    (demand falls strictly with the backstop)."""
    logp = np.linspace(np.log(1e-3), np.log(1e4), 4001)
    logq = np.log(np.maximum(demand(np.exp(logp), par), 1e-300))
    order = np.argsort(logq)

    def inverse(q: np.ndarray) -> np.ndarray:
        x = np.log(np.maximum(q, 1e-300))
        return np.exp(np.interp(x, logq[order], logp[order]))

    return inverse


def cache_folder() -> Path:
    """Where solved tables are kept between runs (`MINSIM_CACHE`, else the user's cache)."""
    root = os.environ.get("MINSIM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "minsim"
    )
    return Path(root) / "storage"


def solve(par: StorageParameters) -> StorageTable:
    """Price and use on the grid, by time iteration on the endogenous grid. A table depends
    only on its parameters and on this module, so it is solved once per machine and kept
    (`cache_folder`); a table that cannot be read or written is solved again."""
    return _cached(par, None)


def solve_announced(par: StorageParameters, lead: float, inflow: float) -> StorageTable:
    """The market of `par` once a disruption is announced to begin in `lead` years (on
    average) and to leave an inflow of `inflow` (share of use): each tick it begins with
    hazard 1/lead, and from then the market is `solve(par)`'s at that inflow, whose own
    expectations (a return to calm) take over. Solved and kept like `solve`."""
    return _cached(par, (float(lead), float(inflow)))


@lru_cache(maxsize=512)
def _cached(par: StorageParameters, announced: tuple[float, float] | None) -> StorageTable:
    source = Path(__file__).read_bytes()
    key = hashlib.sha256(source + repr((astuple(par), announced)).encode()).hexdigest()[:32]
    path = cache_folder() / f"{key}.npz"
    try:
        with np.load(path) as f:
            return StorageTable(
                f["price"], f["use"], float(f["steady_stock"]), int(f["iterations"])
            )
    except (OSError, KeyError, ValueError):
        pass
    table = _solve(par) if announced is None else _solve(par, _cached(par, None), *announced)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            price=table.price,
            use=table.use,
            steady_stock=table.steady_stock,
            iterations=table.iterations,
        )
        os.replace(tmp, path)
    except OSError:
        pass
    return table


def _solve(
    par: StorageParameters,
    after: StorageTable | None = None,
    lead: float = 0.0,
    announced_inflow: float = 1.0,
) -> StorageTable:
    """The equilibrium of `par`'s regime chain; with `after`, of an announced disruption
    instead: every row stays announced with probability exp(-dt/lead) a tick, else moves
    to `after`'s row of the lower of its own inflow and the announced one."""
    dt, target = par.dt, par.target
    decay = np.exp(-par.carry * dt)  # value of a tonne next tick, discounted and carried
    yield_unit = 1.0 - decay  # convenience yield a tick at the target stock
    inflows = np.arange(0.0, INFLOW_MAX + INFLOW_STEP / 2, INFLOW_STEP)
    F = len(inflows)
    calm = round(1.0 / INFLOW_STEP)
    feared = round(min(max(par.feared_inflow, 0.0), INFLOW_MAX) / INFLOW_STEP)
    # regime chain: a disturbed inflow returns to calm with hazard 1/persistence; a calm one
    # turns into the feared one with the hazard
    stay_off = float(np.exp(-dt / par.persistence))
    stay_calm = float(np.exp(-par.hazard * dt))
    # carry-out grid: from where the convenience yield becomes unbounded to the capacity
    s_low = target * yield_unit**par.stock_elasticity * (1 + 1e-6)
    s_high = target * par.capacity
    stocks = np.unique(np.append(np.geomspace(s_low, s_high, S_POINTS), target))
    # the storage condition: p * (1 - yield_unit * (S/S*)^(-1/eta)) = decay * E[p']
    wedge = 1.0 - yield_unit * (stocks / target) ** (-1.0 / par.stock_elasticity)
    log_a = LOG_A0 + LOG_STEP * np.arange(A_POINTS)
    log_a0, log_step = LOG_A0, LOG_STEP
    avail = np.exp(log_a)
    inverse = _inverse_demand(par)
    # next tick's availability if the inflow stays: fixed, so the cells and weights that
    # interpolate the price there are found once
    rows = np.arange(F)
    nxt = (np.log(stocks[None, :] + inflows[:, None] * dt) - log_a0) / log_step  # [F, S]
    cell = np.clip(np.floor(nxt).astype(int), 0, A_POINTS - 2)
    weight = np.clip(nxt - cell, 0.0, 1.0)
    flat = rows[:, None] * A_POINTS + cell
    stay = np.where(rows == calm, stay_calm, stay_off)[:, None]
    switch_to = np.where(rows == calm, feared, calm)
    p_after = None
    if after is not None:  # the announced regime: where each row goes, and its price there
        told = round(min(max(announced_inflow, 0.0), INFLOW_MAX) / INFLOW_STEP)
        stay = np.full((F, 1), np.exp(-dt / max(lead, dt)))
        to = np.minimum(rows, told)
        la = np.log(after.price).ravel()
        at = to[:, None] * A_POINTS + cell
        p_after = np.exp(la[at] * (1 - weight) + la[at + 1] * weight)  # [F, S], fixed
    # log demand on a fine uniform grid of log prices, read by index arithmetic
    grid_lp = np.linspace(np.log(1e-3), np.log(max(par.ceiling, 1.0)), 8001)
    grid_ld = np.log(np.maximum(demand(np.exp(grid_lp), par), 1e-300))
    lp_step = grid_lp[1] - grid_lp[0]
    shift = ROW_SHIFT * rows[:, None]
    queries = (log_a[None, :] + shift).ravel()
    log_cap = np.log(par.ceiling)

    def step(logp: np.ndarray) -> np.ndarray:
        """One round of time iteration: today's log prices from next tick's."""
        lp = logp.ravel()
        p_next = np.exp(lp[flat] * (1 - weight) + lp[flat + 1] * weight)  # [F, S]
        if p_after is None:
            expected = stay * p_next + (1 - stay) * p_next[switch_to]
        else:
            expected = stay * p_next + (1 - stay) * p_after
        log_pn = np.minimum(np.log(decay * expected / wedge[None, :]), log_cap)
        x = np.clip((log_pn - grid_lp[0]) / lp_step, 0.0, len(grid_lp) - 1.000001)
        j = x.astype(int)
        u = x - j
        q_now = np.exp(grid_ld[j] * (1 - u) + grid_ld[j + 1] * u) * dt
        a_now = stocks[None, :] + q_now
        # each inflow's (availability, price) pairs on the endogenous grid, read at the grid
        # of availabilities in one interpolation: rows are shifted apart in log space
        new = np.interp(queries, (np.log(a_now) + shift).ravel(), log_pn.ravel())
        new = new.reshape(F, A_POINTS)
        # below the endogenous grid stocks are near zero, above it at capacity: the price
        # is then what users pay for what is left to use
        first, last = a_now[:, :1], a_now[:, -1:]
        below = avail[None, :] < first
        above = avail[None, :] > last
        if below.any():
            q_low = (avail[None, :] * (1 - s_low / first))[below]
            low = np.maximum(
                inverse(q_low / dt), np.exp(np.broadcast_to(log_pn[:, :1], below.shape)[below])
            )
            new[below] = np.minimum(np.log(low), log_cap)
        if above.any():
            q_high = np.broadcast_to(np.maximum(avail - s_high, 0.0), above.shape)[above]
            high = np.minimum(
                inverse(q_high / dt), np.exp(np.broadcast_to(log_pn[:, -1:], above.shape)[above])
            )
            new[above] = np.minimum(np.log(high), log_cap)
        return new

    # start from the reference price everywhere, or from the calm market's prices for an
    # announced disruption (the same market, a few ticks of fear apart)
    logp = np.zeros((F, A_POINTS)) if after is None else np.log(after.price)
    logp, it = _fixed_point(step, logp)
    price = np.exp(logp)
    # use on the grid, from the price (so use and price agree), never above what is there
    use = np.minimum(demand(price, par) * dt, avail[None, :])
    # steady calm stock: where the calm price is the reference price, less one tick's use
    a_calm = np.exp(np.interp(0.0, -logp[calm], log_a))
    return StorageTable(
        price=price,
        use=use,
        steady_stock=float(a_calm - dt),
        iterations=it,
    )


ANDERSON_MEMORY = 8
"""Past rounds the accelerated iteration combines (Walker & Ni 2011 use 1 to 10); 0 is
plain time iteration."""


def _fixed_point(step, x: np.ndarray) -> tuple[np.ndarray, int]:
    """Solve `x = step(x)` to `TOLERANCE` in the largest change of a round, with Anderson
    acceleration (Walker & Ni 2011, type II, safeguarded). Plain time iteration contracts at
    the rate stockholders discount a tick (e^{-cΔ}, 0.998 a week), so it takes thousands of
    rounds; the mixing of the last `ANDERSON_MEMORY` rounds takes tens to hundreds. A mixed
    guess that makes the change larger is dropped for the plain round, and the memory
    cleared, so the iteration never does worse than plain time iteration by more than a
    round. Returns the last round's `step` (so the answer is a map's value, like plain
    iteration's) and the number of rounds."""
    shape = x.shape
    x = x.ravel()
    g = step(x.reshape(shape)).ravel()
    f = g - x
    best = np.abs(f).max()
    d_g: list[np.ndarray] = []
    d_f: list[np.ndarray] = []
    for it in range(1, MAX_ITERATIONS + 1):
        if best < TOLERANCE:
            return g.reshape(shape), it
        if d_f and ANDERSON_MEMORY:
            dF = np.stack(d_f)  # [m, n]: the least squares by its small normal equations
            gamma = np.linalg.lstsq(dF @ dF.T, dF @ f, rcond=1e-12)[0]
            x_new = g - gamma @ np.stack(d_g)
        else:
            x_new = g
        g_new = step(x_new.reshape(shape)).ravel()
        f_new = g_new - x_new
        change = np.abs(f_new).max()
        if not np.isfinite(change) or (d_f and change > 2 * best):
            # the mixed guess went astray: take the plain round from here, start afresh
            d_g.clear()
            d_f.clear()
            x_new = g
            g_new = step(x_new.reshape(shape)).ravel()
            f_new = g_new - x_new
            change = np.abs(f_new).max()
        else:
            d_g.append(g_new - g)
            d_f.append(f_new - f)
            if len(d_f) > ANDERSON_MEMORY:
                d_g.pop(0)
                d_f.pop(0)
        x, g, f, best = x_new, g_new, f_new, change
    return g.reshape(shape), MAX_ITERATIONS
