"""Copied to ``mutants/sitecustomize.py`` by :mod:`bridge` for ``make mutate`` only: mutants in ``python -m``.

A server or CLI run as ``python -m support.x`` defines its functions in ``__main__``, and mutmut's trampoline
turns a mutant on only where the function's ``__module__`` is the module in the mutant's name
(``support.x.x_main__mutmut_1``): in such a child every mutant of the module itself stayed off, and the tests
that run it could not kill one. Python imports ``sitecustomize`` at start-up from ``PYTHONPATH`` (the mutated
copy of the repository, for every child the tests start), so this gives those functions their real module
name before mutmut wraps them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

if os.environ.get("MUTANT_UNDER_TEST"):
    try:
        from mutmut.mutation import trampoline
    except ImportError:  # not under mutmut after all
        pass
    else:
        _wrap = trampoline.wrap_in_trampoline

        def _wrap_in_trampoline(
            mutants: dict[str, Any], is_classmethod: bool = False
        ) -> Callable[[Any], Any]:
            decorate = _wrap(mutants, is_classmethod)

            def apply(func: Any) -> Any:
                spec = func.__globals__.get("__spec__")
                if func.__module__ == "__main__" and spec is not None:
                    func.__module__ = spec.name  # run with -m (or runpy): the name mutmut gives its mutants
                return decorate(func)

            return apply

        trampoline.wrap_in_trampoline = _wrap_in_trampoline
