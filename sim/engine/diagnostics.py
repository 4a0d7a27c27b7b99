"""Supply-risk diagnostics of a run: how concentrated each stage is and how much each bloc
relies on imports, tick by tick, with the EU JRC supply risk and the USGS disruption
potential where the scenario gives their inputs (docs/model.md, section 11.1).

Everything is computed from the producers' output of a tick, `Flows.producer_output`
[R, K, S, P], and the bloc deliveries `Flows.delivered` [R, K, B]:

* Producer slots are grouped into countries. Each named producer is one country. The
  *other producers* slot (the unnamed rest of a stage) is **atomised**: many small producers
  whose squared shares add up to nothing, so it counts in the total but adds nothing to the
  sum of squares (HHI is then a lower bound). New capacity built in a one-country bloc counts
  as that country's; new capacity in a bloc of several countries is atomised like the rest.
* HHI = Σ_c s_c², on the 0-10,000 scale (shares in %), per stage, of world **production**.
* Import reliance of bloc b at a stage = clip((C − P)/C, 0, 1): P the output of the bloc's
  own producers, C the bloc's apparent consumption (delivered tonnes at the last stage, its
  refiners' intake at an upstream stage). C − P is net imports, so this is the JRC form
  (M − X)/(P + M − X) with trade from the mass balance.
* JRC SR = [H(GS)·IR/2 + H(b)·(1 − IR/2)]·(1 − EoL_RIR)·SI, H = Σ_c s_c²·WGI_c·t_c; the bloc's
  sourcing mix H(b) takes its own producers for its home share and the foreign producers
  pro rata for its imports (it does not read the trade flows by origin, `Flows.traded`,
  which are by bloc, not country).
* USGS DP = Σ_c s_c²·ASI_c·WSI_c on world production shares.

`DiagnosticRecorder` keeps per-replication reductions (start, mean, peak) and the mean over
replications of each tick; `baseline` gives the same indices for the stated output of the
compiled world, without simulating.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..scenario.base import OTHER
from . import kernels, layout

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario.schema import Scenario
    from .world import World

HHI_SCALE = 10_000.0
"""HHI with shares in percent: 10,000 for a single producer."""

STAGE_METRICS = ("hhi_start", "hhi_mean", "hhi_peak", "usgs_dp_mean", "usgs_dp_peak")
"""Per replication, commodity and stage [R, K, S] (world figures)."""
BLOC_METRICS = ("import_reliance_mean", "import_reliance_peak", "jrc_sr_mean", "jrc_sr_peak")
"""Per replication, commodity and bloc [R, K, B]; jrc_sr is the largest over the stages."""
STAGE_BLOC_METRICS = ("jrc_sr_stage_mean",)
"""Per replication, commodity, stage and bloc [R, K, S, B]."""


@dataclass(frozen=True)
class DiagnosticInputs:
    """How producer slots make countries, and the scores of those countries."""

    stage_valid: np.ndarray  # [K, S] bool: a stage of the commodity (not upstream padding)
    keep: np.ndarray  # [K, S, P] 1 where a slot's output counts as its own country's
    merge: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # k, s, from-slot, to-slot
    onehot: np.ndarray  # [K, S, P, B] bloc of each slot
    sr_weight: np.ndarray  # [K, S, P] WGI_c · t_c of the slot's country (0 if atomised)
    dp_weight: np.ndarray  # [K, S, P] ASI_c · WSI_c
    sr_ok: np.ndarray  # [K] bool: the JRC supply risk has its inputs
    dp_ok: np.ndarray  # [K] bool: the disruption potential has its inputs
    eol_rir: np.ndarray  # [K]
    substitution_index: np.ndarray  # [K]
    published_sr: np.ndarray  # [K], NaN where none given
    stage_labels: tuple[str, ...]  # [S] name of each padded stage position

    @cached_property
    def merge_ranges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The merges grouped by (commodity, stage), for `kernels.concentration`: lo, hi [K, S]
        bounds into the source and destination slots, which keep their order in a group."""
        k, s, src, dst = self.merge
        K, S = self.stage_valid.shape
        group = k * S + s
        order = np.argsort(group, kind="stable")
        edges = np.searchsorted(group[order], np.arange(K * S + 1))
        lo = np.ascontiguousarray(edges[:-1].reshape(K, S))
        hi = np.ascontiguousarray(edges[1:].reshape(K, S))
        return lo, hi, np.ascontiguousarray(src[order]), np.ascontiguousarray(dst[order])

    @cached_property
    def has_sr(self) -> bool:
        """Whether any commodity has the JRC supply risk's inputs (asked at every tick)."""
        return bool(self.sr_ok.any())

    @cached_property
    def has_dp(self) -> bool:
        """Whether any commodity has the disruption potential's inputs."""
        return bool(self.dp_ok.any())

    @cached_property
    def last_bloc(self) -> np.ndarray:
        """[K, P] bloc index of each slot of the last stage."""
        return np.ascontiguousarray(self.onehot[:, -1].argmax(-1))


