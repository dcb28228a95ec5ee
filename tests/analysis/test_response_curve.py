"""The projected final response rate of the live board."""

from __future__ import annotations

import math

import pytest

from analysis.response_curve import projected_response_rate


def test_constant_hazard_by_hand():
    # 10 invited, 48 hours in; window = last 24 h. Responses at 30 h and 40 h fall in it.
    result = projected_response_rate(10, [2.0, 30.0, 40.0], elapsed=48.0, remaining=24.0)
    exposure = (30 - 24) + (40 - 24) + 7 * 24
    hazard = 2 / exposure
    assert result.window == 24.0
    assert result.hazard == pytest.approx(hazard)
    assert result.rate_now == pytest.approx(0.3)
    assert result.projected == pytest.approx((3 + 7 * (1 - math.exp(-hazard * 24))) / 10)


def test_no_recent_answers_project_no_more_and_the_close_caps_nothing():
    quiet = projected_response_rate(8, [1.0, 2.0], elapsed=100.0, remaining=50.0)
    assert quiet.hazard == 0.0
    assert quiet.projected == pytest.approx(0.25)
    closed = projected_response_rate(8, [1.0, 90.0], elapsed=100.0, remaining=0.0)
    assert closed.projected == pytest.approx(closed.rate_now)


def test_everyone_answered_projects_everyone():
    result = projected_response_rate(3, [1.0, 2.0, 3.0], elapsed=4.0, remaining=10.0)
    assert result.projected == pytest.approx(1.0)


def test_a_short_round_uses_all_of_its_time():
    result = projected_response_rate(4, [0.5], elapsed=6.0, remaining=6.0)
    assert result.window == 6.0
    assert 0.25 < result.projected < 1.0


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ((0, [], 5.0, 1.0), "n_invited"),
        ((3, [], 0.0, 1.0), "elapsed"),
        ((3, [], 5.0, -1.0), "remaining"),
        ((1, [1.0, 2.0], 5.0, 1.0), "response_times"),
        ((3, [6.0], 5.0, 1.0), "response_times"),
        ((3, [1.0], float("nan"), 1.0), "elapsed"),
    ],
)
def test_degenerate_input_names_the_argument(arguments, name):
    with pytest.raises(ValueError, match=name):
        projected_response_rate(*arguments)


def test_a_window_must_be_positive():
    with pytest.raises(ValueError, match="window"):
        projected_response_rate(3, [1.0], 5.0, 1.0, window=0.0)
