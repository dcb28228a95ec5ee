"""Response curves of a survey round: where the response rate is heading.

A plain projection for the live board, not a forecast with a guarantee: people still to
answer are assumed to answer at the rate observed lately, as a constant hazard.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Projection:
    """The projected response rate of a round at its close."""

    #: Share of those invited who have submitted so far.
    rate_now: float
    #: Estimated answers per non-respondent and hour in the recent window (the hazard).
    hazard: float
    #: Hours of the window the hazard was estimated from.
    window: float
    #: Projected share of those invited who will have submitted at the close.
    projected: float


def projected_response_rate(
    n_invited: int,
    response_times: Sequence[float],
    elapsed: float,
    remaining: float,
    window: float | None = None,
) -> Projection:
    """Project the final response rate from the response curve so far (constant recent hazard).

    Parameters
    ----------
    n_invited : int
        People invited (at least 1).
    response_times : sequence of float
        Hours from the launch to each submission so far, each in ``[0, elapsed]``; at most
        ``n_invited`` of them.
    elapsed : float
        Hours since the launch (> 0).
    remaining : float
        Hours until the close (>= 0).
    window : float, optional
        Hours back from now over which the hazard is estimated; by default the later half of
        the time so far, but at least the last 24 hours (or all of it, when shorter), so that the
        early rush after the invitation does not inflate the projection.

    Returns
    -------
    Projection

    Notes
    -----
    With ``n`` invited, ``S`` submitted so far and the window ``(t - W, t]``, each person not
    submitted before the window contributes the hours of the window they spent without having
    submitted (their exposure ``E``); the ``d`` submissions inside the window give the maximum
    likelihood hazard of an exponential waiting time, :math:`\\hat\\lambda = d / E`. The ``n - S``
    still outstanding then submit before the close, ``r`` hours away, with probability
    :math:`1 - e^{-\\hat\\lambda r}`, so the projected rate is

    .. math:: \\hat p = \\frac{S + (n - S)\\,(1 - e^{-\\hat\\lambda r})}{n}.

    A response curve usually flattens, so a constant recent hazard tends to overstate late
    answers a little when no reminder follows and to understate them when one does.

    References
    ----------
    Kalbfleisch, J. D. and Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
    Data* (2nd ed.), Wiley, section 3.2 (the exponential model: events over exposure).

    Raises
    ------
    ValueError
        For ``n_invited`` below 1, ``elapsed`` not positive, ``remaining`` negative, a
        ``window`` not positive, more response times than invited, or a time outside
        ``[0, elapsed]`` (each naming the argument).
    """
    if n_invited < 1:
        raise ValueError(f"n_invited must be at least 1, not {n_invited}")
    if not math.isfinite(elapsed) or elapsed <= 0:
        raise ValueError(f"elapsed must be a positive number of hours, not {elapsed}")
    if not math.isfinite(remaining) or remaining < 0:
        raise ValueError(f"remaining must be a number of hours of at least 0, not {remaining}")
    times = [float(t) for t in response_times]
    if len(times) > n_invited:
        raise ValueError(f"response_times has {len(times)} entries for {n_invited} invited")
    if any(not (0 <= t <= elapsed) for t in times):
        raise ValueError("response_times must each lie between 0 and elapsed")
    if window is None:
        window = min(elapsed, max(elapsed / 2, 24.0))
    if not math.isfinite(window) or window <= 0:
        raise ValueError(f"window must be a positive number of hours, not {window}")
    window = min(window, elapsed)
    start = elapsed - window
    events = sum(1 for t in times if t >= start)
    exposure = sum(t - start for t in times if t >= start) + (n_invited - len(times)) * window
    hazard = events / exposure if exposure > 0 else 0.0
    submitted = len(times)
    outstanding = n_invited - submitted
    projected = (submitted + outstanding * (1 - math.exp(-hazard * remaining))) / n_invited
    return Projection(submitted / n_invited, hazard, window, projected)
