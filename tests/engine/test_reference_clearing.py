"""A second implementation of one tick of `kernels.trade`, in plain numpy, against the kernel.

`kernels.trade` is compiled and written for speed: one pass per commodity, replications in
the innermost loops, choices made by selection, water levels found without sorting. A slip
there would only show as slightly wrong prices, which no invariant catches. The reference
below is written from docs/model.md instead: section 4 (the flow layers' pools, poured most
restricted first, each water-filled towards even cover of need), section 5 (the inflow
stockholders read, what is on hand, the storage tables read bilinearly in (ln A, f) in the
regime an announcement selects, use capped by what is on hand, shortfall, the price within
its bounds), section 12 (strategic purchases pro rata in a thin market) and the lagged
states of sections 5-7. It loops over replications and blocs and sorts blocs by cover to
find a water level. The kernel must give its numbers to rounding, on the inputs of real
clearings of the small scenario (recorded by wrapping the kernel) and on random states.

Where the kernel does what the docs leave unsaid or say otherwise, the reference follows the
kernel and says so in a comment starting `kernel:`.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

import sim
from sim.engine import compile_world, kernels, run_batch
from sim.engine.simulation import calm_path
from sim.engine.world import World

Args = dict[str, Any]
"""The arguments of one `kernels.trade` call, by name."""

TRADE_ARGS = tuple(inspect.signature(kernels.trade.py_func).parameters)
GROUPS = {
    "inputs": kernels.TradeInputs,
    "par": kernels.MarketParameters,
    "state": kernels.MarketState,
    "out": kernels.TradeOutputs,
}
"""The kernel's grouped arguments and their NamedTuples."""
NAMES = tuple(f for a in TRADE_ARGS for f in (GROUPS[a]._fields if a in GROUPS else (a,)))
"""Every argument by name, the groups' fields in place of the groups."""


def by_name(args: tuple) -> Args:
    """The arguments of a `kernels.trade` call by name, the groups opened."""
    named: Args = {}
    for name, value in zip(TRADE_ARGS, args, strict=True):
        named |= value._asdict() if name in GROUPS else {name: value}
    return {name: _copy(value) for name, value in named.items()}


def call(named: Args) -> list:
    """`by_name` undone: the positional arguments of a `kernels.trade` call."""
    return [
        GROUPS[a](**{f: named[f] for f in GROUPS[a]._fields}) if a in GROUPS else named[a]
        for a in TRADE_ARGS
    ]


WRITTEN = (
    "wanted",
    "stock",
    "price",
    "expected",
    "adjusted",
    "substituted",
    "recycling",
    "last_use",
    "inflow",
    "last_shortfall",
    "recycled",
    "delivered",
    "use",
    "purchased",
    "stock_change",
    "traded",
)
"""The arrays `kernels.trade` writes: every one is compared."""
OUTPUT_ONLY = (
    "last_shortfall",
    "recycled",
    "delivered",
    "use",
    "purchased",
    "stock_change",
    "traded",
)
"""Written but never read: random states fill them with NaN, so that a read would show."""
PER_BLOC = (
    "direct",
    "release",
    "plan",
    "wanted",
    "rec_share",
    "announced",
    "stock",
    "price",
    "expected",
    "adjusted",
    "substituted",
    "recycling",
    "last_use",
    "inflow",
)
"""Inputs [K, B, R] the reference reads for one (commodity, replication)."""
TINY = kernels.TINY  # the kernels' guard against dividing by a zero need
RTOL, ATOL = 1e-10, 1e-9  # ATOL in the arrays' units: tonnes, currency/t, shares
ALLIANCE, CHINA, REST = 0, 1, 2
GALLIUM = 0
TICKS = (2, 20, 30, 60)
"""Ticks recorded: a reserve buying in a calm market, an announced control (with releases),
the control in force, and after licences."""
STOP_SETS = {
    "nested": ((ALLIANCE,), (ALLIANCE, REST)),  # the small scenario's: layers {1} ⊂ {1,2} ⊂ all
    "disjoint": ((ALLIANCE, CHINA), (CHINA, REST)),  # layers {2}, {0}, all: not nested
}
"""Target sets of controls for random states; both make three layers, as the recorded
clearings have (the number of layers is a constant of the compiled kernel)."""
ORIGINS = {"nested": (CHINA, CHINA), "disjoint": (REST, ALLIANCE)}
"""The bloc whose producers each control of `STOP_SETS` stops (never one it targets)."""