def compile_inputs(s: Scenario, w: World) -> DiagnosticInputs:
    """Read the country grouping and the governance scores for the compiled world `w`."""
    K, S, P, B = w.shape
    valid = np.zeros((K, S), dtype=bool)
    keep = np.zeros((K, S, P))
    country = np.full((K, S, P), "", dtype=object)
    merges: list[tuple[int, int, int, int]] = []
    single = {w.blocs.index(b): c for b, c in s.one_country_blocs().items()}
    gov = s.governance
    any_wgi = any(g.wgi is not None for g in gov.values())
    any_asi = any(g.asi is not None for g in gov.values())
    sr_ok = np.zeros(K, dtype=bool)
    labels: list[set[str]] = [set() for _ in range(S)]
    for k, c in enumerate(s.commodities.values()):
        pad = S - len(w.stages[k])
        for j, stage in enumerate(w.stages[k]):
            si = pad + j
            valid[k, si] = True
            labels[si].add(stage)
            names = w.producer_names[k][j]
            for pi, code in enumerate(names):
                if code != OTHER:
                    keep[k, si, pi] = 1.0
                    country[k, si, pi] = code
            for b, code in single.items():
                slot = int(w.new_slot[k, si, b])
                if code in names:
                    merges.append((k, si, slot, names.index(code)))
                else:
                    keep[k, si, slot] = 1.0
                    country[k, si, slot] = code
        crit = c.criticality
        sr_ok[k] = any_wgi and crit.eol_rir is not None and crit.substitution_index is not None
    sr_weight = np.zeros((K, S, P))
    dp_weight = np.zeros((K, S, P))
    for idx in zip(*np.nonzero(keep), strict=True):
        g = gov.get(country[idx])
        if g is None:
            continue
        cname = w.commodities[idx[0]]
        if g.wgi is not None:
            sr_weight[idx] = g.wgi * g.trade_factor.get(cname, 1.0)
        if g.asi is not None and g.wsi is not None:  # given together (Governance._both)
            dp_weight[idx] = g.asi * g.wsi
    ks, ss, src, dst = (np.array([m[i] for m in merges], dtype=np.intp) for i in range(4))

    def per_commodity(attr: str, default: float) -> np.ndarray:
        vals = [getattr(c.criticality, attr) for c in s.commodities.values()]
        return np.array([default if v is None else v for v in vals], dtype=float)

    return DiagnosticInputs(
        stage_valid=valid,
        keep=keep,
        merge=(ks, ss, src, dst),
        onehot=np.eye(B)[w.producer_bloc],
        sr_weight=sr_weight,
        dp_weight=dp_weight,
        sr_ok=sr_ok,
        dp_ok=np.full(K, any_asi),
        eol_rir=per_commodity("eol_rir", 0.0),
        substitution_index=per_commodity("substitution_index", 1.0),
        published_sr=per_commodity("published_sr", np.nan),
        stage_labels=tuple("/".join(sorted(x)) or f"stage{i}" for i, x in enumerate(labels)),
    )


