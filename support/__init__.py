"""Helpers shared by the async Python workbook's notebooks, one module per noun.

- ``timing``: the one stopwatch (``Stopwatch``), task timelines (``Timeline``) and duration format;
- ``plots``: sequential-vs-concurrent bars, task timelines, requests in flight;
- ``services``: start local servers once, on free ports, and stop them all (``_supervised`` keeps them
  from outliving their starter);
- local servers with a CLI: ``flag_server`` (with ``flag_data``), ``dns_server``;
- the chapter's programs as modules with a CLI: ``blogdom``, ``flags``, ``flags_threadpool``,
  ``flags_asyncio``, ``flags2``, ``flags3`` (sharing ``flags_common``), ``hello_loop``;
- the taught toy scheduler: ``generator_scheduler``;
- measuring: ``client_bench``, ``open_files``, ``reports``;
- the workbook itself: ``envcheck`` (pre-flight check), ``notebook_runner`` (``make notebooks``),
  ``exercises`` (one checker module per lesson).

Import the module you need; this package imports nothing heavy by itself.
"""

__all__: list[str] = []
