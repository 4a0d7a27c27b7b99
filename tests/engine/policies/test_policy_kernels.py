"""The compiled instrument kernels give exactly what the numpy formulas they replace give.

Each reference below is the numpy code the instruments ran before their tick was compiled;
results must be equal bit for bit, not merely close, or runs would change."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.policies import kernels
from sim.engine.policies.base import Ledger

R, K, S, P, B = 7, 10, 2, 4, 3
DT = 1 / 52


def draw(seed: int, C: int) -> dict:
    """Random inputs for a stockpile of C commodities owned by blocs 0 and 2."""
    rng = np.random.default_rng(seed)
    k = rng.choice(K, C, replace=False).astype(np.intp)
    blocs = np.array([0, 2], dtype=np.intp)
    weights = rng.random((C, 2))
    weights /= weights.sum(-1, keepdims=True)
    scale = 10.0 ** rng.integers(-3, 5, size=(R, K, B))  # mixed magnitudes test the order
    plan = rng.random((R, K, B)) * scale
    plan[rng.random((R, K, B)) < 0.2] = 0.0  # no strategic buyer in some blocs
    return dict(
        k=k,
        blocs=blocs,
        weights=weights,
        price=rng.random((R, K, B)) * scale,
        shortfall=np.where(rng.random((R, K, B)) < 0.3, rng.random((R, K, B)), 0.0),
        last_use=rng.random((R, K, B)) * scale,
        ref=rng.random(C) + 0.5,
        target=rng.random(C) * 100,
        level=rng.random((R, C)) * 120,
        releasing=rng.random((R, C)) < 0.3,
        net_spend=rng.random(R) * 1e4,
        plan=plan,
        got=plan * rng.random((R, K, B)),
        buy=rng.random((R, C)),
        sell=rng.random((R, C)),
        initial_cost=rng.random((R, C)),
    )


def owner_price_numpy(price, k, blocs, weights):
    return (price[:, k[:, None], blocs[None, :]] * weights[None]).sum(-1)


def test_row_sum_adds_in_numpys_order():
    rng = np.random.default_rng(0)
    for n in range(129):  # below 8 terms, and the eight partial sums up to 128
        x = rng.random((5, n)) * 10.0 ** rng.integers(-8, 8, n) * rng.choice([-1, 1], n)
        assert [kernels.row_sum(row) for row in x] == x.sum(-1).tolist(), n


@pytest.mark.parametrize("seed, C", [(0, 3), (1, 1), (2, 9)])
def test_triggers_are_the_owners_price_and_shortfall(seed, C):
    d = draw(seed, C)
    price, fired, releasing = np.empty((R, C)), np.empty((R, C), bool), np.empty((R, C), bool)
    share = 0.01
    args = (
        d["price"],
        d["shortfall"],
        d["last_use"],
        DT,
        share,
        d["k"],
        d["blocs"],
        d["weights"],
        d["ref"],
    )
    kernels.stockpile_triggers(*args, True, 2.0, True, price, fired, releasing)
    p = owner_price_numpy(d["price"], d["k"], d["blocs"], d["weights"])
    cells = (slice(None), d["k"][:, None], d["blocs"][None, :])
    missing = d["shortfall"][cells].sum(-1)
    wanted = missing + (d["last_use"][cells] * DT).sum(-1)
    short = missing > share * wanted  # more than 1% of the use wanted went unmet
    assert np.array_equal(price, p)
    assert np.array_equal(fired, (p / d["ref"] >= 2.0) | short)
    assert np.array_equal(releasing, fired)
    kernels.stockpile_triggers(*args, False, 0.0, False, price, fired, releasing)
    assert not fired.any()


def plan_numpy(d, price, budget, buying, below, carry=0.03):
    """The numpy formulas of the stockpile's `before_clear` (docs/model.md 12.1)."""
    target, level, releasing = d["target"], d["level"], d["releasing"]
    k, blocs = d["k"], d["blocs"]
    release = np.where(
        releasing, np.clip(np.minimum(2.0 * target * DT, level - 0.1 * target), 0, None), 0.0
    )
    buy = np.zeros_like(release)
    if buying:
        allowed = ~releasing
        if below is not None:
            allowed &= price / d["ref"] <= below
        room = np.clip(target - level, 0, None)
        use_now = d["last_use"][:, k[:, None], blocs[None, :]].sum(-1)
        cap = 0.05 * 0.3 * use_now * DT
        want = np.minimum(np.minimum(0.5 * target * DT, room), cap)
        if np.isfinite(budget):
            # the budget pays for what it buys and for keeping all it holds to the end
            held = (level * d["ref"]).sum(-1)
            money = np.clip(budget - d["net_spend"] - carry * held, 0, None)
            cost = (want * (price + carry * d["ref"])).sum(-1)
            scale = np.ones_like(money)
            np.divide(money, cost, out=scale, where=cost > money)
            want = want * scale[:, None]
        buy = np.where(allowed, want, 0.0)
    return buy, release