# -- the reference --------------------------------------------------------------------------


def water_fill(
    have: np.ndarray, need: np.ndarray, amount: float, allowed: np.ndarray
) -> np.ndarray:
    """Section 4: x_b = max(0, L·n_b − a_b) on the allowed blocs, L such that Σ x = amount.
    Found by sorting the blocs by cover a/n and filling the lowest ones until the next bloc's
    cover is above the level; rescaled to add up to `amount` exactly."""
    x = np.zeros(len(have))
    blocs = np.flatnonzero(allowed)
    if amount == 0.0 or blocs.size == 0:
        return x
    a = have[blocs]
    n = np.maximum(need[blocs], TINY)  # kernel: a zero need is guarded, not divided by
    cover = a / n
    order = np.argsort(cover, kind="stable")
    level = np.inf
    for filled in range(1, blocs.size + 1):
        lowest = order[:filled]
        level = (amount + a[lowest].sum()) / n[lowest].sum()
        if filled == blocs.size or level <= cover[order[filled]]:
            break
    share = np.maximum(level * n - a, 0.0)
    total = share.sum()
    x[blocs] = share * (amount / total) if total > 0 else 0.0
    return x


def pour_each(
    have: np.ndarray, need: np.ndarray, pools: np.ndarray, masks: np.ndarray
) -> np.ndarray:
    """Section 4: the layers' pools one after another, most restricted first, each one's
    `have` including what the layers before it delivered. Returns what each layer poured
    into each bloc [layer, B]."""
    poured = np.zeros((len(pools), len(have)))
    for m, (pool, allowed) in enumerate(zip(pools, masks, strict=True)):
        poured[m] = water_fill(have + poured[:m].sum(axis=0), need, pool, allowed)
    return poured


