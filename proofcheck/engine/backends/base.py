"""Number backends: one recursion, several number contexts (the mpmath pattern).

Every Bellman-type recursion in :mod:`proofcheck.engine` is written once against the
small interface of :class:`Backend`: arrays support ``+ - * /`` elementwise (NumPy
object arrays for exact, multi-precision and interval numbers; ``float64`` arrays for
the fast path), and the few operations that differ between number types are methods
here.  A backend also says how precise it is, so every reported number can carry its
precision.

The backends, one module each in this package, are named in its registry
(:data:`proofcheck.engine.backends.BACKENDS`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from proofcheck.errors import UndecidedError

if TYPE_CHECKING:
    import sympy as sp

    from proofcheck.model.mdp import MDP, _Block

__all__ = ["Backend", "BackendLike", "Scalar", "Offsets", "FusedPass"]

#: One number of some backend: a SymPy expression (exact), ``float`` (float64), an mpmath
#: ``mpf`` or interval, a :class:`~proofcheck.engine.backends.rational.FlintRational` or a
#: SymPy ``FracElement``.  These share no base class, hence ``Any``.
Scalar: TypeAlias = Any

#: What every ``backend=`` argument accepts: a :class:`Backend`, a registry name such as
#: ``"mpmath:50"`` (see :func:`~proofcheck.engine.backends.get_backend`), or None (exact).
BackendLike: TypeAlias = "str | Backend | None"

#: Segment offsets (``starts``/``ends`` of the ``segment_*`` methods): an int array or list.
Offsets: TypeAlias = "np.ndarray | Sequence[int]"


def _obj(values: Collection[Any]) -> np.ndarray:
    # fromiter stores each entry as it is: half the time of assigning a list, which makes
    # NumPy look into every entry for a nested sequence (this runs ~10,000 times a verify)
    return np.fromiter(values, dtype=object, count=len(values))


def _is_float_array(values: Any) -> bool:
    return isinstance(values, np.ndarray) and values.dtype.kind == "f"


class FusedPass:
    """What :meth:`Backend.fused_pass` computes in one backward pass (see there)."""

    __slots__ = ("zq", "zv", "g", "kl")

    def __init__(self, zq: np.ndarray, zv: np.ndarray, g: np.ndarray | None = None,
                 kl: np.ndarray | None = None) -> None:
        self.zq, self.zv, self.g, self.kl = zq, zv, g, kl


class Backend:
    """The operations a recursion needs beyond elementwise arithmetic.

    Subclasses set ``name``, ``exact`` and ``key`` and implement the scalar hooks
    ``_convert``, ``_log``, ``_exp``, ``_pow``, ``_is_zero``, ``_sign``; the array
    versions below are derived from them (object arrays), or overridden wholesale
    (``FloatBackend``).
    """

    exact: bool = False
    dtype: Any = object

    @property
    def name(self) -> str:
        """Short name for reports (subclasses set it as a class attribute or a property)."""
        return "abstract"

    @property
    def key(self) -> str:
        return self.name

    # -- scalar hooks ---------------------------------------------------------
    def _convert(self, value: Any) -> Scalar:
        raise NotImplementedError

    def _number(self, value: Any) -> sp.Expr:
        """``value`` as a SymPy number, for the numeric backends' ``_convert``."""
        import sympy as sp  # only for values that are not plain numbers already

        value = sp.sympify(value)
        if value.free_symbols:
            raise UndecidedError(f"numeric backend {self.name} got a parametric value {value}; "
                                 "substitute the parameters first (MDP.substitute)")
        return value

    def _log(self, x: Scalar) -> Scalar:
        raise NotImplementedError

    def _exp(self, x: Scalar) -> Scalar:
        raise NotImplementedError

    def _pow(self, x: Scalar, y: Any) -> Scalar:
        raise NotImplementedError

    def _is_zero(self, x: Scalar) -> bool:
        raise NotImplementedError

    def _sign(self, x: Scalar) -> int:
        """-1, 0 or 1; raise UndecidedError when the sign cannot be decided."""
        raise NotImplementedError

    @property
    def zero(self) -> Scalar:
        import sympy as sp  # backends without SymPy override zero and one

        return self._convert(sp.Integer(0))

    @property
    def one(self) -> Scalar:
        import sympy as sp

        return self._convert(sp.Integer(1))

    @property
    def inf(self) -> Scalar:
        raise NotImplementedError

    # -- arrays ---------------------------------------------------------------
    def array(self, values: Collection[Any]) -> np.ndarray:
        """Convert model values (SymPy expressions) into this backend's array.

        Parameters
        ----------
        values : sequence or ndarray
            SymPy expressions (or anything ``sympify`` reads), or a float64 array.

        Returns
        -------
        ndarray
        """
        if _is_float_array(values):
            return self.from_floats(values)
        return _obj([self._convert(v) for v in values])

    def scalar(self, value: Any) -> Scalar:
        """One constant (a SymPy number or anything ``sympify`` reads exactly) as this backend's number.

        Parameters
        ----------
        value : number, str or sympy.Expr

        Returns
        -------
        number
        """
        if isinstance(value, str):  # text needs SymPy's parser; numbers go to _convert as they are
            import sympy as sp

            value = sp.sympify(value)
        return self.array([value])[0]

    def from_floats(self, values: Collection[Any]) -> np.ndarray:
        """Convert a float64 array (models built by ``MDP.from_arrays``); each float is
        taken as the exact binary number it stores.

        Parameters
        ----------
        values : ndarray of float64

        Returns
        -------
        ndarray
        """
        import sympy as sp

        return _obj([self._convert(sp.Float(float(v))) for v in values])

    def empty(self, n: int) -> np.ndarray:
        """An uninitialised array of ``n`` numbers (``dtype``).

        Parameters
        ----------
        n : int

        Returns
        -------
        ndarray
        """
        return np.empty(n, dtype=self.dtype)

    def full(self, n: int, value: Scalar) -> np.ndarray:
        """An array of ``n`` copies of ``value``.

        Parameters
        ----------
        n : int
        value : number
            Already in this backend's numbers.

        Returns
        -------
        ndarray
        """
        out = np.empty(n, dtype=self.dtype)
        out[:] = [value] * n if self.dtype is object else value
        return out

    def zeros(self, n: int) -> np.ndarray:
        """``n`` zeros; see :meth:`full`."""
        return self.full(n, self.zero)

    def ones(self, n: int) -> np.ndarray:
        """``n`` ones; see :meth:`full`."""
        return self.full(n, self.one)

    def map(self, f: Callable[..., Scalar], *arrays: Collection[Any]) -> np.ndarray:
        """``f`` applied elementwise across ``arrays``.

        Parameters
        ----------
        f : callable
            Takes one number from each array.
        *arrays : ndarray
            Of equal length.

        Returns
        -------
        ndarray
        """
        return _obj([f(*xs) for xs in zip(*arrays)])

    def log(self, x: np.ndarray) -> np.ndarray:
        """Elementwise natural log, ``log 0 = -inf``.

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        ndarray
        """
        return self.map(lambda v: -self.inf if self._is_zero(v) else self._log(v), x)

    def exp(self, x: np.ndarray) -> np.ndarray:
        """Elementwise ``exp``; see :meth:`log`."""
        return self.map(self._exp, x)

    def power(self, x: np.ndarray, y: Any) -> np.ndarray:
        """Elementwise ``x ** y`` for a scalar or array exponent, with ``0 ** y = 0`` (y > 0).

        Parameters
        ----------
        x : ndarray
        y : number or ndarray
            Exponent(s), in this backend's numbers (the exact backend also takes SymPy
            expressions).

        Returns
        -------
        ndarray
        """
        ys = y if isinstance(y, np.ndarray) else [y] * len(x)
        return self.map(lambda a, b: self.zero if self._is_zero(a) else self._pow(a, b), x, ys)

    def xlogy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elementwise ``x * log(y)`` with ``0 * log(anything) = 0`` and ``x * log 0 = -inf``.

        Parameters
        ----------
        x, y : ndarray

        Returns
        -------
        ndarray
        """
        def f(a: Scalar, b: Scalar) -> Scalar:
            if b == 1:  # x * log 1 = 0 for every x: no zero test of x (a parametric split)
                return self.zero
            if self._is_zero(a):
                return self.zero
            if self._is_zero(b):
                return -self.inf
            return a * self._log(b)
        return self.map(f, x, y)

    def rel_entr(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elementwise ``x * log(x / y)``: 0 where ``x = 0``, ``+inf`` where ``y = 0 < x``.

        Parameters
        ----------
        x, y : ndarray

        Returns
        -------
        ndarray
        """
        def f(a: Scalar, b: Scalar) -> Scalar:
            if self._is_zero(a):
                return self.zero
            if self._is_zero(b):
                return self.inf
            return a * self._log(a / b)
        return self.map(f, x, y)

    def weight(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Elementwise ``w * x`` for non-negative weights ``w`` (probabilities, occupancies):
        ``0 * x = 0`` even for infinite ``x``, and ``w * x = x`` for infinite ``x`` and
        ``w != 0``.

        A parametric weight that passed the zero test is positive in the case in force, but
        SymPy keeps ``p * oo`` as a product: sums of such terms were not infinite.

        Parameters
        ----------
        w, x : ndarray

        Returns
        -------
        ndarray
        """
        inf = self.inf
        return self.map(lambda a, b: self.zero if self._is_zero(a) else b if b == inf or b == -inf else a * b, w, x)

    def is_zero(self, x: np.ndarray) -> np.ndarray:
        """Elementwise exact zero test.

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        ndarray of bool
        """
        return np.array([self._is_zero(v) for v in x], dtype=bool)

    def where(self, mask: np.ndarray, a: np.ndarray | Scalar, b: np.ndarray | Scalar) -> np.ndarray:
        """``a`` where ``mask`` is True, else ``b`` (like ``np.where``).

        Parameters
        ----------
        mask : ndarray of bool
        a, b : ndarray or number
            Arrays as long as ``mask``, or one number for every entry.

        Returns
        -------
        ndarray
        """
        out = np.empty(len(mask), dtype=self.dtype)
        a = a if isinstance(a, np.ndarray) else self.full(len(mask), a)
        b = b if isinstance(b, np.ndarray) else self.full(len(mask), b)
        out[mask] = a[mask]
        out[~mask] = b[~mask]
        return out

    def segment_sum(self, values: np.ndarray, starts: Offsets) -> np.ndarray:
        """Sums of the segments ``values[starts[i]:starts[i+1]]`` (all non-empty).

        Parameters
        ----------
        values : ndarray
        starts : int array or list
            Increasing segment starts; the last segment runs to the end of ``values``.

        Returns
        -------
        ndarray
            One sum per segment.
        """
        if len(starts) == 0:
            return self.empty(0)
        return self.normalize_array(np.add.reduceat(values, starts))

    def segment_dot(self, a: np.ndarray, b: np.ndarray, starts: Offsets) -> np.ndarray:
        """:meth:`segment_sum` of the products ``a * b`` (a backend may form them faster).

        Parameters
        ----------
        a, b : ndarray
            Of equal length.
        starts : int array or list

        Returns
        -------
        ndarray
            One sum per segment.
        """
        return self.segment_sum(a * b, starts)

    def product(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Elementwise ``a * b``; the caller normalises the result.

        Parameters
        ----------
        a, b : ndarray

        Returns
        -------
        ndarray
        """
        out: np.ndarray = a * b
        return out

    def quotient(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Elementwise ``a / b`` (``b`` non-zero); the caller normalises the result.

        Parameters
        ----------
        a, b : ndarray

        Returns
        -------
        ndarray
        """
        out: np.ndarray = a / b
        return out

    def scatter_add(self, target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
        """``target[index[i]] += values[i]`` (repeated indices accumulate).

        Parameters
        ----------
        target : ndarray
            Updated in place.
        index : int array
        values : ndarray
            As long as ``index``.
        """
        np.add.at(target, index, values)

    def edge_sum(self, mdp: MDP, blk: _Block, ep: np.ndarray, zv: np.ndarray) -> np.ndarray:
        """``sum_s' tau(s'|s, a) zv(s')`` for the pairs of one height level ``blk``.

        Parameters
        ----------
        mdp : MDP
        blk : object
            One height level of ``mdp`` (an entry of ``mdp.blocks``).
        ep : ndarray
            Edge probabilities over all edges, in this backend's numbers.
        zv : ndarray
            Values over all states.

        Returns
        -------
        ndarray
            Over the pairs of ``blk``.
        """
        e, p = blk.edges, blk.pairs
        inflow = ep[e] * zv[mdp.edge_target[e]]
        return self.segment_sum(inflow, mdp.pair_ptr[p.start:p.stop] - e.start)

    def fused_pass(self, mdp: MDP, pi: np.ndarray, q: np.ndarray, success: np.ndarray, *,
                   condition: str | None = None, kl_delta: Any = None,
                   kl_impossible: str = "keep") -> FusedPass | None:
        """The backward pass with its consumers fused in, or None (then the generic code runs).

        A backend that can do the soft-value recursion faster than the generic per-level
        array code returns a :class:`FusedPass`: ``zq`` and ``zv`` always, ``g`` =
        ``G(pi)`` when ``condition`` names the :attr:`Conventions.impossible` rule, and,
        when ``kl_delta`` is given, ``kl`` = the causal KL-to-go per state,
        ``K(s) = KL(pi(.|s) || Boltzmann_delta(Zq(s, .))) + E_pi[K(next state)]``
        (so ``kappa = E_mu K``; a NaN there means ``0 * inf`` and the caller must use
        the occupancy route) (the Boltzmann policy's rule where every ``Zq`` of a state is 0 is
        ``kl_impossible``).  The base class has no fused form.
        """
        return None

    def compare(self, a: Scalar, b: Scalar) -> int:
        """-1, 0 or 1 for ``a`` vs ``b``; UndecidedError when it cannot be decided.

        Parameters
        ----------
        a, b : number

        Returns
        -------
        int

        Raises
        ------
        UndecidedError
            When the order cannot be decided (a parametric sign, an interval around 0).
        """
        if a == b:
            return 0
        return self._sign(a - b) if not (self._is_inf(a) or self._is_inf(b)) else self._cmp_inf(a, b)

    def _is_inf(self, x: Scalar) -> bool:
        return x == self.inf or x == -self.inf

    def _cmp_inf(self, a: Scalar, b: Scalar) -> int:
        order = lambda v: 1 if v == self.inf else (-1 if v == -self.inf else 0)
        oa, ob = order(a), order(b)
        return (oa > ob) - (oa < ob)

    def segment_argmax(self, values: np.ndarray, starts: Offsets, ends: Offsets) -> np.ndarray:
        """Boolean mask of the maximal entries of each segment (ties kept, exactly).

        Parameters
        ----------
        values : ndarray
        starts, ends : int array or list
            Segment ``i`` is ``values[starts[i]:ends[i]]`` (non-empty).

        Returns
        -------
        ndarray of bool
            As long as ``values``.
        """
        mask = np.zeros(len(values), dtype=bool)
        for lo, hi in zip(starts, ends):
            best = [lo]
            for j in range(lo + 1, hi):
                c = self.compare(values[j], values[best[0]])
                if c > 0:
                    best = [j]
                elif c == 0:
                    best.append(j)
            mask[best] = True
        return mask

    def segment_max(self, values: np.ndarray, starts: Offsets, ends: Offsets) -> np.ndarray:
        """The maximum of each segment; see :meth:`segment_argmax`.

        Parameters
        ----------
        values : ndarray
        starts, ends : int array or list

        Returns
        -------
        ndarray
            One maximum per segment.
        """
        mask = self.segment_argmax(values, starts, ends)
        out = self.empty(len(starts))
        for i, (lo, hi) in enumerate(zip(starts, ends)):
            out[i] = values[lo + int(np.argmax(mask[lo:hi]))]
        return out

    def normalize_array(self, x: np.ndarray) -> np.ndarray:
        """Hook for canonical forms (the exact backend cancels rational functions).

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        ndarray
            The same values, in canonical form.
        """
        return x

    def to_sympy(self, x: Scalar) -> sp.Expr:
        """A SymPy number (or expression) for reporting.

        Parameters
        ----------
        x : number
            In this backend's numbers.

        Returns
        -------
        sympy.Expr
        """
        raise NotImplementedError

    def describe(self) -> str:
        """Precision statement for reports."""
        raise NotImplementedError
