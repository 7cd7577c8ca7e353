"""The executors' work: a CPU-bound count with known answers, a blocking wait that leaves its mark."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from support.workloads import count_primes, sleep_then_mark


def test_count_primes_knows_the_small_counts() -> None:
    assert [count_primes(n) for n in (0, 1, 2, 3, 10, 100, 1000)] == [0, 0, 0, 1, 4, 25, 168]


def test_count_primes_refuses_a_negative_limit() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        count_primes(-1)


def test_sleep_then_mark_blocks_then_leaves_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "done"
    started = time.perf_counter()
    assert sleep_then_mark(0.05, marker) == str(marker)
    assert time.perf_counter() - started >= 0.05
    assert marker.exists()


def test_a_spawned_worker_can_import_both(tmp_path: Path) -> None:
    # The reason they live in a module: a spawned worker finds them by name.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(count_primes, 100).result(timeout=60) == 25
        assert pool.submit(sleep_then_mark, 0, tmp_path / "m").result(timeout=60) == str(tmp_path / "m")
    assert (tmp_path / "m").exists()