def pour(have: np.ndarray, need: np.ndarray, pools: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """What each bloc got from all the layers (`pour_each`)."""
    return pour_each(have, need, pools, masks).sum(axis=0)


def by_origin(poured: np.ndarray, contributed: np.ndarray) -> np.ndarray:
    """Section 4: each layer's pour [layer, B] attributed to the origins in proportion to
    what their producers put into its pool (`contributed` [layer, origin]): [origin, B]."""
    pools = contributed.sum(axis=1, keepdims=True)
    share = np.divide(contributed, pools, out=np.zeros_like(contributed), where=pools > 0)
    return share.T @ poured


def grid_cell(steps: float, points: int) -> tuple[int, float]:
    """The cell of a table axis of `points` points holding a position `steps` grid steps from
    the first point, and the weight of the cell's upper point. Outside the grid the end cells
    hold (storage.py). kernel: positions stop 1e-6 of a step short of the last point, so
    beyond the top the last point weighs 0.999999, not 1."""
    position = min(max(steps, 0.0), points - 1.000001)
    cell = int(np.floor(position))
    return cell, position - cell


def bilinear(table: np.ndarray, row: tuple[int, float], col: tuple[int, float]) -> float:
    """Bilinear interpolation in a table [inflow, availability] between the four points
    around (row, col) (section 5)."""
    (j, wy), (i, wx) = row, col
    weights = np.outer([1.0 - wy, wy], [1.0 - wx, wx])
    return float((weights * table[j : j + 2, i : i + 2]).sum())


def reference_trade(args: Args) -> tuple[dict[str, np.ndarray], set[str]]:
    """One tick of trade, use, stocks, price and lagged states (docs/model.md sections 4-7)
    on copies of `kernels.trade`'s arguments. Returns the arrays the kernel writes, and the
    names of the branches taken (so that tests can check the states reach them)."""
    a = {name: _copy(value) for name, value in args.items()}
    out = {name: a[name] for name in WRITTEN}
    hit: set[str] = set()
    dt, masks = a["dt"], a["masks"]
    K, B, R = a["stock"].shape
    last = a["widths"].shape[1] - 1  # trade reads the last stage's layers
    n_inflow, n_avail = a["log_price"].shape[3:]
    for m, allowed in enumerate(masks):
        if allowed.sum() == 1 and (a["widths"][:, last, m] * a["produced"]).sum() > 0:
            hit.add("a layer that reaches one bloc")
    for k, r in itertools.product(range(K), range(R)):
        if r > 0 and not a["varies"][k]:
            # kernel: a commodity no disruption or policy touches is cleared in its first row
            # only; the other rows of what it writes are left as they were (section 1)
            hit.add("a commodity that does not vary")
            continue
        v = {name: a[name][k, :, r].copy() for name in PER_BLOC}
        ref = a["ref"][k]
        wanted = v["wanted"]
        pools = a["widths"][k, last, :, :, r] @ a["produced"][k, :, r]  # A_j, section 4
        # recycled supply (section 7) from last tick's use, held in t/yr: kernel: times Δ
        recycled = v["rec_share"] * v["last_use"] * dt
        # section 5: the inflow stockholders read, this tick's output shared in proportion to
        # use alone; kernel: offtake deliveries count as had in that fill and are added, the
        # purchase plan (not what is bought) is taken off, and the flow is floored at zero
        shared = pour(v["direct"], wanted, pools, masks)
        flow = shared + v["direct"] + recycled + v["release"] - v["plan"]
        seen = np.maximum(flow, 0.0) / np.maximum(wanted, TINY) - a["building"][k]
        inflow = v["inflow"] + a["learn"][k] * (seen - v["inflow"])
        # section 4: deliveries by cover against need: wanted use, the stock target (times
        # `ahead` while a disruption is announced, section 5.4) and purchases (section 12);
        # kernel: offtake deliveries are on hand before trade and part of the deliveries
        told = v["announced"] > 0.5
        target = a["target_stock"][k] * np.where(told, a["ahead"][k], 1.0)
        need = wanted + target + v["plan"]
        before = v["stock"] + recycled + v["release"] + v["direct"]
        poured = pour_each(before, need, pools, masks)
        delivered = v["direct"] + poured.sum(axis=0)
        # where it came from: the producers' home blocs, in proportion to their part of each
        # layer's pool (section 4); kernel: offtake deliveries are added by Market.clear
        contributed = np.zeros((len(masks), B))
        for p, h in enumerate(a["origin"][k]):
            contributed[:, h] += a["widths"][k, last, :, p, r] * a["produced"][k, p, r]
        out["traded"][k, :, :, r] = by_origin(poured, contributed)
        have = v["stock"] + recycled + v["release"] + delivered
        for b in range(B):
            # section 12: buyers take their plan, pro rata with users' reference use when the
            # bloc has less than both
            asked = wanted[b] + v["plan"][b]
            thin = asked > have[b]
            bought = v["plan"][b] * (have[b] / asked if thin else 1.0)
            if thin and v["plan"][b] > 0:
                hit.add("purchases pro rata")
            market = have[b] - bought  # H_b of section 5
            if wanted[b] > 0:
                reference_use = wanted[b] / dt  # Dref_b, t/yr
                regime = 1 if told[b] else 0
                steps_a = (np.log(max(market / reference_use, TINY)) - a["log_a0"]) / a["log_step"]
                steps_f = inflow[b] / a["inflow_step"]
                col, row = grid_cell(steps_a, n_avail), grid_cell(steps_f, n_inflow)
                # kernel: the price table is interpolated in its logarithm
                mult = np.exp(bilinear(a["log_price"][k, b, regime], row, col))
                use = min(bilinear(a["use_share"][k, b, regime], row, col) * reference_use, market)
                hit |= {
                    name
                    for name, taken in (
                        ("the announced regime", regime == 1),
                        ("availability below the table", steps_a < 0),
                        ("availability above the table", steps_a > n_avail - 1),
                        ("inflow below the table", steps_f < 0),
                        ("inflow above the table", steps_f > n_inflow - 1),
                        ("use capped by what is on hand", use == market),
                        ("shortfall", use < wanted[b]),
                        ("use above the reference", use > wanted[b]),
                    )
                    if taken
                }
            else:  # kernel: a bloc without demand uses nothing and keeps its price
                mult, use = v["price"][b] / ref, 0.0
                hit.add("a bloc without demand")
            mult_clipped = min(max(mult, a["floor_multiple"][k]), a["choke_multiple"][k])
            if mult_clipped != mult:
                hit.add("price at the floor" if mult < 1 else "price at the choke")
            price = ref * mult_clipped
            # the expected price (time constant price.smoothing, section 13) and the price
            # users have adjusted to (section 6)
            expected = v["expected"][b] + a["smooth"][k] * (price - v["expected"][b])
            adjusted = v["adjusted"][b] + a["adjust"][k] * (price - v["adjusted"][b])
            # section 7, on the new expected price
            relative = expected / ref
            if relative > a["sub_threshold"][k]:
                hit.add("substituting")
                rising = v["substituted"][b] + a["sub_rate"][k] * dt
                substituted = min(rising, a["sub_max"][k])
            else:
                hit.add("switching back")
                substituted = v["substituted"][b] * a["sub_decay"][k]
            reach = min(max((relative - 1.0) / (a["rec_full"][k] - 1.0), 0.0), 1.0)
            start, top = a["rec_start"][k], a["rec_max"][k]
            goal = start + (top - start) * reach
            recycling = v["recycling"][b] + (goal - v["recycling"][b]) * a["rec_step"][k]
            new_stock = market - use
            row_values = {
                "wanted": max(wanted[b], use),  # kernel: use above Dw raises Dw (section 10b)
                "stock": new_stock,
                "price": price,
                "expected": expected,
                "adjusted": adjusted,
                "substituted": substituted,
                "recycling": recycling,
                "last_use": use / dt,
                "inflow": inflow[b],
                "last_shortfall": max(wanted[b] - use, 0.0),
                "recycled": recycled[b],
                "delivered": delivered[b],
                "use": use,
                "purchased": bought,
                "stock_change": new_stock - v["stock"][b],
            }
            for name, value in row_values.items():
                out[name][k, b, r] = value
    return out, hit


def reachable_sets(stop_sets: Iterable[tuple[int, ...]], B: int) -> np.ndarray:
    """Section 4: the masks [M, B] of the sets a flow may reach, "all blocs minus a union of
    some T_i", smallest first (ties by their blocs), all blocs last."""
    unions = [frozenset()]
    for targets in stop_sets:
        unions += [u | frozenset(targets) for u in unions]
    sets = {frozenset(range(B)) - u for u in unions} - {frozenset()}
    ordered = sorted(sets, key=lambda s: (len(s), sorted(s)))
    return np.array([[b in s for b in range(B)] for s in ordered])


def layer_widths(stops: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Section 4: w[p, M] = max(0, min(1, min_{b∉M} z[p,b]) − max_{b∈M} z[p,b]) for one
    producer's stops z [B] (zero for its home bloc)."""
    return np.array(
        [max(0.0, min(1.0, stops[~m].min(initial=1.0)) - stops[m].max()) for m in masks]
    )


# -- recorded and random states --------------------------------------------------------------


def _copy(value: Any) -> Any:
    """A copy of an array argument (the kernel writes in place), other arguments as they are."""
    return value.copy() if isinstance(value, np.ndarray) else value


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, reserve_text: str) -> tuple[World, dict[int, tuple[Args, Args]]]:
    """The world and the arguments of `kernels.trade` before and after the call at `TICKS`,
    in the small scenario with its alliance gallium reserve and the gallium control announced
    two months ahead: so that purchases, releases, the announced regime and the control's
    layers all act. Recorded by wrapping the kernel while `run_batch` drives the engine."""
    path = tmp_path_factory.mktemp("reference") / "small.yaml"
    path.write_text(reserve_text)
    # half full at the start, so that it buys in the calm market
    loaded = sim.load(
        path, sets=("+disruptions.ga-control.announced=2026-05", "policies.reserve.initial=0.5")
    )
    world = compile_world(loaded.scenario)
    calm_path(loaded.scenario, world, 3)  # the world's no-disruption run, before recording
    calls: dict[int, tuple[Args, Args]] = {}
    original = kernels.trade
    ticks = itertools.count()

    def recording(*args: Any) -> None:
        tick = next(ticks)
        if tick not in TICKS:
            original(*args)
            return
        before = by_name(args)
        original(*args)
        calls[tick] = (before, by_name(args))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "trade", recording)
        run_batch(loaded.scenario, np.arange(8), seed=3, world=world, option="reserve")
    assert sorted(calls) == list(TICKS)
    return world, calls


