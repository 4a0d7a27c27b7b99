"""Progress lines where standard error is not a terminal: how often, what they say."""

from __future__ import annotations

import io
import itertools

import pytest

from sim.experiment.compare import compare_options
from sim.experiment.progress import Advance, ProgressLines, within
from sim.experiment.runner import run_replications


def _clock(step: float):
    """A clock that moves `step` seconds each time it is read."""
    ticks = itertools.count()
    return lambda: next(ticks) * step


def _lines(step: float, **kwargs) -> tuple[list[str], ProgressLines]:
    lines: list[str] = []
    return lines, ProgressLines("compare", lines.append, clock=_clock(step), **kwargs)


def test_a_line_every_tenth_or_ten_seconds_whichever_is_rarer():
    # 100 blocks of 100 replications; the clock moves 1 s a block: 10% takes 10 s
    lines, report = _lines(1.0)
    for i in range(1, 101):
        report(Advance("reserve", i * 100, 10_000, i * 100, 10_000))
    assert len(lines) == 10
    assert lines[0] == (
        "compare: option reserve, 1,000/10,000 replications, 10 s elapsed, ~1.5 min left"
    )
    assert lines[-1] == "compare: option reserve, 10,000/10,000 replications, done in 1.7 min"
    # a fast run (0.1 s a block): every 10 s, so once in its 20 s, then the end
    lines, report = _lines(0.1)
    for i in range(1, 201):
        report(Advance("a", i * 50, 10_000, i * 50, 10_000))
    assert len(lines) == 2
    assert "5,000/10,000" in lines[0] and "10 s elapsed" in lines[0]
    # a slow one (60 s a block of 1%): every 10%, not every 10 s
    lines, report = _lines(60.0)
    for i in range(1, 101):
        report(Advance("a", i * 100, 10_000, i * 100, 10_000))
    assert len(lines) == 10
    assert "~1.5 h left" in lines[0]


def test_lines_name_the_stage_and_the_whole():
    lines, report = _lines(30.0)
    told = within(report, "point 2/2", 400, 800)
    told(Advance("reserve", 200, 200, 400, 400))
    assert lines == [
        "compare: point 2/2, option reserve, 200/200 replications (800/800 in all), done in 30 s"
    ]
    assert within(None, "point 1/2", 0, 10) is None


def test_a_comparison_reports_every_replication_of_every_option(tmp_path, reserve_text):
    import sim

    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    seen: list[Advance] = []
    comparison = compare_options(
        sim.load(path), 12, 3, block_size=4, executor="inline", report=seen.append
    )
    assert [a.done for a in seen] == [4 * i for i in range(1, 7)]
    assert {a.total for a in seen} == {24}
    assert {(a.option, a.option_done) for a in seen if a.option_done == 12} == {
        ("do-nothing", 12),
        ("reserve", 12),
    }
    plain = compare_options(sim.load(path), 12, 3, block_size=4, executor="inline")
    assert (
        comparison.results["reserve"].metrics["social_cost"]
        == plain.results["reserve"].metrics["social_cost"]
    ).all()


def test_one_option_counts_its_baseline_run(tmp_path, reserve_text):
    import sim

    path = tmp_path / "reserve.yaml"
    path.write_text(reserve_text)
    seen: list[Advance] = []
    run_replications(
        sim.load(path), 8, 3, option="reserve", block_size=4, executor="inline", report=seen.append
    )
    assert [(a.option, a.done, a.total) for a in seen] == [
        ("reserve", 4, 16),
        ("reserve", 8, 16),
        ("do-nothing (baseline)", 12, 16),
        ("do-nothing (baseline)", 16, 16),
    ]


@pytest.mark.parametrize("quiet", [False, True])
def test_the_command_writes_lines_to_a_stream_that_is_not_a_terminal(
    small_path, tmp_path, monkeypatch, quiet
):
    """`minsim run` with standard error a pipe: progress lines there (a fake stream that is
    no terminal), none with --quiet."""
    from click.testing import CliRunner

    import sim.cli as cli_module

    fake = io.StringIO()
    real = cli_module._progress
    monkeypatch.setattr(cli_module, "_progress", lambda stream=None: real(fake))
    args = ["--quiet"] if quiet else []
    result = CliRunner().invoke(
        cli_module.cli,
        [
            *args,
            "run",
            str(small_path),
            "--reps",
            "6",
            "--block-size",
            "2",
            "--executor",
            "inline",
            "--no-plots",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 0, result.output
    if quiet:
        assert fake.getvalue() == ""
    else:
        assert (
            fake.getvalue()
            .splitlines()[-1]
            .startswith("run: option base, 6/6 replications, done in")
        )
