"""The new-wave form offers the lead calibration without pre-selecting it."""

from __future__ import annotations

import re

import pytest

import instruments
from survey.services.waves import OPT_IN_INSTRUMENTS, preselected_instruments

pytestmark = pytest.mark.db


def _options(html: str) -> dict[str, bool]:
    """The instrument checkboxes of the new-wave form: value -> ticked."""
    boxes = re.finditer(r'<input[^>]*name="instruments"[^>]*>', html)
    values = ((re.search(r'value="([^"]+)"', box.group(0)), box.group(0)) for box in boxes)
    return {value.group(1): " checked" in tag for value, tag in values if value}


def test_the_form_offers_every_instrument_and_ticks_all_but_the_lead_calibration(
    client, auth, make_user, make_survey
):
    setup = make_survey(per_team=3)
    consultant = make_user("c@example.org", role="consultant", organization=setup.wave.organization)
    auth.login(consultant.email)
    html = client.get(f"/orgs/{setup.wave.organization.id}/waves/new").get_data(as_text=True)
    options = _options(html)
    shipped = {ref.key for ref in instruments.available()}
    assert set(options) == shipped  # every shipped instrument is offered
    assert options["lead_calibration@1.0"] is False
    assert options["lead_calibration@1.1"] is False
    assert options["alignment@1.1"]  # the newest version of each, not the older ones
    assert options["mindset@1.1"]
    assert options["alignment@1.0"] is False
    assert options["mindset@1.0"] is False


def test_preselected_instruments_leaves_out_the_opt_in_ones_whatever_their_version():
    keys = ["alignment@1.0", "lead_calibration@1.0", "lead_calibration@2.0", "mindset@1.0"]
    assert preselected_instruments(keys) == ["alignment@1.0", "mindset@1.0"]
    assert "lead_calibration" in OPT_IN_INSTRUMENTS


def test_preselected_instruments_are_the_newest_version_of_each():
    keys = ["alignment@1.0", "alignment@1.10", "alignment@1.9", "mindset@1.1", "mindset@1.0"]
    assert preselected_instruments(keys) == ["alignment@1.10", "mindset@1.1"]
