"""Wall against CPU time, and a CPU profile added up by area."""

from __future__ import annotations

import cProfile
import json
import time

from support import cpu_time


def test_usage_tells_waiting_from_computing() -> None:
    with cpu_time.usage() as waiting:
        time.sleep(0.1)
    with cpu_time.usage() as computing:
        sum(i * i for i in range(300_000))
    assert waiting.wall >= 0.09 and waiting.cpu_share < 0.3
    assert computing.cpu_share > 0.5


def test_areas_from_paths_and_names() -> None:
    assert cpu_time.area_of("~", "<method 'read' of '_ssl._SSLSocket' objects>").startswith("TLS")
    assert cpu_time.area_of("/x/site-packages/h11/_readers.py", "read").startswith("HTTP parsing")
    assert cpu_time.area_of("/x/site-packages/httpcore/_async/http11.py", "is_idle").startswith("HTTP client")
    assert cpu_time.area_of("/usr/lib/python3.12/json/decoder.py", "decode") == "JSON"
    assert cpu_time.area_of("/usr/lib/python3.12/asyncio/base_events.py", "_run_once").startswith(
        "event loop"
    )
    assert cpu_time.area_of("C:\\py\\lib\\asyncio\\events.py", "_run").startswith("event loop")
    assert cpu_time.area_of("/somewhere/else.py", "f") == cpu_time.OTHER


def test_by_area_adds_each_function_once_and_keeps_the_order() -> None:
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    text = json.dumps([{"n": i, "s": str(i)} for i in range(20_000)])
    for _ in range(5):
        json.loads(text)
    profile.disable()
    areas = cpu_time.by_area(profile)
    assert areas["JSON"] > 0
    assert list(areas) == [a for a in [*cpu_time.AREAS, cpu_time.OTHER] if a in areas]
    assert all(seconds > 0 for seconds in areas.values())
