"""Semantic checks that the schema alone cannot make: sums, references, dates, signs, money.

Each check returns located problems; all of them run, so an analyst sees every mistake at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .countries import COUNTRIES, GROUPS, expand_members
from .disruptions.export_control import ExportControl
from .disruptions.outage import Outage
from .disruptions.quota import Quota
from .errors import Problem, country_hint, dotted, hint
from .loader import Located
from .schema import Commodity, Distribution, Scenario
from .units import DURATION_UNITS, MAX_YEARS, Money, Price, YearMonth

SHARE_TOLERANCE = 1e-9


class Checks:
    """What every located check needs, and the checks many keys repeat: a name that must be
    known, a currency that needs a rate, a month inside the horizon, the producers listed.
    Policy specs check themselves with one (`sim.scenario.policies.check`), so each message
    is written once; the disruptions' checks are `_Checker.disruptions`."""

    def __init__(self, s: Scenario, doc: Located):
        self.s = s
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append(Problem(self.doc.where(path, key=key), dotted(path), message))

    def known(self, path: tuple, name: str, options: Iterable[str], what: str) -> bool:
        """Is `name` among `options`? If not, 'unknown <what> ...' with the closest name."""
        options = list(options)
        if name in options:
            return True
        self.add(path, f"unknown {what} {name!r}{hint(name, options)}")
        return False

    def bloc(self, path: tuple, name: str) -> bool:
        return self.known(path, name, self.s.blocs, "bloc")

    def commodity_named(self, path: tuple, name: str) -> Commodity | None:
        """The commodity called `name`, or None after saying it is unknown."""
        if self.known(path, name, self.s.commodities, "commodity"):
            return self.s.commodities[name]
        return None

    def producers(
        self, path: tuple, name: str, stage: str, commodity: Commodity, codes: list[str]
    ) -> None:
        """Each country code must produce `name` at `stage`, and be listed once."""
        known = commodity.stages[stage].producers
        for i, code in enumerate(codes):
            if code not in known:
                self.add(
                    (*path, i),
                    f"{code} does not produce {name} at stage {stage!r} "
                    f"(producers: {', '.join(known)})",
                )
            elif code in codes[:i]:
                self.add((*path, i), f"{code} is listed twice")

    def currency(self, path: tuple, value: Price | Money) -> None:
        """An amount or price in a currency other than the scenario's needs its rate."""
        cur = value.currency
        if cur != self.s.currency and cur not in self.s.fx:
            have = ", ".join(sorted(self.s.fx)) or "none"
            self.add(
                path,
                f"currency {cur} has no exchange rate; add 'fx: {{{cur}: <{self.s.currency} per "
                f"{cur}>}}' (rates given: {have})",
            )

    def in_horizon(self, path: tuple, month: YearMonth) -> None:
        """A month on which something starts must fall inside the run."""
        start, end = self.s.horizon.start, self.s.horizon.end
        if not start <= month < end:
            self.add(path, f"{month} is outside the horizon ({start} to {end}, exclusive)")


