"""The workbook's own machinery: nothing here is taught.

- ``envcheck``: the pre-flight check (``python -m support.workbook.envcheck``);
- ``notebook_runner``: ``make notebooks``, each notebook from a fresh kernel;
- ``notebook_checks``: the notebook conventions (tests, ``make lint``, the pre-commit hook);
- ``reports``, ``client_bench``: benchmark results and the HTTP client benchmark;
"""
