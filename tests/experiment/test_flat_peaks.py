"""Flat peaks: a price held at its top for weeks is counted; a market-set peak is not."""

import numpy as np

from sim.experiment.results import flat_peaks

T = np.arange(100)


def bump(height: float, width: float) -> np.ndarray:
    return 1 + (height - 1) * np.exp(-(((T - 50) / width) ** 2))


def test_a_capped_path_is_flat_and_a_smooth_one_is_not():
    capped = np.minimum(bump(4.0, 20.0), 3.0)
    paths = np.stack([bump(3.0, 10.0), capped], axis=1)
    assert flat_peaks(paths, 52) == (2, 1)


def test_paths_that_do_not_rise_enough_are_not_counted():
    assert flat_peaks(np.stack([bump(1.4, 10.0), np.ones(100)], axis=1), 52) == (0, 0)


def test_a_top_at_the_end_of_the_run_counts_its_weeks():
    end = np.r_[np.ones(96), np.full(4, 2.0)]
    short = np.r_[np.ones(97), np.full(3, 2.0)]
    assert flat_peaks(np.stack([end, short], axis=1), 52) == (2, 1)


def test_weeks_are_read_in_ticks_of_the_run():
    monthly = np.r_[np.ones(10), np.full(2, 2.0), np.ones(10)]  # two months at the top
    assert flat_peaks(monthly[:, None], 12) == (1, 1)
    assert flat_peaks(monthly[:, None], 12, weeks=12) == (1, 0)
