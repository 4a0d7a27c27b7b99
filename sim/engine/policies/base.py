"""What every policy instrument shares: its context, the effects it has on a tick, its ledger.

An instrument's life in a batch:
  `Instrument(name, spec, ctx)`   compile the spec against the world (arrays with a replication axis)
  `start(env)`                    schedule SimPy processes (terms starting and ending, capacity arriving)
  `prepare(tick)`                 read the market before the tick (triggers; partners may look)
  `before_clear(tick, effects)`   say what the instrument does to this tick's market, in the
                                  `Effects` fields it names in `writes` (the others are not
                                  reset between ticks)
  `after_clear(tick, flows, ledger)`  update its state from what happened; book fiscal cost
  `state()`                       arrays [R, K, B] to report (e.g. strategic stocks in tonnes),
                                  valid until the instrument's next tick
  `report()`                      end-of-run figures per replication (purchases, spend, ...)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .. import layout

if TYPE_CHECKING:
    from ...scenario.schema import Scenario
    from ..market import Flows, Market
    from ..world import World


@dataclass
class Context:
    """What an instrument may use to compile itself and act."""

    scenario: Scenario
    world: World
    market: Market
    replications: np.ndarray
    seed: int
    instruments: dict[str, Instrument] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.replications)

    def money(self, amount: Any) -> float:
        """An amount (units.Money) in the reporting currency."""
        return amount.convert(self.scenario.fx, self.scenario.currency)

    def price(self, price: Any) -> float:
        """A price (units.Price) in reporting currency per tonne."""
        return price.convert(self.scenario.fx, self.scenario.currency)

    def owner_blocs(self, owners: list[str]) -> np.ndarray:
        """Bloc indices of owners given as bloc names or ISO country codes (sorted, unique)."""
        from ...scenario.countries import expand_members

        country_bloc, rest = self.scenario.bloc_of_countries()
        out = set()
        for o in owners:
            if o in self.world.blocs:
                out.add(self.world.blocs.index(o))
                continue
            for code in expand_members([o]):
                bloc = country_bloc.get(code, rest)
                if bloc is not None:
                    out.add(self.world.blocs.index(bloc))
        return np.array(sorted(out), dtype=np.intp)


class Effects:
    """What policies do to one tick's market, summed over instruments. Zero means none.

    `written` names the fields the instruments in force write (`Instrument.writes`; all when
    None): only those are reset each tick, since filling the others would cost a pass over
    arrays that keep their neutral value anyway."""

    FIELDS = (
        "release",
        "purchase",
        "producer_floor",
        "min_utilisation",
        "tariff",
        "reference_price",
        "recycling_floor",
        "investment_floor",
    )
    NEUTRAL: ClassVar[dict[str, float]] = {"tariff": 1.0}
    """A field's value when no policy acts, if not zero."""

    def __init__(
        self, n: int, K: int, S: int, P: int, B: int, written: Iterable[str] | None = None
    ):
        # stored replication-last, as the market's arrays (engine/layout.py)
        self.release = layout.zeros(n, K, B)  # t this tick added to blocs from strategic stocks
        self.purchase = layout.zeros(n, K, B)  # t this tick strategic buyers want from blocs
        self.producer_floor = layout.zeros(n, K, S, P)  # price covered producers are sure of
        self.min_utilisation = layout.zeros(n, K, S, P)  # committed output (offtake)
        self.tariff = layout.ones(n, K, B)  # ad valorem wedges on imports, multiplied together
        self.reference_price = layout.zeros(n, K, B)  # prices tariffs lift the bloc to, at least
        self.recycling_floor = layout.zeros(n, K, B)  # share of use met from scrap at least
        self.investment_floor = layout.zeros(n, K, B)  # price investors in a bloc are sure of
        # offtake deliveries (k, p, b, t this tick, to_market); the market answers with what
        # each one actually delivered, in `Flows.direct_taken`, in the same order
        self.direct: list[tuple[int, int, int, np.ndarray, bool]] = []
        self.written = tuple(f for f in self.FIELDS if written is None or f in written)
        self.kernel = {f: layout.kernel(getattr(self, f)) for f in self.FIELDS}
        """The replication-last arrays the market's kernels take, made once: the fields are
        written in place, never replaced."""
        self._reset = [(getattr(self, f), self.NEUTRAL.get(f, 0.0)) for f in self.written]

    def reset(self) -> None:
        for array, neutral in self._reset:
            array.fill(neutral)
        self.direct.clear()


class Ledger:
    """Fiscal cost in the reporting currency: net outlays (payments and purchases less sales
    and tariff revenue), booked by commodity and bloc, and by instrument. A compiled
    instrument may add to `tick` and `by_policy[name]` itself, in the order `book` would."""

    def __init__(self, n: int, K: int, B: int, names: list[str]):
        self.tick = layout.zeros(n, K, B)  # replication-last, as the flows
        self.by_policy = {name: np.zeros(n) for name in names}

    def reset_tick(self) -> None:
        self.tick.fill(0.0)

    def book(self, policy: str, k: int, b: int | np.ndarray, amount: np.ndarray) -> None:
        """Add `amount` [R] (or [R, len(b)]) of cost to commodity k and bloc(s) b."""
        self.tick[:, k, b] += amount
        self.by_policy[policy] += amount if isinstance(b, int | np.integer) else amount.sum(-1)


class Instrument:
    """Base class: an instrument that does nothing. Subclasses override what they need."""

    writes: tuple[str, ...] = ()
    """`Effects` fields that `before_clear` writes."""

    def __init__(self, name: str, spec: Any, ctx: Context):
        self.name = name
        self.spec = spec
        self.ctx = ctx

    def start(self, env: Any) -> None:
        """Schedule SimPy processes."""

    def prepare(self, tick: int) -> None:
        """Read the market before the tick."""

    def before_clear(self, tick: int, effects: Effects) -> None:
        """Add this instrument's effects on the tick."""

    def after_clear(self, tick: int, flows: Flows, ledger: Ledger) -> None:
        """Update state and book fiscal cost."""

    def state(self) -> dict[str, np.ndarray]:
        """Arrays [R, K, B] to report, summed over instruments by name."""
        return {}

    def report(self) -> dict[tuple[str, str], np.ndarray]:
        """End-of-run figures [R] by (commodity or 'all', metric), for policies.csv."""
        return {}
