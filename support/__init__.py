"""Helpers shared by the async Python workbook's notebooks.

One module per noun: ``timing`` (the stopwatch and the duration format), ``plots`` (bar charts and
timelines), ``services`` (start/stop local servers), ``flag_server``, ``dns_server``, ``exercises``...
Import the module you need; this package imports nothing heavy by itself.
"""

__all__: list[str] = []
