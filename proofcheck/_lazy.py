"""SymPy only when a value needs it: the one idiom for code that also runs on routes without it.

Importing SymPy costs about half a second, more than a whole BRIDGE analysis on the exact
rational route (Python ints and :class:`fractions.Fraction`), so modules on such routes
import it inside the functions that build or read SymPy objects.  What they cannot defer
is a type test: :func:`is_sympy` answers ``isinstance(x, sympy.Basic)`` without importing
SymPy, since no value can be a SymPy object before SymPy was imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["is_sympy", "LazyModule", "lazy_names"]


def is_sympy(x: Any) -> bool:
    """``isinstance(x, sympy.Basic)``, without importing SymPy.

    Examples
    --------
    >>> from fractions import Fraction
    >>> is_sympy(Fraction(1, 2))
    False
    >>> import sympy
    >>> is_sympy(sympy.Rational(1, 2))
    True
    """
    sp = sys.modules.get("sympy")
    return sp is not None and isinstance(x, sp.Basic)


class LazyModule:
    """A stand-in for a module, imported on first attribute access.

    For a module-level name that functions read but that must not cost an import when no
    function runs; where the functions can be edited, import inside them instead.  It is
    not a module in ``sys.modules``, so ``"sympy" in sys.modules`` stays a true statement
    about what was imported.

    Examples
    --------
    >>> LazyModule("fractions").Fraction(1, 2)
    Fraction(1, 2)
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr in ("_name", "_module"):  # not set yet (a copy): no recursion through self._module
            raise AttributeError(attr)
        if self._module is None:
            self._module = importlib.import_module(self._name)
        value = getattr(self._module, attr)
        setattr(self, attr, value)  # later look-ups are plain attribute reads
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{'' if self._module is None else ' (imported)'}>"


def lazy_names(namespace: dict[str, Any], public: dict[str, list[str]]) -> tuple[Callable[[str], Any],
                                                                                 Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for a package whose public names load on first use (PEP 562).

    ``namespace`` is the package's ``globals()``; ``public`` maps each module to the names
    it defines.  A name, once read, is bound in the package, so later reads are plain.

    Examples
    --------
    >>> space = {"__name__": "pkg", "__all__": ["Fraction"]}
    >>> getattr_, dir_ = lazy_names(space, {"fractions": ["Fraction"]})
    >>> getattr_("Fraction")(1, 2), "Fraction" in space, dir_()
    (Fraction(1, 2), True, ['Fraction', '__all__', '__name__'])
    """
    where = {name: module for module, names in public.items() for name in names}
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        elif not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")  # pc.examples, pc.strategies, ...
        else:
            import difflib  # only on a miss: `import proofcheck` stays cheap

            close = difflib.get_close_matches(name, list(where), n=1, cutoff=0.6)
            raise AttributeError(f"module {package!r} has no attribute {name!r}"
                                 + (f"; did you mean {close[0]!r}?" if close else ""))
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
