"""The four options compute the same sum; only the in-loop one freezes the loop; the CLI prints the table."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from support.examples import cpu_offload
from support.lab import processes


def test_the_pure_python_and_numpy_sums_agree_with_the_formula() -> None:
    for n in (0, 1, 2, 10, 12_345):
        formula = (n - 1) * n * (2 * n - 1) // 6
        assert cpu_offload.sum_of_squares(n) == formula
        assert cpu_offload.sum_of_squares_numpy(n) == formula


def test_numpy_refuses_sizes_that_would_overflow() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        cpu_offload.sum_of_squares_numpy(3_000_001)


def test_fingerprint_is_deterministic_and_depends_on_the_name() -> None:
    assert cpu_offload.fingerprint("if.dev", 10) == cpu_offload.fingerprint("if.dev", 10)
    assert cpu_offload.fingerprint("if.dev", 10) != cpu_offload.fingerprint("or.dev", 10)
    assert len(cpu_offload.fingerprint("if.dev", 10)) == 12


@pytest.mark.alone  # the pool's and the cluster's lag is measured against the loop's: they need free CPUs
async def test_side_by_side_only_the_loop_and_numpy_block_and_all_agree() -> None:
    before = processes.children()
    n = 1_500_000
    with cpu_offload.process_pool() as pool:
        async with cpu_offload.local_dask() as client:
            await cpu_offload.warm_up(pool, client)
            results = await cpu_offload.compare(n, pool, client)
    assert [r.option for r in results] == list(cpu_offload.OPTIONS)
    assert {r.value for r in results} == {cpu_offload.sum_of_squares(n)}
    in_loop, pool_run, dask_run, numpy_run = results
    assert in_loop.frozen_share > 0.7  # the heartbeat saw the stall
    assert pool_run.max_lag < in_loop.max_lag / 4
    assert dask_run.max_lag < in_loop.max_lag / 4
    assert numpy_run.seconds < in_loop.seconds / 3
    await asyncio.sleep(0.2)
    assert processes.children() == before  # pool workers and the cluster are gone


def test_the_command_line_prints_the_table_and_checks_its_answers() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "support.examples.cpu_offload", "-n", "200000"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for option in cpu_offload.OPTIONS:
        assert option in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "support.examples.cpu_offload", "-n", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "1 to 3,000,000" in bad.stderr