def random_state(template: Args, world: World, rng: np.random.Generator, layers: str) -> Args:
    """Random stocks, inflows, prices, demand, output, controls' stops, offtake deliveries,
    strategic purchases and releases, announcements and bounds, on the shapes and tables of
    a recorded call; the announced regime's tables are shifted so that reading the wrong
    regime shows."""
    a = {name: _copy(value) for name, value in template.items()}
    K, B, R = a["stock"].shape
    _, S, M, P, _ = a["widths"].shape
    dt, ref = a["dt"], a["ref"][:, None, None]
    kbr = (K, B, R)

    def some(shape: tuple[int, ...], share: float) -> np.ndarray:
        """1 for a random `share` of the entries, else 0."""
        return (rng.random(shape) < share).astype(float)

    wanted = a["wanted"].mean(axis=2, keepdims=True) * rng.uniform(0.5, 1.5, kbr)
    wanted[GALLIUM, REST, 3] = 0.0  # a bloc without demand
    produced = a["produced"] * rng.uniform(0.0, 2.0, (K, P, R))
    for k, b in itertools.product(range(K), range(B)):  # some new capacity built
        slot = world.new_slot[k, S - 1, b]
        produced[k, slot] = rng.uniform(0.0, 0.3, R) * wanted[k].sum(axis=0)
    produced[..., 0] = 0.0  # nothing produced: stocks alone
    recycling = rng.uniform(0.0, 0.2, kbr)
    a |= {
        "wanted": wanted,
        "produced": produced,
        "stock": a["target_stock"][..., None] * rng.lognormal(0.0, 2.0, kbr) * some(kbr, 0.85),
        "inflow": rng.uniform(-0.2, 3.0, kbr),
        "price": ref * rng.lognormal(0.0, 0.7, kbr),
        "expected": ref * rng.uniform(0.5, 3.0, kbr),
        "adjusted": ref * rng.uniform(0.5, 2.0, kbr),
        "substituted": rng.uniform(0.0, 1.0, kbr) * a["sub_max"][:, None, None],
        "recycling": recycling,
        "rec_share": recycling + rng.uniform(0.0, 0.2, kbr) * some(kbr, 0.3),  # floors
        "last_use": wanted / dt * rng.uniform(0.5, 1.5, kbr),
        "direct": wanted * rng.uniform(0.0, 0.5, kbr) * some(kbr, 0.3),
        "release": wanted * rng.uniform(0.0, 0.5, kbr) * some(kbr, 0.3),
        "plan": wanted * rng.uniform(0.0, 3.0, kbr) * some(kbr, 0.4),
        "announced": rng.choice([0.0, 0.3, 0.7, 1.0], kbr),
        "ahead": rng.uniform(1.0, 4.0, (K, B)),
        "building": rng.uniform(0.0, 0.05, (K, B)),
        "floor_multiple": rng.uniform(0.3, 0.9, K),
        "choke_multiple": rng.uniform(1.5, 5.0, K),
        "varies": np.array([True, bool(rng.random() < 0.5)]),
    }
    # replication 0 produces nothing: its alliance has nothing on hand, China minutes of use
    for name in ("rec_share", "release", "direct"):
        a[name][:, [ALLIANCE, CHINA], 0] = 0.0
    a["stock"][:, ALLIANCE, 0] = 0.0
    a["stock"][:, CHINA, 0] = 1e-4 * wanted[:, CHINA, 0]
    a["rec_start"] = rng.uniform(0.0, 0.05, K)
    a["rec_max"] = a["rec_start"] + rng.uniform(0.0, 0.3, K)
    a["rec_full"] = rng.uniform(2.0, 4.0, K)
    a["log_price"][:, :, 1] += 0.2
    a["use_share"][:, :, 1] *= 0.97
    for name in OUTPUT_ONLY:
        a[name] = np.full_like(a[name], np.nan)
    # the controls: each stops its origin bloc's producers from reaching its targets
    masks = reachable_sets(STOP_SETS[layers], B)
    stop = np.zeros((K, S, P, B, R))
    for targets, origin in zip(STOP_SETS[layers], ORIGINS[layers], strict=True):
        level = rng.uniform(0.0, 1.0, R) * some((R,), 0.8)
        stopped = world.producer_bloc == origin  # [K, S, P]
        for b in targets:
            stop[stopped, b] = np.maximum(stop[stopped, b], level)
    widths = np.zeros((K, S, M, P, R))
    for k, s, p, r in itertools.product(range(K), range(S), range(P), range(R)):
        widths[k, s, :, p, r] = layer_widths(stop[k, s, p, :, r], masks)
    home = np.eye(B, dtype=bool)[world.producer_bloc]
    from_kernel = np.empty_like(widths)
    kernels.flow_layers(stop, home, masks, np.arange(R), from_kernel)
    np.testing.assert_allclose(from_kernel, widths, rtol=0, atol=1e-15)
    np.testing.assert_allclose(widths.sum(axis=2), 1.0, rtol=1e-12)  # no flow lost
    a |= {"masks": masks, "widths": widths}
    return {
        name: np.ascontiguousarray(v) if isinstance(v, np.ndarray) else v for name, v in a.items()
    }


