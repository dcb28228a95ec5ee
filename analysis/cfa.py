r"""Confirmatory factor analysis by maximum likelihood, one group or several, as lavaan 0.6 fits it.

The measurement model
---------------------
In group :math:`g` the items :math:`y` (``p`` of them) depend on ``m`` factors :math:`\eta`:

.. math::

    y = \nu_g + \Lambda_g \eta + \varepsilon, \qquad
    \Sigma_g = \Lambda_g \Phi_g \Lambda_g^\top + \Theta_g, \qquad
    \mu_g = \nu_g + \Lambda_g \alpha_g,

with loadings :math:`\Lambda`, factor variances and covariances :math:`\Phi` (all free), diagonal
residual variances :math:`\Theta`, intercepts :math:`\nu` and factor means :math:`\alpha`
(Jöreskog 1969, 1971). The choices are lavaan's defaults (``cfa()`` with ``std.lv = FALSE``), so
that results can be compared line by line with ``parameterEstimates`` and ``fitMeasures``:

- each factor's first item is its marker, with loading fixed to 1 in every group;
- one group fits the covariance structure only (no intercepts); with ``group`` the mean structure
  is added: intercepts free, factor means fixed to 0, except that with equal intercepts the factor
  means are free in every group after the first;
- ``group_equal`` ties parameters across groups (lavaan's words ``"loadings"``, ``"intercepts"``,
  ``"residuals"``, ``"lv.variances"``, ``"lv.covariances"``, ``"means"``); ``group_partial`` exempts
  single parameters, in lavaan syntax (``"visual=~x2"``, ``"x3~1"``, ``"x1~~x1"``);
- an item may load on several factors (a cross-loading; lavaan allows it too). A factor needs at
  least two items, and a factor's name may not be an item's (no second-order factors).

Estimation
----------
The ML discrepancy of group :math:`g`, with the sample covariance :math:`S_g` divided by
:math:`n_g` (lavaan's ``likelihood = "normal"``) and sample means :math:`\bar y_g`, is

.. math::

    F_g = \log|\Sigma_g| + \operatorname{tr}(S_g \Sigma_g^{-1}) - \log|S_g| - p
          + (\bar y_g - \mu_g)^\top \Sigma_g^{-1} (\bar y_g - \mu_g),

and :math:`F = \sum_g (n_g / N) F_g` is minimised over the free parameters by Fisher scoring
(L-BFGS-B as the fallback, see ``_optimise``) with the closed-form gradient,
:math:`\partial F_g / \partial \Sigma = \Sigma^{-1} - \Sigma^{-1}(S + dd^\top)\Sigma^{-1}` with
:math:`d = \bar y - \mu`, and the expected information as the Hessian:

.. math::

    H_{ab} = \sum_g \frac{n_g}{N} \left[ \operatorname{tr}(\Sigma_g^{-1} \partial_a \Sigma_g
             \Sigma_g^{-1} \partial_b \Sigma_g) + 2\, \partial_a \mu_g^\top \Sigma_g^{-1}
             \partial_b \mu_g \right].

Standard errors are the square roots of the diagonal of :math:`(N H / 2)^{-1}` (the expected
information, lavaan's default). Starting values: markers 1, other loadings the item's covariance with
the marker over the factor variance, factor variances half the marker's variance, covariances 0,
residual variances half the item's variance, intercepts the item means. Parameters are not bounded:
as in lavaan, a negative residual variance (a Heywood case) is reported with a :class:`CFAWarning`.

Fit measures (lavaan's ``fitMeasures`` names)
---------------------------------------------
``chisq`` :math:`= \sum_g n_g F_g`; ``df`` = sample moments (:math:`p(p+1)/2`, plus :math:`p` means
with a mean structure, per group) minus ``npar`` (free parameters after equality constraints). The
baseline model has free variances (and means) and no covariances in every group:
:math:`\chi^2_B = \sum_g n_g (\sum_j \log s_{jj} - \log|S_g|)` on :math:`G p (p - 1) / 2` df.

- ``cfi`` :math:`= 1 - \max(\chi^2 - df, 0) / \max(\chi^2 - df, \chi^2_B - df_B, 0)` (Bentler 1990);
- ``tli`` :math:`= (\chi^2_B/df_B - \chi^2/df) / (\chi^2_B/df_B - 1)` (Tucker & Lewis 1973);
- ``rmsea`` :math:`= \sqrt{G}\,\sqrt{\max(\chi^2 - df, 0) / (N\, df)}` (Steiger 1990; the
  :math:`\sqrt{G}` factor for several groups, Steiger 1998), and its 90 % interval from the
  noncentrality parameters :math:`\lambda` at which the noncentral :math:`\chi^2_{df}(\lambda)`
  puts :math:`\chi^2` at its 95th and 5th percentiles;
- ``srmr`` (Bentler's, lavaan's default): per group the root mean square of the standardised
  residuals :math:`(s_{ij} - \sigma_{ij}) / \sqrt{s_{ii} s_{jj}}`, :math:`i \le j`, and with a mean
  structure of :math:`(\bar y_i - \mu_i) / \sqrt{s_{ii}}`; groups averaged with weights
  :math:`n_g / N`.

Missing answers: ``missing="listwise"`` (lavaan's default) drops every respondent without an
answer to one of the model's items. Full-information ML is not implemented.

References
----------
Jöreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor analysis.
*Psychometrika*, 34, 183–202. Jöreskog, K. G. (1971). Simultaneous factor analysis in several
populations. *Psychometrika*, 36, 409–426. Bentler, P. M. (1990). Comparative fit indexes in
structural models. *Psychological Bulletin*, 107, 238–246. Steiger, J. H. (1998). A note on
multiple sample extensions of the RMSEA fit index. *Structural Equation Modeling*, 5, 411–419.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of Statistical
Software*, 48(2).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from ._validation import as_items, check_choice

__all__ = ["GROUP_EQUAL", "CFAResult", "CFAWarning", "cfa", "parse_model"]

#: The words ``group_equal`` accepts, as lavaan's ``group.equal`` spells them.
GROUP_EQUAL = ("loadings", "intercepts", "residuals", "lv.variances", "lv.covariances", "means")
MISSING_POLICIES = ("listwise",)
ESTIMATORS = ("ML",)
FIT_MEASURES = (
    "npar",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "srmr",
    "baseline.chisq",
    "baseline.df",
)
_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_Z975 = stats.norm.ppf(0.975)

# Matrix codes of a parameter-table row.
_LAMBDA, _THETA, _PHI, _NU, _ALPHA = range(5)
#: group_equal word for each matrix (lv.covariances: off-diagonal Phi, handled apart).
_KIND = {_LAMBDA: "loadings", _THETA: "residuals", _PHI: "lv.variances", _NU: "intercepts", _ALPHA: "means"}


class CFAWarning(UserWarning):
    """A fitted model that lavaan would warn about: not converged, a negative variance, no SEs."""


@dataclass(frozen=True)
class CFAResult:
    """A fitted confirmatory factor model.

    Attributes
    ----------
    estimates : DataFrame
        One row per parameter and group, lavaan's ``parameterEstimates`` columns ``lhs, op, rhs,
        group`` (1, 2, .. in the order of ``groups``), ``est, se, z, pvalue, ci.lower, ci.upper``
        (95 %); fixed parameters have ``se`` 0 and no z, as in lavaan.
    fit : mapping
        lavaan's ``fitMeasures`` names: ``npar, chisq, df, pvalue, cfi, tli, rmsea,
        rmsea.ci.lower, rmsea.ci.upper, srmr, baseline.chisq, baseline.df``.
    model : mapping
        Factor -> its items, in order (the first is the marker).
    groups : tuple
        Group labels in order of first appearance (lavaan's order); ``()`` for one group.
    nobs : tuple of int
        Respondents used per group (after listwise deletion).
    group_equal, group_partial : tuple of str
        The equality constraints asked for, and the parameters exempted from them.
    converged : bool
        Whether the optimiser met its gradient tolerance.
    """

    estimates: pd.DataFrame
    fit: Mapping[str, float]
    model: Mapping[str, tuple[str, ...]]
    groups: tuple
    nobs: tuple[int, ...]
    group_equal: tuple[str, ...]
    group_partial: tuple[str, ...]
    converged: bool
    _fitted: object = field(default=None, repr=False, compare=False)


# ---------------------------------------------------------------------------
# model syntax


def parse_model(model) -> dict[str, tuple[str, ...]]:
    """Return ``model`` as ``{factor: (item, ...)}``, from a mapping or lavaan ``=~`` syntax.

    Lines are separated by newlines or ``;``; ``#`` and ``!`` start comments; a line ending in
    ``+`` or ``=~`` continues on the next; a factor on several lines gets all their items. Only
    ``=~`` lines with plain item names are accepted: any other operator or a modifier such as
    ``1*x1`` raises a ``ValueError`` naming the line.
    """
    if isinstance(model, str):
        factors: dict[str, list[str]] = {}
        pending = ""
        statements = []
        for raw in re.split(r"[\n;]", model):
            line = re.split(r"[#!]", raw, maxsplit=1)[0].strip()
            if not line and not pending:
                continue
            pending = f"{pending} {line}".strip()
            if pending.endswith(("+", "=~")):
                continue
            statements.append(pending)
            pending = ""
        if pending:
            statements.append(pending)
        for statement in statements:
            match = re.fullmatch(rf"\s*({_NAME})\s*=~\s*(.+)", statement)
            if not match or re.search(r"[~=<>:*]", match.group(2)):
                raise ValueError(
                    f"model: only '=~' lines with item names are supported (factor =~ item1 + item2); "
                    f"cannot read {statement!r}"
                )
            items = [part.strip() for part in match.group(2).split("+")]
            bad = [i for i in items if not re.fullmatch(_NAME, i)]
            if bad:
                raise ValueError(f"model: {bad[0]!r} is not an item name in {statement!r}")
            factors.setdefault(match.group(1), []).extend(items)
        if not factors:
            raise ValueError("model has no '=~' line")
        mapping: Mapping = factors
    elif isinstance(model, Mapping):
        mapping = model
    else:
        raise ValueError(
            f"model must be a mapping {{factor: [items]}} or lavaan '=~' syntax; got {type(model).__name__}"
        )
    if not mapping:
        raise ValueError("model has no factor")
    result: dict[str, tuple[str, ...]] = {}
    for factor, items in mapping.items():
        if isinstance(items, str) or not isinstance(items, Iterable):
            raise ValueError(f"model[{factor!r}] must be a sequence of item names; got {items!r}")
        items = tuple(str(i) for i in items)
        duplicated = sorted({i for i in items if items.count(i) > 1})
        if duplicated:
            raise ValueError(f"model: factor {factor!r} lists {duplicated} more than once")
        if len(items) < 2:
            raise ValueError(
                f"model: factor {factor!r} has {len(items)} item(s) {list(items)}; a factor needs at least "
                f"two (with one, its variance and the item's residual variance cannot both be estimated)"
            )
        result[str(factor)] = items
    items_all = {i for items in result.values() for i in items}
    clash = sorted(set(result) & items_all)
    if clash:
        raise ValueError(
            f"model: {clash} name both a factor and an item (second-order factors are not supported)"
        )
    return result


def _parse_partial(entries) -> set[tuple[str, str, str]]:
    """``group_partial`` entries as (lhs, op, rhs) keys."""
    if isinstance(entries, str):
        entries = [entries]
    keys = set()
    for entry in entries:
        text = re.sub(r"\s+", "", str(entry))
        match = re.fullmatch(rf"({_NAME})(=~|~~|~1)({_NAME})?", text)
        if not match or (match.group(2) == "~1") != (match.group(3) is None):
            raise ValueError(
                "group_partial entries must read like 'factor=~item', 'item~1' or 'item~~item'; "
                f"got {entry!r}"
            )
        keys.add((match.group(1), match.group(2), match.group(3) or ""))
    return keys


# ---------------------------------------------------------------------------
# the parameter table


@dataclass
class _Spec:
    """A compiled model: the parameter table and the sample statistics of each group."""

    items: list[str]
    factors: list[str]
    loads: list[tuple[int, int]]  # (item, factor) pairs with a loading, markers included
    markers: set[tuple[int, int]]
    meanstructure: bool
    n: np.ndarray  # per group
    S: list[np.ndarray]
    mean: list[np.ndarray]
    # parameter table, one entry per row: group, matrix, i, j, free index (-1 fixed), fixed value, key
    rows: list[tuple[int, int, int, int, int, float, tuple[str, str, str]]]
    n_free: int
    start: np.ndarray

    @property
    def n_groups(self) -> int:
        return len(self.n)


def _table(items, factors, loads, markers, n_groups, meanstructure, group_equal, partial, untie=False):
    """Parameter-table rows in lavaan's order per group, and the number of free parameters.

    Rows of later groups share the free index of the first group's row when ``group_equal`` ties
    them (unless listed in ``partial``); ``untie=True`` gives every free row its own index.
    """
    p, m = len(items), len(factors)
    rows = []
    first: dict[tuple, int] = {}
    n_free = 0
    means_free_later = "intercepts" in group_equal and "means" not in group_equal
    for g in range(n_groups):
        entries = []
        for j, k in loads:
            fixed = (j, k) in markers
            entries.append((_LAMBDA, j, k, fixed, 1.0, (factors[k], "=~", items[j])))
        for j in range(p):
            entries.append((_THETA, j, j, False, 0.0, (items[j], "~~", items[j])))
        for a in range(m):
            for b in range(a, m):
                entries.append((_PHI, a, b, False, 0.0, (factors[a], "~~", factors[b])))
        if meanstructure:
            for j in range(p):
                entries.append((_NU, j, 0, False, 0.0, (items[j], "~1", "")))
            for k in range(m):
                free_mean = g > 0 and means_free_later
                entries.append((_ALPHA, k, 0, not free_mean, 0.0, (factors[k], "~1", "")))
        for matrix, i, j, fixed, value, key in entries:
            if fixed:
                rows.append((g, matrix, i, j, -1, value, key))
                continue
            kind = "lv.covariances" if matrix == _PHI and i != j else _KIND[matrix]
            tied_key = (matrix, i, j)
            if g > 0 and not untie and kind in group_equal and key not in partial and tied_key in first:
                rows.append((g, matrix, i, j, first[tied_key], value, key))
                continue
            if g == 0:
                first[tied_key] = n_free
            rows.append((g, matrix, i, j, n_free, value, key))
            n_free += 1
    return rows, n_free


class _Model:
    """Model-implied moments, discrepancy, gradient and expected information for a parameter table."""

    def __init__(self, spec: _Spec, rows, n_free):
        self.spec = spec
        self.rows = rows
        self.n_free = n_free
        p, m = len(spec.items), len(spec.factors)
        self.p, self.m = p, m
        self.weights = spec.n / spec.n.sum()
        self.logdet_S = [np.linalg.slogdet(S)[1] for S in spec.S]
        # Index arrays per group and matrix: (rows i, cols j, free index or -1, fixed values).
        self.index = []
        for g in range(spec.n_groups):
            per = {}
            for matrix in range(5):
                sel = [r for r in rows if r[0] == g and r[1] == matrix]
                per[matrix] = (
                    np.array([r[2] for r in sel], dtype=np.intp),
                    np.array([r[3] for r in sel], dtype=np.intp),
                    np.array([r[4] for r in sel], dtype=np.intp),
                    np.array([r[5] for r in sel], dtype=float),
                )
            self.index.append(per)
        # Packed layout of one group's matrices (Lambda, Theta diagonal, Phi, nu, alpha) in a flat
        # vector; each row scatters its value (a free parameter or a fixed value) to its positions
        # (both triangles for a factor covariance), and the gradient gathers them back.
        sizes = [p * m, p, m * m, p, m]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.scatter = []
        for g in range(spec.n_groups):
            positions, sources, fixed_values = [], [], []
            for _, matrix, i, j, free, value, _ in (r for r in rows if r[0] == g):
                if matrix == _LAMBDA:
                    where = [i * m + j]
                elif matrix == _PHI:
                    where = [i * m + j] if i == j else [i * m + j, j * m + i]
                else:
                    where = [i]
                if free >= 0:
                    source = free
                else:
                    source = n_free + len(fixed_values)
                    fixed_values.append(value)
                for w in where:
                    positions.append(self.offsets[matrix] + w)
                    sources.append(source)
            positions = np.asarray(positions, dtype=np.intp)
            sources = np.asarray(sources, dtype=np.intp)
            is_free = sources < n_free
            self.scatter.append(
                (
                    positions,
                    sources,
                    np.asarray(fixed_values, dtype=float),
                    positions[is_free],
                    sources[is_free],
                )
            )

    def matrices(self, x, g):
        p, m = self.p, self.m
        positions, sources, fixed_values, _, _ = self.scatter[g]
        flat = np.zeros(self.offsets[-1])
        flat[positions] = np.concatenate([x, fixed_values])[sources]
        o = self.offsets
        return {
            _LAMBDA: flat[o[0] : o[1]].reshape(p, m),
            _THETA: flat[o[1] : o[2]],
            _PHI: flat[o[2] : o[3]].reshape(m, m),
            _NU: flat[o[3] : o[4]],
            _ALPHA: flat[o[4] : o[5]],
        }

    def implied(self, x, g):
        mats = self.matrices(x, g)
        lam, phi = mats[_LAMBDA], mats[_PHI]
        sigma = lam @ phi @ lam.T
        sigma[np.diag_indices(self.p)] += mats[_THETA]
        mu = mats[_NU] + lam @ mats[_ALPHA]
        return mats, sigma, mu

    def objective(self, x) -> float:
        total = 0.0
        for g in range(self.spec.n_groups):
            _, sigma, mu = self.implied(x, g)
            try:
                chol = np.linalg.cholesky(sigma)
            except np.linalg.LinAlgError:
                return np.inf
            logdet = 2.0 * np.log(np.diag(chol)).sum()
            inv_chol = np.linalg.inv(chol)
            inv = inv_chol.T @ inv_chol
            value = logdet + np.sum(inv * self.spec.S[g]) - self.logdet_S[g] - self.p
            if self.spec.meanstructure:
                d = self.spec.mean[g] - mu
                value += d @ inv @ d
            total += self.weights[g] * value
        return float(total)

    def gradient(self, x) -> np.ndarray:
        grad = np.zeros(self.n_free)
        for g in range(self.spec.n_groups):
            mats, sigma, mu = self.implied(x, g)
            inv = np.linalg.inv(sigma)
            a = self.spec.S[g].copy()
            b = np.zeros(self.p)
            if self.spec.meanstructure:
                d = self.spec.mean[g] - mu
                a += np.outer(d, d)
                b = -2.0 * inv @ d
            gs = inv - inv @ a @ inv
            lam, phi = mats[_LAMBDA], mats[_PHI]
            parts = np.concatenate(
                [
                    (2.0 * gs @ lam @ phi + np.outer(b, mats[_ALPHA])).ravel(),
                    np.diag(gs),
                    (lam.T @ gs @ lam).ravel(),
                    b,
                    lam.T @ b,
                ]
            )
            _, _, _, free_positions, free_sources = self.scatter[g]
            grad += self.weights[g] * np.bincount(
                free_sources, weights=parts[free_positions], minlength=self.n_free
            )
        return grad

    def directions(self, x, g):
        r"""Each free row's derivative of Sigma_g and mu_g, as rank-one pieces.

        :math:`\partial \Sigma / \partial \theta_r = c_r (u_r w_r^\top + w_r u_r^\top)` for every
        parameter of this model (a loading: :math:`u = e_j`, :math:`w = (\Lambda\Phi)_{\cdot k}`; a
        residual variance: :math:`u = w = e_j`, :math:`c = 1/2`; a factor (co)variance:
        :math:`u = \Lambda_{\cdot a}`, :math:`w = \Lambda_{\cdot b}`), and
        :math:`\partial \mu / \partial \theta_r = m_r`. Returns the free indices, ``U``, ``W``, ``c``
        and ``M`` (columns per row) and the implied covariance matrix.
        """
        mats, sigma, _ = self.implied(x, g)
        lam, phi, alpha = mats[_LAMBDA], mats[_PHI], mats[_ALPHA]
        lam_phi = lam @ phi
        free_rows, u, w, c, mu = [], [], [], [], []
        p = self.p
        zero = np.zeros(p)
        for matrix, (i, j, free, _) in self.index[g].items():
            for a, b, f in zip(i, j, free, strict=True):
                if f < 0:
                    continue
                e = np.zeros(p)
                free_rows.append(f)
                if matrix == _LAMBDA:
                    e[a] = 1.0
                    u.append(e)
                    w.append(lam_phi[:, b])
                    c.append(1.0)
                    mu.append(e * alpha[b])
                elif matrix == _THETA:
                    e[a] = 1.0
                    u.append(e)
                    w.append(e)
                    c.append(0.5)
                    mu.append(zero)
                elif matrix == _PHI:
                    u.append(lam[:, a])
                    w.append(lam[:, b])
                    c.append(1.0 if a != b else 0.5)
                    mu.append(zero)
                elif matrix == _NU:
                    e[a] = 1.0
                    u.append(zero)
                    w.append(zero)
                    c.append(0.0)
                    mu.append(e)
                else:
                    u.append(zero)
                    w.append(zero)
                    c.append(0.0)
                    mu.append(lam[:, a])
        if not free_rows:
            empty = np.zeros((p, 0))
            return np.zeros(0, dtype=np.intp), empty, empty, np.zeros(0), empty, sigma
        return (
            np.asarray(free_rows, dtype=np.intp),
            np.column_stack(u),
            np.column_stack(w),
            np.asarray(c),
            np.column_stack(mu),
            sigma,
        )

    def hessian(self, x, gradient) -> np.ndarray:
        """Hessian of F by forward differences of the analytic gradient, symmetrised."""
        steps = 1e-6 * np.maximum(np.abs(x), 1.0)
        columns = np.empty((self.n_free, self.n_free))
        for k in range(self.n_free):
            shifted = x.copy()
            shifted[k] += steps[k]
            columns[:, k] = (self.gradient(shifted) - gradient) / steps[k]
        return (columns + columns.T) / 2.0

    def information(self, x) -> np.ndarray:
        r"""Expected Hessian of F: :math:`\sum_g (n_g/N) H_g` over the free parameters.

        With the rank-one pieces of :meth:`directions` and :math:`C = \Sigma^{-1}`,
        :math:`\operatorname{tr}(C \partial_r\Sigma\, C \partial_s\Sigma) = 2 c_r c_s
        [(u_r^\top C u_s)(w_r^\top C w_s) + (u_r^\top C w_s)(w_r^\top C u_s)]`, so the
        information costs a few products of p x k matrices instead of k p x p ones.
        """
        info = np.zeros((self.n_free, self.n_free))
        for g in range(self.spec.n_groups):
            free, u, w, c, mu, sigma = self.directions(x, g)
            try:
                inv = np.linalg.inv(np.linalg.cholesky(sigma))
            except np.linalg.LinAlgError:
                return np.full((self.n_free, self.n_free), np.nan)
            inv = inv.T @ inv
            cu, cw = inv @ u, inv @ w
            a_uu, b_ww, d_uw = u.T @ cu, w.T @ cw, u.T @ cw
            block = 2.0 * np.outer(c, c) * (a_uu * b_ww + d_uw * d_uw.T)
            if self.spec.meanstructure:
                block += 2.0 * mu.T @ (inv @ mu)
            np.add.at(info, (free[:, None], free[None, :]), self.weights[g] * block)
        return info


# ---------------------------------------------------------------------------
# data


def _group_labels(data: pd.DataFrame, group):
    if isinstance(group, str):
        if group not in data.columns:
            raise ValueError(f"group {group!r} is not a column of data")
        labels = data[group]
    else:
        raise ValueError(f"group must be the name of a column of data; got {group!r}")
    if labels.isna().any():
        raise ValueError(
            f"group {group!r} has {int(labels.isna().sum())} missing labels; drop those rows first"
        )
    order = tuple(pd.unique(labels))
    if len(order) < 2:
        raise ValueError(f"group {group!r} needs at least two groups; got {list(order)}")
    return labels, order


def _sample(frame: pd.DataFrame, items: list[str], where: str):
    """Mean vector and covariance (divisor n) of complete rows, refusing a singular matrix."""
    values = frame[items].to_numpy(dtype=float)
    n = values.shape[0]
    p = len(items)
    if n < 2:
        raise ValueError(
            f"data{where} has {n} complete row(s); a CFA needs more respondents than items ({p})"
        )
    mean = values.mean(axis=0)
    centred = values - mean
    cov = centred.T @ centred / n
    variances = np.diag(cov)
    constant = [items[j] for j in np.flatnonzero(variances <= 1e-12 * max(1.0, np.abs(mean).max() ** 2))]
    if constant:
        raise ValueError(f"data{where}: item(s) {constant} have no variance; drop them from the model")
    if n <= p:
        raise ValueError(
            f"data{where} has {n} complete rows for {p} items; the sample covariance matrix is singular "
            f"(a CFA needs more respondents than items)"
        )
    scale = 1.0 / np.sqrt(variances)
    corr = cov * np.outer(scale, scale)
    try:
        pivots = np.diag(np.linalg.cholesky(corr)) ** 2
        singular = pivots.min() <= 1e-10
    except np.linalg.LinAlgError:
        singular = True
    if singular:
        vector = np.linalg.eigh(corr)[1][:, 0]
        involved = [items[j] for j in np.argsort(-np.abs(vector)) if abs(vector[j]) > 0.1][:5]
        raise ValueError(
            f"data{where}: the sample covariance matrix is singular (not positive definite); "
            f"items {involved} are linearly dependent"
        )
    return n, mean, cov


def _starting_values(spec_rows, n_free, items, factors, loads, markers, S, mean):
    start = np.zeros(n_free)
    seen = np.zeros(n_free, dtype=bool)
    marker_of = {k: j for j, k in markers}
    for g, matrix, i, j, free, _, _ in spec_rows:
        if free < 0 or seen[free]:
            continue
        seen[free] = True
        s = S[g]
        if matrix == _LAMBDA:
            r = marker_of[j]
            start[free] = s[i, r] / (0.5 * s[r, r])
        elif matrix == _THETA:
            start[free] = 0.5 * s[i, i]
        elif matrix == _PHI:
            start[free] = 0.5 * s[marker_of[i], marker_of[i]] if i == j else 0.0
        elif matrix == _NU:
            start[free] = mean[g][i]
        else:
            start[free] = 0.0
    return start


# ---------------------------------------------------------------------------
# fitting


def _compile(data, model, group, group_equal, group_partial, missing):
    factors_map = parse_model(model)
    check_choice(missing, "missing", MISSING_POLICIES)
    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    group_equal = tuple(group_equal)
    for word in group_equal:
        check_choice(word, "group_equal", GROUP_EQUAL)
    if group is None and group_equal:
        raise ValueError("group_equal needs a group: equality constraints tie parameters across groups")
    partial = _parse_partial(group_partial)
    if not isinstance(data, pd.DataFrame):
        raise ValueError(
            f"data must be a pandas DataFrame with one column per item; got {type(data).__name__}"
        )
    items: list[str] = []
    for its in factors_map.values():
        for i in its:
            if i not in items:
                items.append(i)
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise ValueError(f"data has no column for the model's item(s) {absent[:10]}")
    frame = as_items(data[items], "data", min_rows=2)
    factors = list(factors_map)
    index_of = {name: j for j, name in enumerate(items)}
    loads = [(index_of[i], k) for k, f in enumerate(factors) for i in factors_map[f]]
    markers = {(index_of[factors_map[f][0]], k) for k, f in enumerate(factors)}
    complete = frame.notna().all(axis=1)
    if group is None:
        n, mean, cov = _sample(frame[complete], items, "")
        groups: tuple = ()
        ns, means, covs = [n], [mean], [cov]
    else:
        labels, groups = _group_labels(data, group)
        ns, means, covs = [], [], []
        for label in groups:
            rows = complete & (labels == label).to_numpy()
            n, mean, cov = _sample(frame[rows], items, f" (group {label!r})")
            ns.append(n)
            means.append(mean)
            covs.append(cov)
    meanstructure = group is not None
    rows, n_free = _table(items, factors, loads, markers, len(ns), meanstructure, group_equal, partial)
    used = {r[6] for r in rows if r[1] != _ALPHA}
    unknown = sorted(f"{k[0]}{k[1]}{k[2]}" for k in partial - used)
    if unknown:
        raise ValueError(f"group_partial names parameters that are not in the model: {unknown}")
    start = _starting_values(rows, n_free, items, factors, loads, markers, covs, means)
    spec = _Spec(
        items=items,
        factors=factors,
        loads=loads,
        markers=markers,
        meanstructure=meanstructure,
        n=np.asarray(ns, dtype=float),
        S=covs,
        mean=means,
        rows=rows,
        n_free=n_free,
        start=start,
    )
    moments = len(ns) * (len(items) * (len(items) + 1) // 2 + (len(items) if meanstructure else 0))
    if n_free > moments:
        raise ValueError(
            f"model is not identified: {n_free} free parameters for {moments} sample moments "
            f"(add items or drop factors)"
        )
    return spec, factors_map, groups, group_equal, tuple(sorted(f"{a}{o}{b}" for a, o, b in partial))


def _optimise(model: _Model, start: np.ndarray):
    """Minimise F by Fisher scoring (Newton steps with the expected information) with backtracking.

    Stops when the Newton decrement :math:`g^\top H^{-1} g` (expected information) falls below
    1e-13: the estimates are then within about 1e-4 standard errors of the optimum for N up to
    10^5. Scoring converges linearly where the model fits badly (the expected information then
    differs from the Hessian); when the decrement shrinks by less than a factor of 20 a step near
    the optimum (of 3 with more than 100 parameters, where the Hessian costs more), the step is
    Newton's with the Hessian from differences of the analytic gradient.
    Should both stall (a singular matrix, no decrease along the step), L-BFGS-B continues from
    the last point, with a bounded number of iterations.
    """
    x = start.copy()
    value = model.objective(x)
    if not np.isfinite(value):
        raise ValueError(
            "data: the starting values give a model-implied covariance matrix that is not positive definite"
        )
    previous = np.inf
    for _ in range(200):
        gradient = model.gradient(x)
        information = model.information(x)
        try:
            step = linalg.cho_solve(linalg.cho_factor(information), gradient)
        except (linalg.LinAlgError, ValueError):
            break
        decrement = float(gradient @ step)
        if not np.isfinite(decrement) or decrement < 0:
            break
        if decrement < 1e-13:
            return x, value, True
        # A differenced Hessian costs n_free gradients: worth it for small models, and for large
        # ones only when scoring crawls.
        slow = decrement > previous * (0.05 if model.n_free <= 100 else 0.3)
        if decrement < 1e-4 and slow:
            try:
                step = linalg.cho_solve(linalg.cho_factor(model.hessian(x, gradient)), gradient)
            except (linalg.LinAlgError, ValueError):
                pass
        previous = decrement
        slope = float(gradient @ step)
        length = 1.0
        while length > 1e-8:
            candidate = x - length * step
            candidate_value = model.objective(candidate)
            if candidate_value <= value - 1e-4 * length * slope:
                break
            length /= 2.0
        else:
            break
        x, value = candidate, candidate_value
    # A quasi-Newton method with bounded work: it needs no positive definite information and
    # always stops (scipy's trust-exact can loop without end in its subproblem, seen with 1.11).
    result = optimize.minimize(
        model.objective,
        x,
        jac=model.gradient,
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 2000, "maxfun": 4000},
    )
    gradient_norm = float(np.max(np.abs(model.gradient(result.x)))) if np.isfinite(result.fun) else np.inf
    return result.x, float(result.fun), bool(gradient_norm < 1e-6)


def _fit_measures(spec: _Spec, model: _Model, x, fmin) -> dict[str, float]:
    n_total = float(spec.n.sum())
    p = len(spec.items)
    n_groups = spec.n_groups
    moments = n_groups * (p * (p + 1) // 2 + (p if spec.meanstructure else 0))
    npar = model.n_free
    df = moments - npar
    chisq = n_total * fmin
    baseline = float(
        sum(
            n * (np.log(np.diag(S)).sum() - ld)
            for n, S, ld in zip(spec.n, spec.S, model.logdet_S, strict=True)
        )
    )
    baseline_df = n_groups * p * (p - 1) // 2
    fit = {
        "npar": float(npar),
        "chisq": chisq,
        "df": float(df),
        "pvalue": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan,
    }
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, baseline - baseline_df, 0.0)
    fit["cfi"] = 1.0 if t2 == 0 else 1.0 - t1 / t2
    if df > 0 and baseline_df > 0 and baseline / baseline_df != 1:
        fit["tli"] = (baseline / baseline_df - chisq / df) / (baseline / baseline_df - 1.0)
    else:
        fit["tli"] = 1.0
    scale = np.sqrt(n_groups)
    if df > 0:
        fit["rmsea"] = float(scale * np.sqrt(max(chisq - df, 0.0) / (n_total * df)))
        fit["rmsea.ci.lower"] = float(scale * np.sqrt(_noncentrality(chisq, df, 0.95) / (n_total * df)))
        fit["rmsea.ci.upper"] = float(scale * np.sqrt(_noncentrality(chisq, df, 0.05) / (n_total * df)))
    else:
        fit["rmsea"] = fit["rmsea.ci.lower"] = fit["rmsea.ci.upper"] = 0.0 if df == 0 else np.nan
    srmr = 0.0
    for g in range(n_groups):
        _, sigma, mu = model.implied(x, g)
        S = spec.S[g]
        sd = np.sqrt(np.diag(S))
        residual = (S - sigma) / np.outer(sd, sd)
        squares = list(residual[np.triu_indices(p)] ** 2)
        if spec.meanstructure:
            squares.extend(((spec.mean[g] - mu) / sd) ** 2)
        srmr += model.weights[g] * np.sqrt(np.mean(squares))
    fit["srmr"] = float(srmr)
    fit["baseline.chisq"] = baseline
    fit["baseline.df"] = float(baseline_df)
    return {name: float(fit[name]) for name in FIT_MEASURES}


def _noncentrality(chisq: float, df: float, probability: float) -> float:
    """The noncentrality at which ``chisq`` is the ``1 - probability`` quantile, or 0 if none."""

    def gap(ncp):
        return (
            stats.ncx2.cdf(chisq, df, ncp) - probability
            if ncp > 0
            else stats.chi2.cdf(chisq, df) - probability
        )

    if gap(0.0) <= 0:
        return 0.0
    upper = max(chisq, 1.0)
    while gap(upper) > 0:
        upper *= 2.0
    return float(optimize.brentq(gap, 0.0, upper, xtol=1e-12, rtol=1e-14))


def _estimates_table(spec: _Spec, model: _Model, x, se):
    rows = spec.rows
    free = np.array([r[4] for r in rows], dtype=np.intp)
    is_free = free >= 0
    est = np.where(is_free, x[np.maximum(free, 0)], [r[5] for r in rows])
    error = np.where(is_free, se[np.maximum(free, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(is_free & (error > 0), est / error, np.nan)
    pvalue = 2.0 * stats.norm.sf(np.abs(z))
    frame = pd.DataFrame(
        {
            "lhs": [r[6][0] for r in rows],
            "op": [r[6][1] for r in rows],
            "rhs": [r[6][2] for r in rows],
            "group": [r[0] + 1 for r in rows],
            "est": est,
            "se": error,
            "z": z,
            "pvalue": pvalue,
            "ci.lower": est - _Z975 * error,
            "ci.upper": est + _Z975 * error,
        }
    )
    return frame


@dataclass(frozen=True)
class _Fitted:
    """What score tests need of a fitted model."""

    spec: _Spec
    model: _Model
    x: np.ndarray
    group_equal: tuple[str, ...]
    partial: frozenset


def _warm_start(spec: _Spec, model: _Model, previous) -> np.ndarray:
    """Starting values from an earlier fit of a nested model (same parameters by name), if usable.

    :func:`analysis.measurement_invariance` refits one model with more or fewer equality
    constraints; starting each fit at the last one's estimates saves most of the iterations.
    Falls back to the default start where a parameter is new or the start is not admissible.
    """
    if previous is None or previous._fitted is None:
        return spec.start
    estimates = previous.estimates
    known = dict(
        zip(zip(estimates["group"], estimates["lhs"], estimates["op"], estimates["rhs"], strict=True),
            estimates["est"], strict=True)
    )  # fmt: skip
    start = spec.start.copy()
    seen = np.zeros(spec.n_free, dtype=bool)
    for g, _, _, _, free, _, key in spec.rows:
        if free < 0 or seen[free]:
            continue
        seen[free] = True
        value = known.get((g + 1, *key))
        if value is not None and np.isfinite(value):
            start[free] = value
    return start if np.isfinite(model.objective(start)) else spec.start


def cfa(
    data: pd.DataFrame,
    model,
    *,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    group_partial: Sequence[str] = (),
    missing: str = "listwise",
    estimator: str = "ML",
    _start_from: CFAResult | None = None,
) -> CFAResult:
    """Fit a confirmatory factor model by maximum likelihood, as ``lavaan::cfa`` does.

    See the module docstring for the model, the identification, the estimator and the fit
    measures; every default is lavaan 0.6's.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, one numeric column per item (NaN = missing answer), and the group
        column if ``group`` is given.
    model : mapping or str
        Factor -> items (the first item is the marker), or lavaan syntax with ``=~`` lines
        (``"trust =~ t1 + t2 + t3"``).
    group : str, optional
        Column of ``data`` whose values are the groups (multigroup CFA with a mean structure).
    group_equal : sequence of str
        Parameters held equal across groups: any of ``"loadings"``, ``"intercepts"``,
        ``"residuals"``, ``"lv.variances"``, ``"lv.covariances"``, ``"means"``.
    group_partial : sequence of str
        Parameters exempt from ``group_equal``, in lavaan syntax: ``"factor=~item"``, ``"item~1"``,
        ``"item~~item"``.
    missing : {"listwise"}
        Respondents missing an answer to one of the model's items are dropped.
    estimator : {"ML"}
        Maximum likelihood (the normal likelihood, sample covariances divided by n).

    Returns
    -------
    CFAResult
        ``estimates`` (lavaan's ``parameterEstimates`` columns) and ``fit`` (``fitMeasures`` names).

    Raises
    ------
    ValueError
        For a model that cannot be read or is not identified (a one-item factor, more parameters
        than moments), an item absent from ``data``, non-numeric or infinite answers, a group
        column with missing labels or a single group, an item without variance, or a singular
        sample covariance matrix (fewer respondents than items, linearly dependent items).

    Warns
    -----
    CFAWarning
        Where lavaan warns: the optimiser did not converge, a residual variance is negative (a
        Heywood case), the factor covariance matrix is not positive definite, or the information
        matrix cannot be inverted (no standard errors).

    Examples
    --------
    >>> fit = cfa(hs, "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6", group="school",
    ...           group_equal=["loadings"])          # doctest: +SKIP
    >>> fit.fit["cfi"], fit.estimates.query("op == '=~'")   # doctest: +SKIP
    """
    check_choice(estimator, "estimator", ESTIMATORS)
    spec, factors_map, groups, group_equal, partial = _compile(
        data, model, group, group_equal, group_partial, missing
    )
    fitted_model = _Model(spec, spec.rows, spec.n_free)
    start = _warm_start(spec, fitted_model, _start_from)
    x, fmin, converged = _optimise(fitted_model, start)
    if not converged:
        warnings.warn(
            "cfa: the optimiser did not find a solution (the gradient is not zero); the estimates are not "
            "a maximum of the likelihood",
            CFAWarning,
            stacklevel=2,
        )
    information = fitted_model.information(x)
    n_total = float(spec.n.sum())
    se = np.full(spec.n_free, np.nan)
    if np.isfinite(information).all() and (np.diag(information) > 0).all():
        # Identified when the information, rescaled to unit diagonal (units do not matter), is
        # clearly positive definite.
        scale = 1.0 / np.sqrt(np.diag(information))
        if np.linalg.eigvalsh(information * np.outer(scale, scale))[0] > 1e-10:
            se = np.sqrt(np.diag(np.linalg.inv(information)) * 2.0 / n_total)
    if not np.isfinite(se).all():
        warnings.warn(
            "cfa: could not compute standard errors: the information matrix cannot be inverted "
            "(the model may not be identified)",
            CFAWarning,
            stacklevel=2,
        )
    estimates = _estimates_table(spec, fitted_model, x, se)
    _warn_improper(fitted_model, x, groups)
    fit = _fit_measures(spec, fitted_model, x, fmin)
    return CFAResult(
        estimates=estimates,
        fit=MappingProxyType(fit),
        model=MappingProxyType(factors_map),
        groups=groups,
        nobs=tuple(int(n) for n in spec.n),
        group_equal=group_equal,
        group_partial=partial,
        converged=converged,
        _fitted=_Fitted(spec, fitted_model, x, group_equal, frozenset(_parse_partial(partial))),
    )


def _warn_improper(model: _Model, x, groups) -> None:
    """Warn, as lavaan does, of negative residual variances and a factor matrix not positive definite."""
    items = model.spec.items
    negative, indefinite = [], []
    for g in range(model.spec.n_groups):
        mats = model.matrices(x, g)
        where = f" (group {groups[g]!r})" if groups else ""
        negative.extend(f"{items[j]}{where}" for j in np.flatnonzero(mats[_THETA] < 0))
        if np.linalg.eigvalsh(mats[_PHI])[0] < 0:
            indefinite.append(f" in group {groups[g]!r}" if groups else "")
    if negative:
        warnings.warn(
            f"cfa: some estimated residual variances are negative (a Heywood case): {negative[:5]}",
            CFAWarning,
            stacklevel=3,
        )
    for where in indefinite:
        warnings.warn(
            f"cfa: the covariance matrix of the factors is not positive definite{where}",
            CFAWarning,
            stacklevel=3,
        )
