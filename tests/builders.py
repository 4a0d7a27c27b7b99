"""One builder for the engine tests' scenarios: the header they share (a horizon from
2026-01, the currency, exchange rates, and the alliance, China and the rest of the world as
blocs), so that each test module writes only its part (commodities, disruptions, policies,
options)."""

from __future__ import annotations

BLOCS = """\
blocs:
  alliance: {members: [US, EU, JP, AU]}
  china: {members: [CN]}
  rest: {members: ["*"]}
"""


def scenario(
    name: str,
    body: str,
    *,
    years: float = 3,
    step: str = "week",
    currency: str | None = None,
    fx: dict[str, float] | None = None,
) -> str:
    """A scenario's YAML: `name`, a horizon of `years` in ticks of `step` from 2026-01,
    `currency` and `fx` where given (else the schema's defaults), the three blocs, then
    `body`."""
    head = [f"name: {name}", f"horizon: {{start: 2026-01, years: {years}, step: {step}}}"]
    if currency is not None:
        head.append(f"currency: {currency}")
    if fx:
        head.append("fx: {" + ", ".join(f"{k}: {v}" for k, v in fx.items()) + "}")
    return "\n".join(head) + "\n" + BLOCS + body
