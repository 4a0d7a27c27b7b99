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
with one bilinear interpolation per bloc and replication (`kernels.trade`). A round of the
iteration is compiled with numba (`time_iteration_round`, tested against its numpy form),
and the rounds are mixed by Anderson acceleration (`_fixed_point`).

Units: quantities in years of the bloc's use at the reference price, prices as multiples of
the reference price.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numba import njit
from scipy.special import log_ndtr

from .vmath import exp_lanes, log_lanes

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
    par: StorageParameters, after: StorageTable | None = None, *announcement: float
) -> StorageTable:
    """The equilibrium of `par`'s regime chain; with `after`, of a disruption announced
    (`announcement`: its lead and inflow, as `grid_of` takes them) that ends in `after`."""
    grid = grid_of(par, after, *announcement)
    # start from the reference price everywhere, or from the calm market's prices for an
    # announced disruption (the same market, a few ticks of fear apart)
    logp = (
        np.zeros(grid.weight.shape[:1] + grid.log_a.shape) if after is None else np.log(after.price)
    )
    logp, it = _fixed_point(lambda x: time_iteration_round(x, grid), logp)
    price = np.exp(logp)
    # use on the grid, from the price (so use and price agree), never above what is there
    use = np.minimum(demand(price, par) * par.dt, grid.avail[None, :])
    # steady calm stock: where the calm price is the reference price, less one tick's use
    calm = round(1.0 / INFLOW_STEP)
    a_calm = np.exp(np.interp(0.0, -logp[calm], grid.log_a))
    return StorageTable(
        price=price,
        use=use,
        steady_stock=float(a_calm - par.dt),
        iterations=it,
    )


class Grid(NamedTuple):
    """What a round of time iteration reads, fixed for one table: F inflow rows, S carry-out
    stocks, A availabilities (docs/model.md section 5)."""

    flat: np.ndarray  # [F, S] flat index of the cell below next tick's availability
    weight: np.ndarray  # [F, S] the interpolation weight of the cell above
    stay: np.ndarray  # [F] chance a tick that the row's regime carries on
    switch_to: np.ndarray  # [F] the row the regime moves to otherwise
    p_after: np.ndarray  # [F, S] price there once an announced cut begins ([0, 0] if none)
    announced: bool  # the regime ends in `p_after`, not in row `switch_to`
    decay_wedge: np.ndarray  # [S] discounting over the storage wedge at each stock
    log_cap: float  # log of the price guard
    grid_lp0: float  # first log price of the demand grid
    lp_step: float  # its step
    grid_ld: np.ndarray  # log use a year on it
    dt: float  # tick, years
    stocks: np.ndarray  # [S] carry-out stocks, years of use
    log_a: np.ndarray  # [A] log availabilities tabulated
    avail: np.ndarray  # [A] the availabilities
    s_low: float  # the least carry-out (convenience yield unbounded below it)
    s_high: float  # the most (storage capacity)
    inverse_logq: np.ndarray  # log use, increasing, and
    inverse_logp: np.ndarray  # the log prices that give it: inverse demand


def grid_of(
    par: StorageParameters,
    after: StorageTable | None = None,
    lead: float = 0.0,
    announced_inflow: float = 1.0,
) -> Grid:
    """The fixed arrays of `_solve`'s time iteration: the carry-out grid, where each row's
    stocks land next tick, the regime chain, demand and its inverse. With `after`, the chain
    is that of an announced disruption: every row stays announced with probability
    exp(-dt/lead) a tick, else moves to `after`'s row of the lower of its own inflow and the
    announced one."""
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
    logp_fine = np.linspace(np.log(1e-3), np.log(1e4), 4001)
    logq_fine = np.log(np.maximum(demand(np.exp(logp_fine), par), 1e-300))
    order = np.argsort(logq_fine)
    return Grid(
        flat=flat,
        weight=weight,
        stay=stay[:, 0].copy(),
        switch_to=switch_to,
        p_after=np.empty((0, 0)) if p_after is None else p_after,
        announced=p_after is not None,
        decay_wedge=decay / wedge,
        log_cap=float(np.log(par.ceiling)),
        grid_lp0=float(grid_lp[0]),
        lp_step=float(grid_lp[1] - grid_lp[0]),
        grid_ld=np.log(np.maximum(demand(np.exp(grid_lp), par), 1e-300)),
        dt=dt,
        stocks=stocks,
        log_a=log_a,
        avail=avail,
        s_low=float(s_low),
        s_high=float(s_high),
        inverse_logq=logq_fine[order],
        inverse_logp=logp_fine[order],
    )