# -- the indices of one tick --------------------------------------------------------------------
def country_output(y: np.ndarray, d: DiagnosticInputs) -> np.ndarray:
    """Output [R, K, S, P] regrouped by country: atomised slots zeroed, new capacity of a
    one-country bloc added to that country's slot."""
    yc = y * d.keep
    k, s, src, dst = d.merge
    if len(k):
        yc[:, k, s, dst] += y[:, k, s, src]
    return yc


def hhi(shares: np.ndarray) -> np.ndarray:
    """Herfindahl-Hirschman index, 0-10,000, of shares (0-1) along the last axis."""
    return HHI_SCALE * np.einsum("...p,...p->...", shares, shares)


def import_reliance(consumption: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Net imports over apparent consumption, clipped to [0, 1]; 0 where nothing is used."""
    ok = consumption > 0
    return np.where(ok, np.clip(1.0 - home / np.where(ok, consumption, 1.0), 0.0, 1.0), 0.0)


def jrc_supply_risk(h_gs, h_bloc, ir, eol_rir, substitution_index):
    """EU JRC 2017: SR = [H(GS)·IR/2 + H(EU)·(1 − IR/2)]·(1 − EoL_RIR)·SI_SR."""
    return (h_gs * ir / 2 + h_bloc * (1 - ir / 2)) * (1 - eol_rir) * substitution_index


def _by_bloc(x: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Sum [R, K, S, P] over each bloc's slots: [R, K, S, B] (matmul: faster than einsum)."""
    return (x[..., None, :] @ onehot)[..., 0, :]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)