@pytest.mark.parametrize("seed, C", [(3, 3), (4, 1), (5, 9)])
@pytest.mark.parametrize("budget", [np.inf, 3e3])
@pytest.mark.parametrize("buying, below", [(True, None), (True, 1.0), (False, None)])
def test_plan_is_the_numpy_formula(seed, C, budget, buying, below):
    d = draw(seed, C)
    price = owner_price_numpy(d["price"], d["k"], d["blocs"], d["weights"])
    buy, sell = np.empty((R, C)), np.empty((R, C))
    release, purchase = np.ones((R, K, B)), np.ones((R, K, B))  # others have acted already
    kernels.stockpile_plan(
        d["target"],
        d["releasing"],
        d["level"],
        price,
        d["ref"],
        d["last_use"],
        d["k"],
        d["blocs"],
        d["weights"],
        DT,
        0.1,
        2.0,
        buying,
        below is not None,
        below or 0.0,
        0.5,
        0.05 * 0.3,
        budget,
        0.03,
        d["net_spend"],
        buy,
        sell,
        release,
        purchase,
    )
    want_buy, want_sell = plan_numpy(d, price, budget, buying, below)
    assert np.array_equal(buy, want_buy) and np.array_equal(sell, want_sell)
    want_release, want_purchase = np.ones((R, K, B)), np.ones((R, K, B))
    for j, kk in enumerate(d["k"]):
        want_release[:, kk, d["blocs"]] += want_sell[:, j, None] * d["weights"][j]
        want_purchase[:, kk, d["blocs"]] += want_buy[:, j, None] * d["weights"][j]
    assert np.array_equal(release, want_release) and np.array_equal(purchase, want_purchase)


def test_coordination_adds_the_partners_triggers_on_shared_commodities():
    releasing = np.array([[False, False, True], [False, False, False]])
    partner = np.array([[True, False], [False, True]])
    kernels.coordinate(releasing, np.array([0, 1]), partner, np.array([1, 0]))
    assert releasing.tolist() == [[False, True, True], [True, False, False]]


def settle_numpy(d, price, first_tick, at_market, ledger):
    """The numpy formulas of the stockpile's `after_clear`, commodity by commodity."""
    level, net_spend = d["level"].copy(), d["net_spend"].copy()
    max_net_spend = net_spend * 0.9
    totals = [np.ones((R, len(d["k"]))) for _ in range(5)]  # bought, sold, spent, earned, held
    for j, k in enumerate(d["k"]):
        w = d["weights"][j]
        planned = d["plan"][:, k, d["blocs"]]
        got = d["got"][:, k, d["blocs"]]
        ratio = np.where(planned > 0, got / np.where(planned > 0, planned, 1.0), 0.0)
        bought_b = d["buy"][:, j, None] * w * ratio
        sold_b = d["sell"][:, j, None] * w
        bought, sold = bought_b.sum(-1), sold_b.sum(-1)
        level[:, j] += bought - sold
        p = price[:, j]
        sale = p if at_market else np.full_like(p, d["ref"][j])
        holding = 0.02 * level[:, j] * d["ref"][j] * DT
        net_spend += bought * p - sold * sale
        net_spend += holding  # holding counts against the budget
        max_net_spend = np.maximum(max_net_spend, net_spend)
        for total, x in zip(totals, (bought, sold, bought * p, sold * sale, holding), strict=True):
            total[:, j] += x
        cost = bought_b * p[:, None] - sold_b * sale[:, None] + holding[:, None] * w
        if first_tick:
            cost = cost + d["initial_cost"][:, j, None] * w
        ledger.book("s", k, d["blocs"], cost)
    return level, net_spend, max_net_spend, totals