def run_kernel(args: Args) -> Args:
    """`kernels.trade` on copies of `args`; returns the copies, as the kernel left them."""
    copies = {name: _copy(value) for name, value in args.items()}
    kernels.trade(*call(copies))
    return copies


def assert_same(kernel: Args, reference: dict[str, np.ndarray], where: str) -> None:
    """Every array the kernel writes equals the reference's to rounding (NaN where neither
    wrote: the rows of a commodity that does not vary)."""
    for name in WRITTEN:
        np.testing.assert_allclose(
            kernel[name], reference[name], rtol=RTOL, atol=ATOL, err_msg=f"{where}: {name}"
        )


# -- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("tick", TICKS)
def test_kernel_equals_the_reference_on_recorded_clearings(recorded, tick: int) -> None:
    """Every array the kernel wrote in a real clearing is the reference's, and it left every
    other argument as it was."""
    _, calls = recorded
    before, after = calls[tick]
    expected, _ = reference_trade(before)
    assert_same(after, expected, f"tick {tick}")
    for name in set(NAMES) - set(WRITTEN):
        if isinstance(before[name], np.ndarray):
            np.testing.assert_array_equal(after[name], before[name], err_msg=name)


def test_recorded_clearings_are_the_states_they_claim(recorded) -> None:
    """The recorded ticks exercise purchases, releases, the announced regime and the
    control: otherwise the comparison above would test less than it says."""
    _, calls = recorded
    calm, told, control, late = (calls[t][0] for t in TICKS)
    assert (calm["plan"][GALLIUM, ALLIANCE] > 0).all()
    assert (told["announced"][GALLIUM, ALLIANCE] > 0.5).all()
    assert told["ahead"][GALLIUM, ALLIANCE] > 1.5
    assert (told["release"][GALLIUM, ALLIANCE] > 0).all()
    last = control["widths"].shape[1] - 1
    assert (control["widths"][GALLIUM, last, -1] < 1).any()  # some flow barred
    assert (control["announced"] == 0).all() and (late["announced"] == 0).all()
    assert (calls[30][1]["price"][GALLIUM, ALLIANCE] > 1.5 * calls[30][0]["ref"][GALLIUM]).all()