def indices(
    y: np.ndarray,
    delivered: np.ndarray,
    d: DiagnosticInputs,
    varies: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every diagnostic of one tick from producer output y [R, K, S, P] and deliveries
    [R, K, B]: hhi [R,K,S], import_reliance [R,K,S,B] (by stage; [R,K,1,B], the last stage
    only, when no commodity has the supply risk's inputs), and where their inputs exist dp
    [R,K,S] and sr [R,K,S,B]. Values at padded stages are meaningless. `varies` [K] as
    `Market.varies`: HHI and reliance of the other commodities are taken from the first row."""
    R, K, S, _ = y.shape
    hhi_ = layout.zeros(R, K, S)
    ir_last = layout.zeros(*delivered.shape)
    kernels.concentration(
        np.ascontiguousarray(layout.kernel(y)),
        np.ascontiguousarray(layout.kernel(delivered)),
        d.keep,
        *d.merge_ranges,
        d.last_bloc,
        np.ones(K, dtype=np.bool_) if varies is None else varies,
        layout.kernel(hhi_),
        layout.kernel(ir_last),
    )
    out = {"hhi": hhi_}
    if (d.has_sr or d.has_dp) and varies is not None and not varies.all():
        # the array expressions below read every replication: a commodity that does not vary
        # has its values in the first only (Market.varies), so give them to the others
        y = y.copy(order="K")
        y[:, ~varies] = y[:1, ~varies]
        delivered = delivered.copy(order="K")
        delivered[:, ~varies] = delivered[:1, ~varies]
    if d.has_sr:  # the supply risk needs every stage's reliance
        home = _by_bloc(y, d.onehot)
        consumption = np.empty_like(home)
        consumption[:, :, :-1] = home[:, :, 1:]  # refiners' intake: one tonne in, one out
        consumption[:, :, -1] = delivered
        ir = import_reliance(consumption, home)
    else:  # only the last stage's reliance is recorded
        ir = ir_last[:, :, None, :]
    out["import_reliance"] = ir
    if d.has_dp or d.has_sr:
        yc = country_output(y, d)
        total = y.sum(-1)  # [R,K,S], atomised output included
    if d.has_dp:
        share = _div(yc, total[..., None])
        out["dp"] = np.einsum("rksp,ksp->rks", share * share, d.dp_weight)
    if d.has_sr:
        a = yc * yc * d.sr_weight  # [R,K,S,P]
        a_tot = a.sum(-1)
        a_home = _by_bloc(a, d.onehot)
        h_gs = _div(a_tot, total * total)
        foreign = np.maximum(total[..., None] - home, 0.0)
        h_bloc = (1 - ir) ** 2 * _div(a_home, home * home) + ir**2 * _div(
            a_tot[..., None] - a_home, foreign * foreign
        )
        out["sr"] = jrc_supply_risk(
            h_gs[..., None],
            h_bloc,
            ir,
            d.eol_rir[None, :, None, None],
            d.substitution_index[None, :, None, None],
        )
    return out


def _max_stage(sr: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Largest over the commodity's own stages: [R,K,S,B] -> [R,K,B]."""
    return np.where(valid[None, :, :, None], sr, -np.inf).max(2)


class DiagnosticRecorder:
    """Accumulates the diagnostics of a batch tick by tick (one call per tick)."""

    def __init__(self, world: World, n: int, varies: np.ndarray | None = None):
        """`varies` [K]: as `Market.varies` (read at every tick); by default all."""
        d = world.diagnostics
        assert d is not None, "compile_world attaches the diagnostic inputs"
        self.d = d
        T, (K, S, _, B) = world.n_ticks, world.shape
        self.ticks = 0
        self.hhi_start = layout.zeros(n, K, S)
        self.hhi_sum = layout.zeros(n, K, S)
        self.hhi_peak = layout.zeros(n, K, S)
        self.ir_sum = layout.zeros(n, K, B)
        self.ir_peak = layout.zeros(n, K, B)
        self.dp_sum = np.zeros((n, K, S)) if d.has_dp else None
        self.dp_peak = np.zeros((n, K, S)) if d.has_dp else None
        self.sr_stage_sum = np.zeros((n, K, S, B)) if d.has_sr else None
        self.sr_sum = np.zeros((n, K, B)) if d.has_sr else None
        self.sr_peak = np.zeros((n, K, B)) if d.has_sr else None
        self.series = {"hhi": np.zeros((T, K, S)), "import_reliance": np.zeros((T, K, B))}
        self.varies = np.ones(K, dtype=np.bool_) if varies is None else varies
        rl = layout.kernel  # the sums as the kernel takes them (layout.py), found once
        self._sums = (
            rl(self.hhi_start),
            rl(self.hhi_sum),
            rl(self.hhi_peak),
            rl(self.ir_sum),
            rl(self.ir_peak),
        )

    def record(self, tick: int, producer_output: np.ndarray, delivered: np.ndarray) -> None:
        x = indices(producer_output, delivered, self.d, self.varies)
        rl = layout.kernel
        kernels.accumulate_diagnostics(
            rl(x["hhi"]),
            np.ascontiguousarray(rl(x["import_reliance"][:, :, -1])),
            self.ticks == 0,
            self.varies,
            *self._sums,
            self.series["hhi"][tick],
            self.series["import_reliance"][tick],
        )
        if self.dp_sum is not None and self.dp_peak is not None:
            self.dp_sum += x["dp"]
            np.maximum(self.dp_peak, x["dp"], out=self.dp_peak)
        if self.sr_sum is not None and self.sr_peak is not None and self.sr_stage_sum is not None:
            self.sr_stage_sum += x["sr"]
            top = _max_stage(x["sr"], self.d.stage_valid)
            self.sr_sum += top
            np.maximum(self.sr_peak, top, out=self.sr_peak)
        self.ticks += 1

    def metrics(self) -> dict[str, np.ndarray]:
        """Per-replication metrics (see STAGE_METRICS, BLOC_METRICS, STAGE_BLOC_METRICS); NaN
        at padded stages and for commodities without the inputs of an index."""
        d, n = self.d, max(self.ticks, 1)
        same = ~self.varies  # the kernel kept only their first replication
        for a in (self.hhi_start, self.hhi_sum, self.hhi_peak, self.ir_sum, self.ir_peak):
            a[:, same] = a[:1, same]
        pad = np.where(d.stage_valid, 1.0, np.nan)[None]
        out = {
            "hhi_start": self.hhi_start * pad,
            "hhi_mean": self.hhi_sum / n * pad,
            "hhi_peak": self.hhi_peak * pad,
            "import_reliance_mean": self.ir_sum / n,
            "import_reliance_peak": self.ir_peak,
        }
        if self.dp_sum is not None and self.dp_peak is not None:
            ok = np.where(d.dp_ok[None, :, None], pad, np.nan)
            out["usgs_dp_mean"] = self.dp_sum / n * ok
            out["usgs_dp_peak"] = self.dp_peak * ok
        if self.sr_sum is not None and self.sr_peak is not None and self.sr_stage_sum is not None:
            ok = np.where(d.sr_ok, 1.0, np.nan)[None, :, None]
            out["jrc_sr_stage_mean"] = self.sr_stage_sum / n * (ok * pad)[..., None]
            out["jrc_sr_mean"] = self.sr_sum / n * ok
            out["jrc_sr_peak"] = self.sr_peak * ok
        return out


# -- without simulating ---------------------------------------------------------------------------
def baseline(world: World) -> dict[str, np.ndarray]:
    """The diagnostics of the stated starting output (capacity × utilisation) and use net of
    recycling: hhi [K,S], import_reliance [K,B] (last stage), dp [K,S] and sr [K,B] (largest
    over stages) where their inputs exist; NaN at padded stages."""
    d = world.diagnostics
    assert d is not None
    y = np.where(d.stage_valid[..., None], world.capacity * world.utilisation, 0.0)[None]
    delivered = (world.demand * (1 - world.rec_share[:, None]))[None]
    x = indices(y, delivered, d)
    pad = np.where(d.stage_valid, 1.0, np.nan)
    out = {"hhi": x["hhi"][0] * pad, "import_reliance": x["import_reliance"][0, :, -1]}
    if "dp" in x:
        out["dp"] = np.where(d.dp_ok[:, None], x["dp"][0] * pad, np.nan)
    if "sr" in x:
        out["sr"] = np.where(d.sr_ok[:, None], _max_stage(x["sr"], d.stage_valid)[0], np.nan)
    return out


def named_metrics(
    world: World, metrics: dict[str, np.ndarray]
) -> Iterator[tuple[str, str, str, np.ndarray]]:
    """(commodity, bloc, metric name, values [R]) for summary.csv, in a fixed order.

    Stage figures are world figures (bloc `world`) named `<index>_<stage>_<reduction>`, e.g.
    `hhi_refining_peak`; bloc figures are `import_reliance_mean`, `jrc_sr_mean` (largest over
    the stages), `jrc_sr_<stage>_mean`. Rows of an index whose inputs are missing are absent."""
    d = world.diagnostics
    assert d is not None
    for k, commodity in enumerate(world.commodities):
        stages = [(world.stage_index(k, s), s) for s in world.stages[k]]
        for name in STAGE_METRICS:
            if name not in metrics or np.isnan(metrics[name][:, k]).all():
                continue
            index, reduction = name.rsplit("_", 1)
            for si, stage in stages:
                yield commodity, "world", f"{index}_{stage}_{reduction}", metrics[name][:, k, si]
        for b, bloc in enumerate(world.blocs):
            for name in BLOC_METRICS:
                if name in metrics and not np.isnan(metrics[name][:, k, b]).all():
                    yield commodity, bloc, name, metrics[name][:, k, b]
            x = metrics.get("jrc_sr_stage_mean")
            if x is not None and d.sr_ok[k]:
                for si, stage in stages:
                    yield commodity, bloc, f"jrc_sr_{stage}_mean", x[:, k, si, b]
