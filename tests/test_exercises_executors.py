"""Lesson 04's checkers beyond the generic cases: other right answers, and the stand-ins the checks rely on.

The model answers, the stubs and the wrong answers are in ``tests/exercise_answers/executors.py`` and run by
``tests/test_exercise_checkers.py``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from exercise_answers.executors import OTHER_RIGHT

from support.exercises import executors
from support.exercises.checking import Checker


@pytest.mark.parametrize(("check", "answer"), OTHER_RIGHT, ids=lambda x: getattr(x, "__name__", ""))
async def test_other_right_answers_pass(check: Checker, answer: Any) -> None:
    verdict = await check.verdict(answer)
    assert verdict.passed, verdict.line()


async def test_the_chunk_source_sees_whether_bytes_reach_the_disk_as_they_arrive(tmp_path: Path) -> None:
    chunks = executors._content(b"x")
    streaming = executors._ChunkSource(chunks, tmp_path, "a.bin")
    with (tmp_path / ".a.part").open("wb") as file:  # noqa: ASYNC230 (a test)
        while chunk := await streaming():
            file.write(chunk)
            file.flush()
    assert streaming.kept_up and not streaming.target_changed
    assert streaming.given == len(chunks)

    hoarding = executors._ChunkSource(chunks, tmp_path, "b.bin")
    held = [chunk async for chunk in _drain(hoarding)]
    assert not hoarding.kept_up, "nothing was on disk while the chunks came in"
    assert b"".join(held) == b"".join(chunks)


async def _drain(source: executors._ChunkSource) -> Any:
    while chunk := await source():
        yield chunk


async def test_the_chunk_source_fails_or_hangs_where_asked(tmp_path: Path) -> None:
    failing = executors._ChunkSource(executors._content(b"f"), tmp_path, "f.bin", fail_at=2)
    await failing()
    await failing()
    with pytest.raises(ConnectionError):
        await failing()
    hanging = executors._ChunkSource(executors._content(b"h"), tmp_path, "h.bin", hang_at=0)
    task = asyncio.create_task(hanging())
    await asyncio.wait_for(hanging.hanging.wait(), 1)
    assert not task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_open_descriptors_into_a_folder_are_found(tmp_path: Path) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    folder = Path(os.path.realpath(tmp_path))
    fd, name = tempfile.mkstemp(dir=folder)
    try:
        assert executors._open_into(folder) == [Path(name).name]
    finally:
        os.close(fd)
    assert executors._open_into(folder) == []