@pytest.mark.parametrize("seed, C", [(6, 3), (7, 1), (8, 9)])
@pytest.mark.parametrize("first_tick", [True, False])
@pytest.mark.parametrize("at_market", [True, False])
def test_settlement_is_the_numpy_formula(seed, C, first_tick, at_market):
    d = draw(seed, C)
    price = owner_price_numpy(d["price"], d["k"], d["blocs"], d["weights"])
    ledger, want_ledger = Ledger(R, K, B, ["s"]), Ledger(R, K, B, ["s"])
    for book in (ledger, want_ledger):  # other instruments have booked already
        book.tick += 1.0
        book.by_policy["s"] += 2.0
    level, net_spend = d["level"].copy(), d["net_spend"].copy()
    max_net_spend = net_spend * 0.9
    totals = [np.ones((R, C)) for _ in range(5)]
    stock = np.full((R, K, B), 5.0)
    kernels.stockpile_settle(
        d["plan"],
        d["got"],
        d["buy"],
        d["sell"],
        price,
        d["k"],
        d["blocs"],
        d["weights"],
        d["ref"],
        DT,
        0.02,
        at_market,
        d["initial_cost"],
        first_tick,
        level,
        net_spend,
        max_net_spend,
        *totals,
        ledger.tick,
        ledger.by_policy["s"],
        stock,
    )
    want = settle_numpy(d, price, first_tick, at_market, want_ledger)
    assert np.array_equal(level, want[0])
    assert np.array_equal(net_spend, want[1]) and np.array_equal(max_net_spend, want[2])
    assert all(np.array_equal(a, b) for a, b in zip(totals, want[3], strict=True))
    assert np.array_equal(ledger.tick, want_ledger.tick)
    assert np.array_equal(ledger.by_policy["s"], want_ledger.by_policy["s"])
    # holdings are spread to the owners' blocs by use; other cells are left alone
    want_stock = np.full((R, K, B), 5.0)
    want_stock[:, d["k"][:, None], d["blocs"][None, :]] = 0.0
    for j, k in enumerate(d["k"]):
        want_stock[:, k, d["blocs"]] += level[:, j, None] * d["weights"][j]
    assert np.array_equal(stock, want_stock)


def border(seed: int):
    rng = np.random.default_rng(seed)
    output = rng.random((R, K, S, P)) * 100
    delivered = rng.random((R, K, B)) * 150
    home = np.array([1, 3], dtype=np.intp)
    imports = np.maximum(delivered[:, 4, 1] - output[:, 4, -1, home].sum(-1), 0.0)
    return rng, output, delivered, home, imports


def test_tariff_revenue_is_the_numpy_formula():
    rng, output, delivered, home, imports = border(9)
    price = rng.random(R) * 1e5
    ledger, want = Ledger(R, K, B, ["t"]), Ledger(R, K, B, ["t"])
    kernels.book_tariff(
        0.25, price, output, delivered, 4, 1, home, ledger.tick, ledger.by_policy["t"]
    )
    want.book("t", 4, 1, -(0.25 * price * imports))
    assert np.array_equal(ledger.tick, want.tick)
    assert np.array_equal(ledger.by_policy["t"], want.by_policy["t"])


def test_reference_tariff_revenue_is_the_numpy_formula():
    rng, output, delivered, home, imports = border(10)
    price, wedge = rng.random(R) * 2e5, 1 + rng.random((R, K, B))
    ledger, want = Ledger(R, K, B, ["t"]), Ledger(R, K, B, ["t"])
    kernels.book_reference_tariff(
        2e5, price, wedge, output, delivered, 4, 1, home, ledger.tick, ledger.by_policy["t"]
    )
    gap = np.maximum(2e5 - price * wedge[:, 4, 1], 0.0)
    want.book("t", 4, 1, -gap * imports)
    assert gap.any() and np.array_equal(ledger.tick, want.tick)
    assert np.array_equal(ledger.by_policy["t"], want.by_policy["t"])


