"""What every policy spec shares besides its `type`."""

from __future__ import annotations

from ..base import Model


class SpecBase(Model):
    """Fields every policy has besides its `type`."""

    description: str = ""
    """Free text shown in reports."""
    stream: str | None = None
    """The name of the random stream this policy draws from (e.g. a capacity programme's
    delay), default its own name: copies of one policy that give the original's name share
    its draws (common random numbers), as the designs of `minsim optimise` do."""