ANDERSON_MEMORY = 8
"""Past rounds the accelerated iteration combines (Walker & Ni 2011 use 1 to 10); 0 is
plain time iteration."""
SAFEGUARD = 10.0
"""A mixed guess whose change is this many times the last is dropped for the plain round.
Tighter (2) restarts the mixing often on the flagship's tables, and one of them then takes
2.5 times the rounds (benchmarks/storage.py); from 4 on none restarts there."""


def _fixed_point(step, x: np.ndarray) -> tuple[np.ndarray, int]:
    """Solve `x = step(x)` to `TOLERANCE` in the largest change of a round, with Anderson
    acceleration (Walker & Ni 2011, type II, safeguarded). Plain time iteration contracts at
    the rate stockholders discount a tick (e^{-cΔ}, 0.998 a week), so it takes thousands of
    rounds; mixing the last `ANDERSON_MEMORY` rounds takes hundreds (benchmarks/storage.py).
    A mixed guess whose change is not finite, or `SAFEGUARD` times the last, is dropped for
    the plain round and the memory cleared. The past changes sit in two arrays written in
    turn, oldest first, so no round copies the history. Returns the last round's `step`
    (so the answer is a map's value, like plain iteration's) and the number of rounds."""
    shape = x.shape
    x = x.ravel()
    g = step(x.reshape(shape)).ravel()
    f = g - x
    best = np.abs(f).max()
    m = ANDERSON_MEMORY
    d_g = np.empty((m, x.size))  # the last m changes of g and f, oldest overwritten first
    d_f = np.empty((m, x.size))
    held = slot = 0
    for it in range(1, MAX_ITERATIONS + 1):
        if best < TOLERANCE:
            return g.reshape(shape), it
        if held:  # the least squares by its small normal equations
            dF = d_f[:held]
            gamma = np.linalg.lstsq(dF @ dF.T, dF @ f, rcond=1e-12)[0]
            x_new = g - gamma @ d_g[:held]
        else:
            x_new = g
        g_new = step(x_new.reshape(shape)).ravel()
        f_new = g_new - x_new
        change = np.abs(f_new).max()
        if not np.isfinite(change) or (held and change > SAFEGUARD * best):
            # the mixed guess went astray: take the plain round from here, start afresh
            held = slot = 0
            x_new = g
            g_new = step(x_new.reshape(shape)).ravel()
            f_new = g_new - x_new
            change = np.abs(f_new).max()
        elif m:
            np.subtract(g_new, g, out=d_g[slot])
            np.subtract(f_new, f, out=d_f[slot])
            held, slot = min(held + 1, m), (slot + 1) % m
        x, g, f, best = x_new, g_new, f_new, change
    return g.reshape(shape), MAX_ITERATIONS


@njit(cache=True, error_model="numpy", inline="always")
def _interp_one(x: float, xp: np.ndarray, fp: np.ndarray) -> float:
    """np.interp at one point, by bisection (numba's np.interp allocates for a scalar)."""
    if x <= xp[0]:
        return fp[0]
    n = xp.shape[0]
    if x >= xp[n - 1]:
        return fp[n - 1]
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    return fp[lo] + (fp[hi] - fp[lo]) * (x - xp[lo]) / (xp[hi] - xp[lo])


@njit(cache=True, error_model="numpy", inline="always")
def _interp_rising(x: np.ndarray, xp: np.ndarray, fp: np.ndarray, out: np.ndarray) -> None:
    """out = np.interp(x, xp, fp) for a rising x, in one walk along both."""
    n = xp.shape[0]
    j = 0
    for i in range(x.shape[0]):
        v = x[i]
        if v <= xp[0]:
            out[i] = fp[0]
        elif v >= xp[n - 1]:
            out[i] = fp[n - 1]
        else:
            while xp[j + 1] <= v:
                j += 1
            out[i] = fp[j] + (fp[j + 1] - fp[j]) * (v - xp[j]) / (xp[j + 1] - xp[j])


