"""The workbook's own machinery: nothing here is taught.

- ``envcheck``: the pre-flight check (``python -m support.workbook.envcheck``);
- ``notebook_runner``: ``make notebooks``, each notebook from a fresh kernel;
- ``notebook_checks``: the notebook conventions (tests, ``make lint``, the pre-commit hook);
- ``reports``, ``bench_report``: benchmark results and their report (the benchmarks themselves, with the HTTP
  client benchmark's harness ``client_bench``, live in ``benchmarks/``);
"""
