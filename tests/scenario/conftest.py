"""Shared fixtures for the scenario-language tests: a small valid scenario and a file writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# Line numbers matter: tests/scenario/test_errors.py edits single lines of this text and
# expects problems at known lines. Append new lines at the end only.
VALID_TEXT = """\
name: gallium-test
horizon:
  start: 2026-01
  years: 5
  step: week
currency: USD
fx: {AUD: 0.65}
blocs:
  alliance:
    members: [US, EU, JP, AU]
  china:
    members: [CN]
  rest:
    members: ["*"]
commodities:
  gallium:
    world_output: 760 t
    reference_price: 250 USD/kg
    stages:
      mining:
        producers:
          CN: {share: 0.98}
      refining:
        producers:
          CN: {share: 0.988}
    demand:
      alliance: {share: 0.4}
      china: {share: 0.45}
      rest: {share: 0.15}
disruptions:
  ga_ban:
    type: export_control
    country: CN
    commodity: gallium
    stage: refining
    to: [alliance]
    severity: 0.9
    start: 2026-08
    duration: 18 months
    licensing: {delay: 2 months, resumed_share: 0.5}
"""


@pytest.fixture
def valid_text() -> str:
    """A small, valid gallium scenario (see VALID_TEXT for the line layout)."""
    return VALID_TEXT


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """write(text, name="s.yaml") -> path of a file in tmp_path holding `text` (str or bytes)."""

    def _write(text: str | bytes, name: str = "s.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write
