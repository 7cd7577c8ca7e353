"""Helpers shared by the async Python workbook's notebooks, grouped by room.

- ``timing``, ``plots``, ``tracer``, ``loop_lag``, ``cli``, ``open_files``, ...: the instruments every room uses
  (one stopwatch, one duration format, one plot style, the argument checks and exit statuses);
- ``lab/``: the local stand-ins for the internet (flag site, DNS server) and how they start and stop;
- ``examples/``: the chapter's programs, rewritten, each with a CLI (``python -m support.examples.<name>``);
- ``exercises/``: the checkers, one module per lesson;
- ``workbook/``: the workbook's own machinery (environment check, notebook runner, benchmark reports).

Rooms depend one way: instruments <- lab <- examples <- exercises <- workbook (tests/test_rooms.py).
Import the module you need; this package imports nothing heavy by itself.
"""

__all__: list[str] = []