def test_the_kernel_is_given_the_docs_coefficients(recorded) -> None:
    """The constants `Market.clear` hands the kernel are those of docs/model.md: lags as
    1 − exp(−Δ/τ), the table grids of section 5, stock targets of trend use, the stock
    building inflow g_S = S·ln(1 + g), `ahead` = S*¹/S*, and the layers of section 4."""
    world, calls = recorded
    tick = 30
    a = calls[tick][0]
    dt = world.dt
    assert a["dt"] == dt
    for name, value in (
        ("learn", 1 - np.exp(-dt / world.learning)),
        ("smooth", 1 - np.exp(-dt / world.smoothing)),
        ("adjust", 1 - np.exp(-dt / world.adjustment)),
        ("sub_decay", np.exp(-dt / world.sub_reversal)),
        ("rec_step", 1 - np.exp(-dt / world.rec_lag)),
        (
            "target_stock",
            world.demand * (1 + world.demand_growth) ** (tick * dt) * world.stock_days / 365,
        ),
        ("building", world.stock_days / 365 * np.log1p(world.demand_growth)),
        ("ahead", world.announced_days / world.stock_days),
        ("log_price", np.log(world.storage_price)),
        ("use_share", world.storage_use),
    ):
        np.testing.assert_allclose(a[name], value, rtol=1e-14, err_msg=name)
    n_inflow, n_avail = a["log_price"].shape[3:]
    assert (n_inflow, n_avail) == (51, 300)  # inflows 0, 0.05, ..., 2.5; 300 availabilities
    assert a["inflow_step"] * (n_inflow - 1) == pytest.approx(2.5, rel=1e-15)
    assert a["log_a0"] == pytest.approx(np.log(1e-5), rel=1e-15)
    assert a["log_a0"] + (n_avail - 1) * a["log_step"] == pytest.approx(np.log(10), rel=1e-14)
    # the control to the alliance and the quota on China's antimony exports to all others
    np.testing.assert_array_equal(a["masks"], reachable_sets(STOP_SETS["nested"], 3))