@pytest.mark.parametrize("cap", [np.inf, 40.0])
def test_cfd_payment_is_the_numpy_formula(cap):
    rng = np.random.default_rng(11)
    output = rng.random((R, K, S, P)) * 100
    p, p_bloc = np.array([0, 2], dtype=np.intp), np.array([0, 2], dtype=np.intp)
    home, protection = rng.random((R, 2)) * 2e5, 1 + rng.random((R, K, B))
    ledger, want = Ledger(R, K, B, ["c"]), Ledger(R, K, B, ["c"])
    kernels.book_cfd(
        1.5e5, cap, home, protection, output, 4, p, p_bloc, 0, ledger.tick, ledger.by_policy["c"]
    )
    out = output[:, 4, -1, p]
    total = out.sum(-1)
    covered = np.where(total > cap, cap / np.maximum(total, 1e-300), 1.0)
    seen = home * protection[:, 4, p_bloc]
    want.book("c", 4, 0, (np.maximum(1.5e5 - seen, 0.0) * out).sum(-1) * covered)
    assert np.array_equal(ledger.tick, want.tick)
    assert np.array_equal(ledger.by_policy["c"], want.by_policy["c"])


def test_floors_raise_what_is_below_and_keep_what_is_above():
    rng = np.random.default_rng(12)
    price = rng.random((R, K, B)) * 2e5
    investment, reference = rng.random((R, K, B)) * 2e5, rng.random((R, K, B)) * 2e5
    want_inv, want_ref = investment.copy(), reference.copy()
    seen = np.empty(R)
    kernels.reference_floor(1e5, price, 4, 1, investment, reference, seen)
    want_inv[:, 4, 1] = np.maximum(want_inv[:, 4, 1], 1e5)
    want_ref[:, 4, 1] = np.maximum(want_ref[:, 4, 1], 1e5)
    assert np.array_equal(investment, want_inv) and np.array_equal(reference, want_ref)
    assert np.array_equal(seen, price[:, 4, 1])
    producer = rng.random((R, K, S, P)) * 2e5
    want_prod = producer.copy()
    p, p_bloc, blocs = np.array([1, 3]), np.array([0, 2]), np.array([0, 2])
    home = np.empty((R, 2))
    kernels.cfd_floor(1e5, price, 4, blocs, 1, p, p_bloc, investment, producer, home)
    want_inv[:, 4, blocs] = np.maximum(want_inv[:, 4, blocs], 1e5)
    want_prod[:, 4, 1, p] = np.maximum(want_prod[:, 4, 1, p], 1e5)
    assert np.array_equal(investment, want_inv) and np.array_equal(producer, want_prod)
    assert np.array_equal(home, price[:, 4, p_bloc])


@pytest.mark.parametrize("fixed, to_market", [(True, True), (False, True), (True, False)])
def test_offtake_settlement_is_the_numpy_formula(fixed, to_market):
    rng = np.random.default_rng(13)
    got, requested, price = rng.random(R) * 10, rng.random(R) * 12, rng.random((R, K, B)) * 1e5
    totals = np.ones((5, R))
    ledger, want = Ledger(R, K, B, ["o"]), Ledger(R, K, B, ["o"])
    kernels.book_offtake(
        got,
        requested,
        price,
        4,
        1,
        fixed,
        9e4,
        0.1,
        to_market,
        3.0,
        totals,
        ledger.tick,
        ledger.by_policy["o"],
    )
    p = price[:, 4, 1]
    paid = got * (9e4 if fixed else p * (1 - 0.1))
    resold = got * (p if to_market else np.zeros_like(p))
    premium = np.full(R, 3.0)
    want_totals = np.ones((5, R)) + np.array([requested, got, paid, resold, premium])
    want.book("o", 4, 1, paid - resold + premium)
    assert np.array_equal(totals, want_totals)
    assert np.array_equal(ledger.tick, want.tick)
    assert np.array_equal(ledger.by_policy["o"], want.by_policy["o"])
