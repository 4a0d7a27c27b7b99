"""Trade flows by origin and destination (`Flows.traded`): summed over origins they are the
deliveries, a control empties the flow it bars, re-routing moves origins with its lag, and
offtake deliveries come from their producer's bloc."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.engine import compile_world, kernels, run_batch
from sim.engine.recorder import Recorder
from sim.engine.simulation import calm_path
from sim.scenario import LoadedScenario

GALLIUM = 0
ALLIANCE, CHINA, REST = 0, 1, 2
CONTROL = slice(26, 78)  # ga-control: 2026-07 (tick 26) for 12 months (52 weekly ticks)
FULL = ("disruptions.ga-control.severity=1", "~disruptions.ga-control.licensing")
"""The small scenario's gallium control made total: nothing from China reaches the alliance."""
LAG = tuple(f"+commodities.{c}.trade.rerouting=3 months" for c in ("gallium", "antimony"))

OFFTAKE = """
policies:
  deal:
    type: offtake
    buyer: JP
    commodity: gallium
    producers: [CN]
    volume: 100 t
    strike: 300 USD/kg
    years: 4
  reserve: {type: stockpile, owners: [alliance], commodities: [gallium], days: 30}
options:
  market: [deal]
  stocked: [deal, reserve]
"""
"""An alliance buyer's offtake from China's refiners, resold in its market or stocked."""


def run(
    monkeypatch: pytest.MonkeyPatch, loaded: LoadedScenario, option: str | None = None
) -> dict[str, np.ndarray]:
    """A batch of 4 replications; each tick's flows as the recorder saw them, stacked
    [T, R, ...] (`traded`, `delivered`, `direct`), and `kernel`: the trade the clearing
    kernel wrote, before `Market.clear` added the offtake deliveries."""
    kept: dict[str, list[np.ndarray]] = {"traded": [], "delivered": [], "direct": [], "kernel": []}
    record, trade = Recorder.record, kernels.trade

    def recording(self, tick, flows, *args, **kwargs):
        for name in ("traded", "delivered", "direct"):
            kept[name].append(getattr(flows, name).copy())
        record(self, tick, flows, *args, **kwargs)

    def trading(*args):
        trade(*args)
        (out,) = (a for a in args if isinstance(a, kernels.TradeOutputs))
        kept["kernel"].append(np.moveaxis(out.traded, -1, 0).copy())  # [R, K, B, B]

    world = compile_world(loaded.scenario)
    calm_path(loaded.scenario, world, 3)  # the world's no-disruption run, before recording
    monkeypatch.setattr(Recorder, "record", recording)
    monkeypatch.setattr(kernels, "trade", trading)
    r = run_batch(loaded.scenario, np.arange(4), seed=3, world=world, option=option)
    assert r.balance_error.max() < 1e-9
    return {name: np.stack(x) for name, x in kept.items()}


def assert_adds_up(f: dict[str, np.ndarray]) -> None:
    """Summed over origins, the trade is what each bloc received, at every tick."""
    scale = f["delivered"].max()
    np.testing.assert_allclose(
        f["traded"].sum(axis=3), f["delivered"], rtol=1e-12, atol=1e-12 * scale
    )
    assert f["traded"].min() >= -1e-12 * scale


@pytest.mark.parametrize("sets", [(), LAG], ids=["instant", "rerouting"])
def test_trade_by_origin_adds_up_to_the_deliveries(monkeypatch, small_path: Path, sets):
    """With the gallium control and an antimony quota in force, whether buyers switch
    origins at once or with a lag."""
    f = run(monkeypatch, sim.load(small_path, sets=sets))
    assert_adds_up(f)
    # several origins feed a bloc: the sum is not one origin's flow
    feeding = (f["traded"][:, :, GALLIUM, :, ALLIANCE] > 0).sum(axis=-1)
    assert (feeding[CONTROL] >= 2).all()


def test_a_full_control_empties_the_flow_it_bars(monkeypatch, small_path: Path):
    flow = run(monkeypatch, sim.load(small_path, sets=FULL))["traded"]
    china_to_alliance = flow[:, :, GALLIUM, CHINA, ALLIANCE]  # [T, R]
    assert (china_to_alliance[CONTROL] == 0).all()
    assert (china_to_alliance[: CONTROL.start] > 0).all()
    assert (china_to_alliance[CONTROL.stop + 2 :] > 0).all()
    # China's other customers still get its gallium, and the alliance gets other origins'
    assert (flow[CONTROL, :, GALLIUM, CHINA, REST] > 0).all()
    assert (flow[CONTROL, :, GALLIUM, REST, ALLIANCE] > 0).all()


def test_rerouting_moves_other_origins_exports_to_the_barred_bloc_with_its_lag(
    monkeypatch, small_path: Path
):
    """Under the control the alliance's imports from the rest of the world rise at once
    when buyers switch at once, and only over months with `trade.rerouting`."""
    at_once = run(monkeypatch, sim.load(small_path, sets=FULL))["traded"]
    lagged = run(monkeypatch, sim.load(small_path, sets=FULL + LAG))["traded"]
    before = at_once[CONTROL.start - 1, :, GALLIUM, REST, ALLIANCE]
    first = slice(CONTROL.start, CONTROL.start + 8)  # the control's first two months
    jump = at_once[first, :, GALLIUM, REST, ALLIANCE]
    slow = lagged[first, :, GALLIUM, REST, ALLIANCE]
    assert (jump > 2 * before).all()
    assert (slow < jump).all()
    assert (np.diff(slow, axis=0) > 0).all()  # drifting towards the water fill's share


@pytest.mark.parametrize("option", ["market", "stocked"])
def test_offtake_deliveries_come_from_their_producers_bloc(
    monkeypatch, tmp_path: Path, small_text: str, option: str
):
    """China's refiners deliver to the alliance buyer under an offtake: those tonnes are
    China → alliance trade when resold in the market, and no trade at all when they go
    into a stockpile (outside the deliveries)."""
    path = tmp_path / "offtake.yaml"
    path.write_text(small_text + OFFTAKE)
    stocked = ("+policies.deal.destination=reserve", "~options.market")
    sets = stocked if option == "stocked" else ()
    f = run(monkeypatch, sim.load(path, sets=sets), option=option)
    assert_adds_up(f)
    added = f["traded"] - f["kernel"]  # what Market.clear put in beside the kernel's trade
    direct = f["direct"][:, :, GALLIUM, ALLIANCE]
    if option == "market":
        assert (direct[: CONTROL.start] > 0).all()
    else:
        assert (direct == 0).all()
    expected = np.zeros_like(added)
    expected[:, :, GALLIUM, CHINA, ALLIANCE] = direct
    np.testing.assert_allclose(added, expected, rtol=1e-12, atol=1e-12 * direct.max(initial=1))