def test_kernel_equals_the_reference_on_random_states(recorded) -> None:
    """Random states, with nested and disjoint layers, reach every branch of the clearing,
    and the kernel gives the reference's numbers in all of them. The reference itself keeps
    the mass balance of section 10, and its trade by origin adds up to the deliveries."""
    world, calls = recorded
    template = calls[30][0]
    hits: set[str] = set()
    for seed, layers in itertools.product(range(4), STOP_SETS):
        rng = np.random.default_rng([20260204, seed])
        args = random_state(template, world, rng, layers)
        expected, hit = reference_trade(args)
        hits |= hit
        assert_same(run_kernel(args), expected, f"seed {seed}, {layers} layers")
        rows = np.ones(args["stock"].shape, dtype=bool)
        rows[~args["varies"], :, 1:] = False
        inflow = expected["delivered"] + expected["recycled"] + args["release"]
        outflow = expected["use"] + expected["stock_change"] + expected["purchased"]
        np.testing.assert_allclose(inflow[rows], outflow[rows], rtol=1e-12, atol=1e-9)
        supplied = args["produced"].sum(axis=1) + args["direct"].sum(axis=1)  # [K, R]
        got = np.where(rows, expected["delivered"], 0.0).sum(axis=1)
        np.testing.assert_allclose(got, np.where(rows[:, 0], supplied, 0.0), rtol=1e-12)
        from_origins = expected["traded"].sum(axis=1) + args["direct"]  # offtake: Market.clear
        np.testing.assert_allclose(from_origins[rows], expected["delivered"][rows], rtol=1e-12)
    wanted = {
        "a layer that reaches one bloc",
        "a commodity that does not vary",
        "purchases pro rata",
        "the announced regime",
        "availability below the table",
        "availability above the table",
        "inflow below the table",
        "inflow above the table",
        "use capped by what is on hand",
        "shortfall",
        "use above the reference",
        "a bloc without demand",
        "price at the floor",
        "price at the choke",
        "substituting",
        "switching back",
    }
    assert wanted <= hits, wanted - hits
