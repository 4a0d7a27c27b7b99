"""governance: and criticality: inputs of the supply-risk diagnostics, and their located errors.

Each case appends to the valid scenario of conftest.py (40 lines), so appended keys start at
line 41.
"""

from __future__ import annotations

import pytest

from sim.scenario import ScenarioError, load

CRITICALITY = "    criticality: {eol_rir: 0.005, substitution_index: 0.95}\n"  # line 30


def with_criticality(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join([*lines[:29], CRITICALITY, *lines[29:]])


def problems(write, text: str) -> list[str]:
    path = write(text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    return [str(p).replace(str(path), "{file}") for p in info.value.problems]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            "governance:\n  CH1: {wgi: 3}\n",
            ["{file}:42:3: governance.CH1: unknown country code 'CH1'; did you mean 'CH'?"],
            id="unknown-country",
        ),
        pytest.param(
            "governance:\n  CN: {wgi: 6, trade_factor: {galium: 1.5}}\n",
            [
                "{file}:42:31: governance.CN.trade_factor.galium: unknown commodity 'galium'; "
                "did you mean 'gallium'?"
            ],
            id="trade-factor-unknown-commodity",
        ),
        pytest.param(
            "governance:\n  CN: {wgi: 12}\n",
            ["{file}:42:13: governance.CN.wgi: must be at most 10 (got 12)"],
            id="wgi-above-scale",
        ),
        pytest.param(
            "governance:\n  CN: {asi: 0.5}\n",
            ["{file}:42:7: governance.CN: give both 'asi' and 'wsi', or neither"],
            id="asi-without-wsi",
        ),
        pytest.param(
            "governance:\n  JP: {asi: 0.9, wsi: 0.9}\n",
            [
                "{file}:22:11: commodities.gallium.stages.mining.producers.CN: CN has no 'asi' "
                "and 'wsi' under 'governance'; the disruption potential of gallium needs a score "
                "for every producing country",
            ],
            id="dp-needs-every-producer",
        ),
    ],
)
def test_governance_errors(valid_text, write, extra, expected):
    assert problems(write, valid_text + extra) == expected


def test_supply_risk_needs_a_wgi_for_every_producer(valid_text, write):
    text = with_criticality(valid_text)
    text += "governance:\n  JP: {wgi: 3}\n"
    assert problems(write, text) == [
        "{file}:22:11: commodities.gallium.stages.mining.producers.CN: CN has no 'wgi' under "
        "'governance'; the EU supply risk of gallium needs a score for every producing country",
    ]


def test_wgi_without_criticality_inputs_is_no_error(valid_text, write):
    load(write(valid_text + "governance:\n  JP: {wgi: 3}\n"))


def test_criticality_without_governance_loads(valid_text, write):
    s = load(write(with_criticality(valid_text))).scenario
    assert s.commodities["gallium"].criticality.substitution_index == 0.95
