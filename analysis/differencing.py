"""Confidentiality over time: can published group figures be subtracted to expose a small group?

:func:`analysis.anonymity.suppression` decides what one report may show. A reader who keeps
*every* output ever published — two releases of an open wave, a report before and after a
team was moved — can still combine figures across them. This module answers the question
for any collection of published figures at once.

The model. Each published figure (a count, a mean, an item mean, a standard deviation) is
computed from the data of one set of respondents, the *group* it describes, and every such
statistic is a function of additive totals over that group (counts, sums, sums of squares,
sums of cross-products). A reader can therefore learn the totals of any set of respondents
whose indicator vector is a linear combination of the published groups' indicator vectors.

Respondents that belong to exactly the same published groups are indistinguishable; they
form an *atom*. Every combination of groups is constant on atoms, so only unions of atoms
can be exposed. With ``M`` the groups x atoms incidence matrix and ``N`` a basis of its null
space (atoms x k), the union ``U`` of atoms is derivable exactly when

.. math::

    \\sum_{a \\in U} N_{a\\cdot} = 0,

i.e. when no change of the atoms' totals that leaves every published total alone
(``M y = 0``) changes ``U``'s total. A *disclosure* is a derivable union with at least one
and fewer than ``threshold`` respondents. :func:`disclosures` finds every minimal one among
unions of small atoms (only atoms smaller than the threshold can be part of one), so an
empty answer is a proof, not a sample: nothing below the threshold follows from the
published groups by addition and subtraction.

Reference: the same linear-algebra view of tabular disclosure is the basis of audit
methods in statistical disclosure control, e.g. Hundepool et al., *Statistical Disclosure
Control* (Wiley, 2012), chapter 4 ("Magnitude tabular data"), and Chin & Ozsoyoglu,
"Auditing and inference control in statistical databases", IEEE Trans. Software Eng.
8(6), 1982.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ._validation import check_int

__all__ = ["DifferencingCheck", "Disclosure", "disclosures"]

#: Unions of small atoms tried at most before the check gives up (``complete=False``).
DEFAULT_LIMIT = 200_000


@dataclass(frozen=True)
class Disclosure:
    """A set of respondents whose totals follow from published groups."""

    #: The respondents (never shown to anyone: the check runs before publication).
    members: frozenset
    #: The published groups and the weights that combine to ``members``, e.g.
    #: ``(("release 2: Sales", 1.0), ("release 1: Sales", -1.0))``.
    combination: tuple[tuple[Hashable, float], ...]

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class DifferencingCheck:
    """The result of :func:`disclosures`."""

    threshold: int
    disclosures: tuple[Disclosure, ...]
    #: False when there were too many small atoms to try every union (then the check proves
    #: nothing and a publisher should withhold).
    complete: bool
    #: Number of atoms (classes of respondents in exactly the same groups).
    n_atoms: int

    @property
    def safe(self) -> bool:
        """Nothing below the threshold can be derived, and the search was exhaustive."""
        return self.complete and not self.disclosures


def _groups(groups) -> dict:
    if not isinstance(groups, Mapping):
        raise ValueError(
            f"groups must map labels to collections of respondent ids; got {type(groups).__name__}"
        )
    checked = {}
    for label, members in groups.items():
        if isinstance(members, str | bytes) or not isinstance(members, Iterable):
            raise ValueError(f"groups[{label!r}] must be a collection of respondent ids; got {members!r}")
        checked[label] = frozenset(members)
    return checked


def _dependent_parts(rows: np.ndarray, tolerance: float = 1e-9) -> list[list[int]]:
    """The rows that take part in some linear dependency, split into the connected parts of their matroid.

    ``rows`` are the null-space rows of the small atoms. A set of atoms is derivable when its
    rows sum to zero, a dependency; a row in no dependency (a coloop) is in no derivable set,
    and every dependency is a sum of dependencies within the connected components, so the
    search may run per component. Components are read off the reduced row echelon form of
    ``rows.T``: a non-pivot column is linked to every pivot column it needs (Oxley,
    *Matroid Theory*, 2nd ed., 2011, section 4.2). Small entries count as links, so
    numerical noise can only join parts (a slower search), never split one.
    Returns lists of positions into ``rows``, each in increasing order.
    """
    m = rows.shape[0]
    if m == 0:
        return []
    matrix = np.array(rows.T, dtype=float)  # k x m: columns are the atoms
    k = matrix.shape[0]
    scale = max(1.0, float(np.abs(matrix).max()) if matrix.size else 1.0)
    pivots: list[int] = []
    row = 0
    for column in range(m):
        if row >= k:
            break
        below = np.abs(matrix[row:, column])
        best = int(np.argmax(below)) + row if below.size else row
        if below.size == 0 or below.max() <= tolerance * scale:
            continue
        matrix[[row, best]] = matrix[[best, row]]
        matrix[row] /= matrix[row, column]
        others = np.arange(k) != row
        matrix[others] -= np.outer(matrix[others, column], matrix[row])
        pivots.append(column)
        row += 1
    pivot_row = {column: r for r, column in enumerate(pivots)}
    parent = list(range(m))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    linked = set()
    for column in range(m):
        if column in pivot_row:
            continue
        linked.add(column)  # a non-pivot column is itself dependent (a zero row: alone)
        for pivot, r in pivot_row.items():
            if abs(matrix[r, column]) > 1e-12 * scale:
                parent[find(column)] = find(pivot)
                linked.add(pivot)
    parts: dict[int, list[int]] = {}
    for i in range(m):
        if i in linked:
            parts.setdefault(find(i), []).append(i)
    return sorted(parts.values())


def disclosures(groups, threshold: int, *, limit: int = DEFAULT_LIMIT) -> DifferencingCheck:
    """Find every small set of respondents exposed by adding and subtracting published groups.

    Parameters
    ----------
    groups : Mapping
        Label -> the respondents (any hashable ids) whose data one published figure, or a
        family of figures, summarises. Pass the groups of *every* output a reader may hold:
        each shown team of each release, the organisation, pooled functions, and so on.
    threshold : int
        Smallest number of respondents whose totals may be known (at least 1).
    limit : int
        Most unions of small atoms to try; beyond it the result says ``complete=False``.

    Returns
    -------
    DifferencingCheck
        ``disclosures`` lists the minimal exposed sets (with fewer than ``threshold`` and at
        least one respondent) and how to compute each; ``safe`` is True when there are none.

    Raises
    ------
    ValueError
        If ``groups`` is not a mapping of collections, or ``threshold``/``limit`` is not a
        positive integer.

    Examples
    --------
    Two releases of a team that grew by two people expose those two:

    >>> check = disclosures({"r1: sales": {1, 2, 3, 4, 5}, "r2: sales": {1, 2, 3, 4, 5, 6, 7}}, 5)
    >>> sorted(check.disclosures[0].members)
    [6, 7]
    >>> disclosures({"r1: sales": {1, 2, 3, 4, 5}, "r2: sales": set(range(1, 11))}, 5).safe
    True
    """
    groups = _groups(groups)
    threshold = check_int(threshold, "threshold", minimum=1)
    limit = check_int(limit, "limit", minimum=1)
    labels = list(groups)
    signature: dict = {}
    for position, label in enumerate(labels):
        for member in groups[label]:
            signature.setdefault(member, []).append(position)
    atoms: dict[tuple, list] = {}
    for member, positions in signature.items():
        atoms.setdefault(tuple(positions), []).append(member)
    if not atoms:
        return DifferencingCheck(threshold, (), True, 0)
    keys = list(atoms)
    incidence = np.zeros((len(labels), len(keys)))
    for column, key in enumerate(keys):
        incidence[list(key), column] = 1.0
    sizes = np.array([len(atoms[key]) for key in keys])

    # Null space of the incidence matrix: the invisible changes of the atoms' totals.
    _, singular, vt = np.linalg.svd(incidence, full_matrices=True)
    tolerance = max(incidence.shape) * np.finfo(float).eps * (singular[0] if singular.size else 1.0)
    rank = int((singular > tolerance).sum())
    null = vt[rank:].T  # atoms x k
    scale = 1e-8

    small_atoms = [a for a in np.argsort(sizes, kind="stable") if sizes[a] < threshold]
    found: list[tuple[int, ...]] = []
    tried = 0
    complete = True

    def covers(candidate: tuple[int, ...]) -> bool:
        return any(set(known) <= set(candidate) for known in found)

    # A derivable union is a dependency among the atoms' null-space rows; dependencies split
    # over the connected parts of those rows (and skip rows in none), so a minimal union lies
    # in one part and each part is searched on its own.
    for part in _dependent_parts(null[small_atoms]):
        small = [small_atoms[i] for i in part]  # still sorted by size
        # Depth-first over unions of small atoms whose total stays below the threshold.
        stack: list[tuple[tuple[int, ...], int, int, np.ndarray]] = [((), 0, 0, np.zeros(null.shape[1]))]
        while stack:
            chosen, start, total, vector = stack.pop()
            for index in range(start, len(small)):
                atom = small[index]
                size = total + int(sizes[atom])
                if size >= threshold:
                    break  # atoms are sorted by size: every later one is at least as big
                candidate = (*chosen, atom)
                if covers(candidate):
                    continue
                tried += 1
                if tried > limit:
                    complete = False
                    stack.clear()
                    break
                combined = vector + null[atom]
                if not combined.size or np.abs(combined).max() < scale:
                    found.append(candidate)
                    continue
                stack.append((candidate, index + 1, size, combined))
        if not complete:
            break

    results = []
    for candidate in found:
        target = np.zeros(len(keys))
        target[list(candidate)] = 1.0
        weights, *_ = np.linalg.lstsq(incidence.T, target, rcond=None)
        combination = tuple((labels[g], float(w)) for g, w in enumerate(weights) if abs(w) > 1e-9)
        members = frozenset(m for atom in candidate for m in atoms[keys[atom]])
        results.append(Disclosure(members, combination))
    results.sort(key=lambda d: (d.size, sorted(map(str, d.members))))
    return DifferencingCheck(threshold, tuple(results), complete, len(keys))