@njit(cache=True, error_model="numpy")
def time_iteration_round(logp: np.ndarray, g: Grid) -> np.ndarray:
    """Today's log prices [F, A] from next tick's `logp` [F, A]: for each inflow row and
    carry-out stock, the expected price next tick gives today's price by the storage
    condition and today's use by demand, so the availability they belong to; the row's
    (availability, price) pairs are then read at the tabulated availabilities. Below the
    least availability on that endogenous grid stocks are near zero, above the most they are
    at capacity, and the price is what users pay for what is left to use.
    `time_iteration_round_numpy` is the same in numpy, the reference it is tested against."""
    F, S = g.weight.shape
    A = g.log_a.shape[0]
    n = F * S
    last = g.grid_ld.shape[0] - 1.000001
    lp = logp.ravel()
    flat, weight = g.flat.ravel(), g.weight.ravel()
    scratch = np.empty((2, n))
    x = np.empty(n)
    for i in range(n):
        c, w = flat[i], weight[i]
        x[i] = lp[c] * (1 - w) + lp[c + 1] * w
    p_next = np.empty(n)
    exp_lanes(n, x, p_next, scratch)
    for r in range(F):
        stay, to = g.stay[r], g.switch_to[r]
        for s in range(S):
            other = g.p_after[r, s] if g.announced else p_next[to * S + s]
            x[r * S + s] = g.decay_wedge[s] * (stay * p_next[r * S + s] + (1 - stay) * other)
    log_pn = np.empty(n)
    log_lanes(n, x, log_pn, scratch)
    for i in range(n):
        v = min(log_pn[i], g.log_cap)
        log_pn[i] = v
        u = min(max((v - g.grid_lp0) / g.lp_step, 0.0), last)
        j = int(u)
        u -= j
        x[i] = g.grid_ld[j] * (1 - u) + g.grid_ld[j + 1] * u
    use = p_next  # reused
    exp_lanes(n, x, use, scratch)
    for r in range(F):
        for s in range(S):
            x[r * S + s] = g.stocks[s] + use[r * S + s] * g.dt
    log_an = np.empty(n)
    log_lanes(n, x, log_an, scratch)
    out = np.empty((F, A))
    for r in range(F):
        row_a, row_p = log_an[r * S : (r + 1) * S], log_pn[r * S : (r + 1) * S]
        first, top = x[r * S], x[r * S + S - 1]
        _interp_rising(g.log_a, row_a, row_p, out[r])
        for a in range(A):
            if g.avail[a] < first:  # stocks near zero: use what is there
                q = max(g.avail[a] * (1 - g.s_low / first) / g.dt, 1e-300)
                lq = _interp_one(np.log(q), g.inverse_logq, g.inverse_logp)
                out[r, a] = min(max(lq, row_p[0]), g.log_cap)
            elif g.avail[a] > top:  # stocks at capacity: the rest is used
                q = max(max(g.avail[a] - g.s_high, 0.0) / g.dt, 1e-300)
                lq = _interp_one(np.log(q), g.inverse_logq, g.inverse_logp)
                out[r, a] = min(min(lq, row_p[S - 1]), g.log_cap)
    return out


def time_iteration_round_numpy(logp: np.ndarray, g: Grid) -> np.ndarray:
    """`time_iteration_round` as numpy array expressions, for the test."""
    F = g.weight.shape[0]
    lp = logp.ravel()
    p_next = np.exp(lp[g.flat] * (1 - g.weight) + lp[g.flat + 1] * g.weight)
    other = g.p_after if g.announced else p_next[g.switch_to]
    stay = g.stay[:, None]
    expected = stay * p_next + (1 - stay) * other
    log_pn = np.minimum(np.log(g.decay_wedge[None, :] * expected), g.log_cap)
    x = np.clip((log_pn - g.grid_lp0) / g.lp_step, 0.0, len(g.grid_ld) - 1.000001)
    j = x.astype(int)
    u = x - j
    a_now = g.stocks[None, :] + np.exp(g.grid_ld[j] * (1 - u) + g.grid_ld[j + 1] * u) * g.dt
    out = np.stack([np.interp(g.log_a, np.log(a_now[r]), log_pn[r]) for r in range(F)])
    first, top = a_now[:, :1], a_now[:, -1:]
    avail = np.broadcast_to(g.avail, out.shape)

    def inverse(q: np.ndarray) -> np.ndarray:
        return np.interp(np.log(np.maximum(q / g.dt, 1e-300)), g.inverse_logq, g.inverse_logp)

    below = avail < first
    low = inverse(avail * (1 - g.s_low / first))
    out[below] = np.minimum(np.maximum(low, log_pn[:, :1]), g.log_cap)[below]
    above = (avail > top) & ~below
    high = inverse(np.maximum(avail - g.s_high, 0.0))
    out[above] = np.minimum(np.minimum(high, log_pn[:, -1:]), g.log_cap)[above]
    return out