class _Checker(Checks):
    def run(self) -> list[Problem]:
        self.blocs()
        self.money()
        for name in self.s.commodities:
            self.commodity(name)
        self.disruptions()
        self.groups()
        self.policies()
        self.backtest()
        self.governance()
        self.parameter_uncertainty()
        self.sweep()
        self.design()
        return self.problems

    def design(self) -> None:
        """The design's option exists and has policies; every lever's key addresses a key
        that one of them has (so the search never sets a key the policy would refuse as
        unknown, after hours of work); money converts to the reporting currency."""
        from .design import lever_keys

        d = self.s.design
        if d is None:
            return
        if d.option not in self.s.options:
            self.add(
                ("design", "option"),
                f"no option named {d.option!r}{hint(d.option, self.s.options)} "
                f"(options: {', '.join(self.s.options) or 'none are defined'})",
            )
            return
        names = self.s.options[d.option]
        if not names:
            self.add(("design", "option"), f"option {d.option!r} has no policies to change")
            return
        data = self.doc.data.get("policies") or {}
        seen: dict[str, tuple] = {}
        for path, key in lever_keys(d):
            where = ("design", *path)
            if key in seen:
                self.add(where, f"{key!r} is set by another lever too ({dotted(seen[key])})")
                continue
            seen[key] = where
            _, policy, *rest = key.split(".")
            if policy not in names:
                self.add(
                    where,
                    f"policy {policy!r} is not one of option {d.option!r}'s policies "
                    f"({', '.join(names)}){hint(policy, names)}",
                )
                continue
            node = data.get(policy)
            for i, part in enumerate(rest):
                if not isinstance(node, dict) or part not in node:
                    known = list(node) if isinstance(node, dict) else []
                    at = ".".join(["policies", policy, *rest[: i + 1]])
                    self.add(
                        where,
                        f"policy {policy!r} has no key {at!r}{hint(part, known)}; a lever "
                        "changes a key the policy sets (write it in the policy first)",
                    )
                    break
                node = node[part]
        for name, split in d.split.items():
            self.currency(("design", "split", name, "total"), split.total)
            for p, share in split.parts.items():
                pers: list[tuple[tuple[str | int, ...], Money | None]] = [(("per",), share.per)]
                pers += [(("also", i, "per"), a.per) for i, a in enumerate(share.also)]
                for sub, per in pers:
                    if per is not None and per.currency != split.total.currency:
                        self.add(
                            ("design", "split", name, "parts", p, *sub),
                            f"must be in the total's currency {split.total.currency} "
                            f"(got {per.currency})",
                        )
        for metric, bound in d.constraints.items():
            self.currency(("design", "constraints", metric, "max"), bound.max)
        for i, bloc in enumerate(d.blocs):
            if bloc not in self.s.blocs:
                self.add(
                    ("design", "blocs", i),
                    f"unknown bloc {bloc!r}{hint(bloc, self.s.blocs)} "
                    f"(blocs: {', '.join(self.s.blocs)})",
                )

    def sweep(self) -> None:
        """The values a sweep will set are read here, so they are finite here (the schema
        takes any value: it is checked again when set)."""
        for key, values in self.s.sweep.items():
            for i, v in enumerate(values if isinstance(values, list) else []):
                if isinstance(v, float) and not math.isfinite(v):
                    self.add(("sweep", key, i), f"must be a finite number (got {v:g})")

    def parameter_uncertainty(self) -> None:
        """Drawing parameters needs a calibrated posterior to draw from, whose keys are keys
        of the commodity."""
        if self.s.parameter_uncertainty is None:
            return
        drawn = [
            name
            for name, c in self.s.commodities.items()
            if c.calibration is not None and c.calibration.posterior is not None
        ]
        if not drawn:
            self.add(
                ("parameter_uncertainty",),
                "no commodity has a calibrated posterior to draw from; run `minsim calibrate "
                "--write WORLD` on the world this scenario extends, or remove "
                "parameter_uncertainty",
                key=True,
            )
        for name in drawn:
            calibration = self.s.commodities[name].calibration
            assert calibration is not None and calibration.posterior is not None  # as `drawn`
            post = calibration.posterior
            for i, key in enumerate(post.keys):
                node: object = self.s.commodities[name]
                for part in key.split("."):
                    fields = getattr(type(node), "model_fields", {})
                    node = getattr(node, part) if part in fields else None
                if node is None:
                    self.add(
                        ("commodities", name, "calibration", "posterior", "keys", i),
                        f"{key!r} is not a key of a commodity",
                    )

    def backtest(self) -> None:
        """Observed targets name a commodity and blocs of the scenario, and an onset inside it."""
        if self.s.backtest is None:
            return
        for name, target in self.s.backtest.targets.items():
            base = ("backtest", "targets", name)
            if target.commodity not in self.s.commodities:
                self.add(
                    (*base, "commodity"),
                    f"unknown commodity {target.commodity!r}"
                    + hint(target.commodity, self.s.commodities),
                )
            blocs: list[tuple[str, ...]] = [("bloc", target.bloc)]
            if target.split is not None:
                blocs.append(("split", "versus", target.split.versus))
            for *path, bloc in blocs:
                if bloc not in self.s.blocs:
                    self.add((*base, *path), f"unknown bloc {bloc!r}" + hint(bloc, self.s.blocs))
            self.in_horizon((*base, "onset"), target.onset)

    # -- supply-risk diagnostics ----------------------------------------------------------------
    def governance(self) -> None:
        """Country codes and commodity names under `governance`, and a score for every country
        a computed index needs (docs/model.md, section 11.1)."""
        gov = self.s.governance
        for code, g in gov.items():
            if code not in COUNTRIES:
                self.add(
                    ("governance", code),
                    f"unknown country code {code!r}{country_hint(code)}",
                    key=True,
                )
            for cname in g.trade_factor:
                if cname not in self.s.commodities:
                    self.add(
                        ("governance", code, "trade_factor", cname),
                        f"unknown commodity {cname!r}{hint(cname, self.s.commodities)}",
                        key=True,
                    )
        any_wgi = any(g.wgi is not None for g in gov.values())
        any_asi = any(g.asi is not None for g in gov.values())
        if not (any_wgi or any_asi):
            return
        single = self.s.one_country_blocs()
        flagged: set[tuple[str, str]] = set()  # one-country blocs: report each once
        for cname, c in self.s.commodities.items():
            sr = c.criticality.eol_rir is not None and c.criticality.substitution_index is not None
            needs = [("wgi", "the EU supply risk")] if any_wgi and sr else []
            if any_asi:
                needs.append(("asi", "the disruption potential"))
            seen: set[tuple[str, str]] = set()
            for sname, st in c.stages.items():
                for code in st.producers:
                    for field, what in needs:
                        score = gov.get(code)
                        if (code, field) in seen or (
                            score is not None and getattr(score, field) is not None
                        ):
                            continue
                        seen.add((code, field))
                        need = "'wgi'" if field == "wgi" else "'asi' and 'wsi'"
                        self.add(
                            ("commodities", cname, "stages", sname, "producers", code),
                            f"{code} has no {need} under 'governance'; {what} of {cname} needs "
                            "a score for every producing country",
                            key=True,
                        )
            for bname, code in single.items():
                for field, what in needs:
                    score = gov.get(code)
                    done = (code, field) in seen or (code, field) in flagged
                    if done or (score is not None and getattr(score, field) is not None):
                        continue
                    flagged.add((code, field))
                    need = "'wgi'" if field == "wgi" else "'asi' and 'wsi'"
                    self.add(
                        ("blocs", bname, "members", 0),
                        f"{code} has no {need} under 'governance'; {what} of {cname} counts "
                        f"new capacity built in bloc {bname!r} as {code}'s",
                    )

    # -- policies and options -------------------------------------------------------------------
    def policies(self) -> None:
        from . import policies

        for name, spec in self.s.policies.items():
            policies.check(spec, self, ("policies", name))
        for option, names in self.s.options.items():
            first: dict[str, int] = {}
            for i, name in enumerate(names):
                if name in first:
                    self.add(
                        ("options", option, i),
                        f"{name!r} is already item {first[name]} of this option; an option "
                        "switches each policy on once (listed twice, its cost would count "
                        "twice): remove this one",
                    )
                    continue
                first[name] = i
                listed = self.s.policies.get(name)
                target = getattr(listed, "destination", "market")
                defined = target in self.s.policies
                if listed is not None and target != "market" and defined and target not in names:
                    self.add(
                        ("options", option, i),
                        f"{name!r} delivers into stockpile {target!r}, which this option does "
                        f"not switch on; add {target!r} to the option",
                    )
                if name not in self.s.policies:
                    known = ", ".join(self.s.policies) or "none are defined"
                    self.add(
                        ("options", option, i),
                        f"no policy named {name!r}{hint(name, self.s.policies)} (policies: {known})",
                    )

    # -- blocs ------------------------------------------------------------------------------
    def blocs(self) -> None:
        seen: dict[str, str] = {}
        star = None
        for name, bloc in self.s.blocs.items():
            for i, member in enumerate(bloc.members):
                path = ("blocs", name, "members", i)
                if member == "*":
                    if star:
                        self.add(
                            path, f"'*' is already in bloc {star!r}; only one bloc may hold it"
                        )
                    star = name
                    continue
                if member not in COUNTRIES and member not in GROUPS:
                    self.add(path, f"unknown country code {member!r}{country_hint(member)}")
                    continue
                for code in expand_members([member]):
                    if code in seen and seen[code] != name:
                        self.add(path, f"{code} is already a member of bloc {seen[code]!r}")
                    seen[code] = name

    # -- money ------------------------------------------------------------------------------
    def _prices(self):
        for cname, c in self.s.commodities.items():
            base = ("commodities", cname)
            yield (*base, "reference_price"), c.reference_price
            if c.investment.incentive_price:
                yield (*base, "investment", "incentive_price"), c.investment.incentive_price
            for sname, st in c.stages.items():
                if st.unit_cost:
                    yield (*base, "stages", sname, "unit_cost"), st.unit_cost
                for pname, p in st.producers.items():
                    if p.unit_cost:
                        yield (*base, "stages", sname, "producers", pname, "unit_cost"), p.unit_cost

    def money(self) -> None:
        for path, price in self._prices():
            self.currency(path, price)

    # -- commodities ------------------------------------------------------------------------
    def commodity(self, name: str) -> None:
        c = self.s.commodities[name]
        base = ("commodities", name)
        for required in ("mining", "refining"):
            if required not in c.stages:
                self.add(
                    (*base, "stages"),
                    f"missing stage {required!r}; every commodity needs 'mining' and 'refining'",
                )
        owner, rest = self.s.bloc_of_countries()
        for sname, st in c.stages.items():
            spath = (*base, "stages", sname, "producers")
            total = 0.0
            for code, p in st.producers.items():
                if code not in COUNTRIES:
                    self.add(
                        (*spath, code),
                        f"unknown country code {code!r}{country_hint(code)}",
                        key=True,
                    )
                elif code not in owner and rest is None:
                    self.add(
                        (*spath, code),
                        f"{code} is in no bloc; add it to a bloc's members or add '*' to one bloc",
                        key=True,
                    )
                if p.share is not None:
                    total += p.share
            self._capacities(spath, st, c.world_output, total)
            if total > 1 + SHARE_TOLERANCE:
                self.add(spath, f"shares sum to {total:.4g}; they must not exceed 1")
            elif (
                rest is None
                and total < 1 - SHARE_TOLERANCE
                and any(p.share is not None for p in st.producers.values())
            ):
                self.add(
                    spath,
                    f"shares sum to {total:.4g}: the rest ('other producers') needs a "
                    "bloc holding '*'",
                )
        dpath = (*base, "demand")
        shares = 0.0
        all_shares = True
        for bloc, d in c.demand.items():
            if bloc not in self.s.blocs:
                self.add(
                    (*dpath, bloc), f"unknown bloc {bloc!r}{hint(bloc, self.s.blocs)}", key=True
                )
            if d.share is None:
                all_shares = False
            else:
                shares += d.share
            if d.countries and bloc in self.s.blocs:
                owner, rest = self.s.bloc_of_countries()
                for code in d.countries:
                    if owner.get(code, rest if code in COUNTRIES else None) != bloc:
                        self.add(
                            (*dpath, bloc, "countries", code),
                            f"{code} is not a member of bloc {bloc!r}"
                            + ("" if code in COUNTRIES else country_hint(code)),
                            key=True,
                        )
                total = sum(d.countries.values())
                if total > 1 + SHARE_TOLERANCE:
                    self.add(
                        (*dpath, bloc, "countries"),
                        f"the countries' shares of the bloc's use sum to {total:.4g}; at most 1",
                    )
        if all_shares and abs(shares - 1) > 1e-6:
            self.add(
                dpath,
                f"demand shares sum to {shares:.4g}; they must sum to 1 "
                "(a bloc that is not listed uses none)",
            )
        e = c.elasticity
        epath = (*base, "elasticity")
        if e.short_run > 0:
            self.add(
                (*epath, "short_run"), f"a demand elasticity must be <= 0 (got {e.short_run:g})"
            )
        if e.long_run > 0:
            self.add((*epath, "long_run"), f"a demand elasticity must be <= 0 (got {e.long_run:g})")
        if e.short_run <= 0 and e.long_run <= 0 and abs(e.long_run) < abs(e.short_run):
            self.add(
                (*epath, "long_run"),
                f"the long-run elasticity ({e.long_run:g}) must be at "
                f"least as large in size as the short-run one ({e.short_run:g})",
            )
        r = c.recycling
        if r.max_share < r.share:
            self.add(
                (*base, "recycling", "max_share"),
                f"must be at least 'share' ({r.share:g}); got {r.max_share:g}",
            )

    def _capacities(self, spath: tuple, st, commodity_output: float, shares: float) -> None:
        """A capacity is output at the reference price, a part of the stage's world output:
        one above the world output, or capacities that with the shares make more than it,
        cannot be."""
        world = st.world_output if st.world_output is not None else commodity_output
        where = "world_output" if st.world_output is not None else "the commodity's world_output"
        over = False
        for code, p in st.producers.items():
            if p.capacity is not None and p.capacity > world * (1 + SHARE_TOLERANCE):
                over = True
                self.add(
                    (*spath, code, "capacity"),
                    f"{p.capacity:g} t a year is {p.capacity / world:.3g} times the stage's "
                    f"world output ({world:g} t, {where}); a producer's output is part of "
                    "world output: lower the capacity, or raise the world output",
                )
        capacities = sum(p.capacity for p in st.producers.values() if p.capacity is not None)
        total = shares + capacities / world
        if capacities and not over and total > 1 + SHARE_TOLERANCE:
            self.add(
                spath,
                f"the producers make {total * world:g} t a year at the reference price (shares "
                f"of world output plus capacities), more than the stage's world output "
                f"({world:g} t, {where}); lower the shares or capacities, or raise the world "
                "output",
            )

    # -- disruptions ------------------------------------------------------------------------
    def _distribution(
        self,
        path: tuple,
        d: Distribution,
        *,
        share: bool,
        duration: bool,
        above: float | None = None,
        most: float | None = None,
    ) -> None:
        """A distribution's parameters in the domain of what it draws: shares in [0, 1],
        durations not negative nor longer than MAX_YEARS, values above `above` and at most
        `most` where given (a change of use)."""
        if duration and d.unit is None:
            self.add(
                path,
                f"a duration distribution needs a 'unit' ({', '.join(u + 's' for u in DURATION_UNITS)})",
            )
        if share:
            if d.dist == "lognormal":
                self.add(
                    path,
                    "a share cannot follow a lognormal distribution (it is unbounded); "
                    "use beta, uniform or triangular",
                )
            for p in ("value", "low", "high", "mode"):
                v = getattr(d, p)
                if v is not None and not 0 <= v <= 1:
                    self.add((*path, p), f"must lie between 0 and 1 (got {v:g})")
        elif duration and any(
            getattr(d, p) is not None and getattr(d, p) < 0 for p in ("value", "low")
        ):
            self.add(path, "a duration cannot be negative")
        if above is not None:
            for p in ("value", "low"):
                v = getattr(d, p)
                if v is not None and v <= above:
                    self.add((*path, p), f"must be greater than {above:g} (got {v:g})")
        if most is not None:
            for p in ("value", "high", "median"):
                v = getattr(d, p)
                if v is not None and v > most:
                    self.add((*path, p), f"must be at most {most:g} (got {v:g})")
        if duration and d.unit is not None:
            per = DURATION_UNITS[d.unit.removesuffix("s")]
            for p in ("value", "high", "median"):
                v = getattr(d, p)
                if v is not None and v * per > MAX_YEARS:
                    self.add(
                        (*path, p),
                        f"a duration of at most {MAX_YEARS:g} years is allowed (got {v:g} "
                        f"{d.unit})",
                    )

    def _country_target(self, path, d, code: str, commodity, owner: dict, rest) -> None:
        """A control's target that is a country: outside the restricting country's bloc, and,
        unless it is its bloc's only member, with its share of the bloc's use given."""
        bloc = owner.get(code, rest)
        if bloc is None:
            self.add(path, f"{code} is in no bloc (no bloc lists it and none holds '*')")
            return
        if bloc == owner.get(d.country, rest):
            self.add(
                path,
                f"{code} is in bloc {bloc!r} with {d.country}; a country cannot restrict "
                "exports to its own bloc",
            )
            return
        if [c for c, b in owner.items() if b == bloc] == [code] or commodity is None:
            return
        entry = commodity.demand.get(bloc)
        if entry is None or code not in entry.countries:
            self.add(
                path,
                f"{code} is one country of bloc {bloc!r}: give its share of the bloc's "
                f"{d.commodity} use in commodities.{d.commodity}.demand.{bloc}.countries "
                f"(e.g. {{{code}: 0.4}}), or target the whole bloc",
            )

    def disruptions(self) -> None:
        members = {m for g in self.s.groups.values() for m in g.members}
        owner, rest = self.s.bloc_of_countries()
        for name, d in self.s.disruptions.items():
            base = ("disruptions", name)
            if d.commodity not in self.s.commodities:
                self.add(
                    (*base, "commodity"),
                    f"unknown commodity {d.commodity!r}{hint(d.commodity, self.s.commodities)}",
                )
                commodity = None
            else:
                commodity = self.s.commodities[d.commodity]
            stage = getattr(d, "stage", None)
            if commodity is not None and stage is not None and stage not in commodity.stages:
                self.add(
                    (*base, "stage"),
                    f"{d.commodity} has no stage {stage!r}{hint(stage, commodity.stages)}",
                )
                stage = None
            countries = (
                [d.country] if isinstance(d, ExportControl | Quota) else getattr(d, "countries", [])
            )
            for i, code in enumerate(countries):
                cpath = (
                    (*base, "country")
                    if isinstance(d, ExportControl | Quota)
                    else (*base, "countries", i)
                )
                if code not in COUNTRIES:
                    self.add(cpath, f"unknown country code {code!r}{country_hint(code)}")
                elif commodity is not None and stage is not None:
                    producers = commodity.stages[stage].producers
                    if code not in producers:
                        known = ", ".join(producers)
                        self.add(
                            cpath,
                            f"{code} does not produce {d.commodity} at stage {stage!r} "
                            f"(producers: {known})",
                        )
            blocs = d.to if isinstance(d, ExportControl) else getattr(d, "blocs", [])
            field = "to" if isinstance(d, ExportControl) else "blocs"
            for i, b in enumerate(blocs):
                if isinstance(d, ExportControl) and b not in self.s.blocs and b in COUNTRIES:
                    self._country_target((*base, field, i), d, b, commodity, owner, rest)
                elif b not in self.s.blocs:
                    self.add((*base, field, i), f"unknown bloc {b!r}{hint(b, self.s.blocs)}")
                elif isinstance(d, ExportControl) and (
                    owner.get(d.country) == b or (d.country not in owner and rest == b)
                ):
                    self.add(
                        (*base, field, i),
                        f"{d.country} is in bloc {b!r}; a country cannot "
                        "restrict exports to its own bloc",
                    )
            if isinstance(d, ExportControl | Outage | Quota):
                sev_field = "cap" if isinstance(d, Quota) else "severity"
                sev = getattr(d, sev_field)
                if isinstance(sev, Distribution):
                    self._distribution((*base, sev_field), sev, share=True, duration=False)
            elif isinstance(d.change, Distribution):
                # use cannot fall by all of it or more
                self._distribution(
                    (*base, "change"), d.change, share=False, duration=False, above=-1, most=100
                )
            if isinstance(d.duration, Distribution):
                self._distribution((*base, "duration"), d.duration, share=False, duration=True)
            if d.start is not None:
                self.in_horizon((*base, "start"), d.start)
            if d.stochastic is not None:
                if isinstance(d.stochastic.duration, Distribution):
                    self._distribution(
                        (*base, "stochastic", "duration"),
                        d.stochastic.duration,
                        share=False,
                        duration=True,
                    )
                if d.stochastic.earliest is not None:
                    self.in_horizon((*base, "stochastic", "earliest"), d.stochastic.earliest)
            if name in members:
                if d.start is not None or d.stochastic is not None:
                    self.add(
                        base,
                        "a member of a group takes its onset from the group; remove "
                        "'start' and 'stochastic'",
                    )
            elif d.start is None and d.stochastic is None:
                self.add(
                    base, "give a 'start' month or a 'stochastic' onset (or list it in a group)"
                )
            elif d.start is not None and d.stochastic is not None:
                self.add(base, "give 'start' or 'stochastic', not both")
            elif d.start is not None and d.duration is None:
                self.add(base, "a disruption with a fixed 'start' needs a 'duration'")

    def groups(self) -> None:
        seen: dict[str, str] = {}
        for name, g in self.s.groups.items():
            base = ("groups", name)
            if g.stochastic is not None and g.duration is not None:
                self.add(
                    (*base, "duration"),
                    "a stochastic group draws its duration from "
                    "'stochastic.duration'; remove this 'duration'",
                )
            if g.start is not None:
                self.in_horizon((*base, "start"), g.start)
            if g.stochastic is not None and g.stochastic.earliest is not None:
                self.in_horizon((*base, "stochastic", "earliest"), g.stochastic.earliest)
            if isinstance(g.duration, Distribution):
                self._distribution((*base, "duration"), g.duration, share=False, duration=True)
            for m in g.takes_part:
                if m not in g.members:
                    self.add(
                        (*base, "takes_part", m),
                        f"{m!r} is not a member of group {name!r}{hint(m, g.members)}",
                    )
            for i, m in enumerate(g.members):
                path = (*base, "members", i)
                if m not in self.s.disruptions:
                    self.add(path, f"unknown disruption {m!r}{hint(m, self.s.disruptions)}")
                    continue
                if m in seen:
                    self.add(path, f"{m!r} is already a member of group {seen[m]!r}")
                seen[m] = name
                d = self.s.disruptions[m]
                if d.duration is None and g.duration is None and g.stochastic is None:
                    self.add(path, f"{m!r} has no 'duration' and the group gives none")


def semantic_problems(s: Scenario, doc: Located) -> list[Problem]:
    return _Checker(s, doc).run()
