"""Shorter forms: which items each respondent is asked, their time, and the wave's choice of form."""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import combinations

import pytest
from sqlalchemy import select

from instruments.spreadsheet import ITEMS_PER_MINUTE
from survey.extensions import db
from survey.models import AuditEvent, Response
from survey.services import ServiceError, form_design, responding
from survey.services.waves import clone_wave, open_wave
from tests.factories import answer_all

pytestmark = pytest.mark.db

SHIPPED = ("alignment", "mindset")


def short_survey(make_survey, items=2, instruments=SHIPPED, **options):
    setup = make_survey(instruments=instruments, status="draft", **options)
    form_design.set_form(setup.wave, "planned_missing", items, None)
    open_wave(setup.wave)
    db.session.commit()
    return setup


def asked(plan) -> list[str]:
    return [item.id for page in plan.pages for item in page.items]


def test_the_same_response_is_always_asked_the_same_items(make_survey):
    setup = short_survey(make_survey)
    first = responding.plan_for(setup.wave, "sales", 12345)
    responding._NARROWED.clear()
    again = responding.plan_for(setup.wave, "sales", 12345)
    assert asked(first) == asked(again)
    others = {tuple(asked(responding.plan_for(setup.wave, "sales", rid))) for rid in range(1, 30)}
    assert len(others) > 20  # different respondents, different draws


def test_each_dimension_is_asked_its_planned_share_and_every_pair_meets(make_survey):
    setup = short_survey(make_survey)
    full = responding.full_plan(setup.wave, "marketing")
    pools = form_design.pools(full.pages)
    n = 1200
    counts, pairs = Counter(), Counter()
    for rid in range(1, n + 1):
        chosen = set(asked(responding.plan_for(setup.wave, "marketing", rid)))
        for ids in pools.values():
            kept = [i for i in ids if i in chosen]
            assert len(kept) == min(2, len(ids))  # exactly k of each pool
            counts.update(kept)
            pairs.update(combinations(kept, 2))
    for ids in pools.values():
        share = min(2, len(ids)) / len(ids)
        spread = 4 * math.sqrt(share * (1 - share) / n)  # four binomial standard errors
        for item_id in ids:
            assert abs(counts[item_id] / n - share) < spread + 1e-9, item_id
        if len(ids) > 2:
            # Every pair of a pool's items is answered together by some respondents (alpha needs it).
            assert all(pairs[pair] + pairs[pair[::-1]] > 0 for pair in combinations(ids, 2))


def test_vignettes_are_always_asked(make_survey):
    setup = short_survey(make_survey, instruments=("alignment", "lead_calibration"))
    plan = responding.plan_for(setup.wave, "sales", 7)
    full = responding.full_plan(setup.wave, "sales")
    vignettes = [item.id for item, _ in full.items.values() if item.is_vignette]
    assert vignettes
    assert set(vignettes) <= set(asked(plan))


def test_pages_are_joined_and_numbered_through(make_survey):
    setup = short_survey(make_survey)
    full = responding.full_plan(setup.wave, "sales")
    plan = responding.plan_for(setup.wave, "sales", 99)
    assert plan.page_count < full.page_count
    assert [page.number for page in plan.pages] == list(range(plan.page_count))
    longest = max(len(page.items) for page in full.pages)
    assert all(0 < len(page.items) <= longest for page in plan.pages)
    numbers = [page.first_number for page in plan.pages]
    assert numbers[0] == 1
    assert all(b == a + len(p.items) for a, b, p in zip(numbers, numbers[1:], plan.pages, strict=False))
    assert set(plan.items) == set(asked(plan))  # nothing hidden can be posted


def test_the_short_form_of_both_shipped_instruments_takes_at_most_ten_minutes(make_survey):
    setup = short_survey(make_survey)
    for function in ("sales", "marketing"):
        plan = responding.plan_for(setup.wave, function, 5)
        items = len(asked(plan))
        assert responding.expected_minutes(plan) <= form_design.SHORT_FORM_MINUTES
        # The stricter pace the instrument importer assumes (a first estimated_minutes) agrees.
        assert items / ITEMS_PER_MINUTE <= form_design.SHORT_FORM_MINUTES
        full = responding.full_plan(setup.wave, function)
        assert responding.expected_minutes(full) > form_design.SHORT_FORM_MINUTES
    # Before a response exists the welcome page's figure is the same for everyone.
    assert (
        responding.plan_for(setup.wave, "sales").minutes
        == responding.plan_for(setup.wave, "sales", 5).minutes
    )


def test_wave_page_estimates_every_form(make_survey):
    setup = make_survey(instruments=SHIPPED, status="draft")
    options = form_design.form_options(setup.wave)
    assert [(o.form, o.items, o.current) for o in options] == [
        ("full", None, True), ("planned_missing", 2, False), ("planned_missing", 3, False)
    ]  # fmt: skip
    by_function = {e.function: e for e in options[1].estimates}
    assert set(by_function) == {"sales", "marketing", "other"}
    assert by_function["sales"].items == 40
    assert options[1].longest_minutes <= form_design.SHORT_FORM_MINUTES < options[0].longest_minutes


def test_required_answers_are_only_the_items_shown(client, make_survey):
    setup = short_survey(make_survey, per_team=1)
    token = setup.token("sales")
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    assert "It takes about 8 minutes." in welcome  # the shorter form's figure, not the full 18
    assert client.post(f"/s/{token}/start", data={"language": "en"}).status_code == 200
    response = db.session.scalar(select(Response))
    plan = responding.plan_for(setup.wave, "sales", response.id)
    for page in plan.pages[:-1]:
        reply = client.post(f"/s/{token}/p/{page.number + 1}", data={**answer_all(page), "action": "next"})
        assert reply.status_code == 200
    last = plan.pages[-1]
    reply = client.post(f"/s/{token}/p/{plan.page_count}", data={**answer_all(last), "action": "submit"})
    assert reply.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "submitted"
    stored = {a.item_id for a in db.session.get(Response, response.id).answers}
    assert stored == set(asked(plan))
    assert len(stored) < len(asked(responding.full_plan(setup.wave, "sales")))


def test_an_item_not_shown_cannot_be_answered(client, make_survey):
    setup = short_survey(make_survey, per_team=1)
    token = setup.token("sales")
    client.post(f"/s/{token}/start", data={"language": "en"})
    response = db.session.scalar(select(Response))
    plan = responding.plan_for(setup.wave, "sales", response.id)
    full_first = responding.full_plan(setup.wave, "sales").pages[0]
    hidden = next(item for item in full_first.items if item.id not in plan.items)
    data = {**answer_all(plan.pages[0]), f"item-{hidden.id}": "3", "action": "next"}
    assert client.post(f"/s/{token}/p/1", data=data).status_code == 400


def test_resuming_shows_the_same_items(client, make_survey):
    setup = short_survey(make_survey, per_team=1)
    token = setup.token("marketing")
    client.post(f"/s/{token}/start", data={"language": "en"})
    response = db.session.scalar(select(Response))
    plan = responding.plan_for(setup.wave, "marketing", response.id)
    client.post(f"/s/{token}/p/1", data={**answer_all(plan.pages[0]), "action": "next"})
    responding._NARROWED.clear()
    form_design._DESIGNS.clear()
    again = client.post(f"/s/{token}/start", data={"language": "en"})
    html = again.get_data(as_text=True)
    second = plan.pages[1]
    assert all(f'name="item-{item.id}"' in html for item in second.items)
    named = set(re.findall(r'name="item-([^"]+)"', html))
    assert named == {item.id for item in second.items}


def test_the_form_is_chosen_on_a_draft_and_frozen_once_open(make_survey):
    setup = make_survey(instruments=SHIPPED, status="draft")
    wave = setup.wave
    assert form_design.set_form(wave, "planned_missing", 2, None)
    secret = wave.form_secret
    assert secret
    assert len(secret) == 32
    assert not form_design.set_form(wave, "planned_missing", 2, None)  # unchanged: no audit record
    with pytest.raises(ServiceError, match="random statements|statements of each dimension"):
        form_design.set_form(wave, "planned_missing", 5, None)
    with pytest.raises(ServiceError, match="Unknown form"):
        form_design.set_form(wave, "short", None, None)
    open_wave(wave)
    db.session.commit()
    with pytest.raises(ServiceError, match="cannot change once the wave has opened"):
        form_design.set_form(wave, "full", None, None)
    db.session.rollback()
    assert (wave.form, wave.form_items, wave.form_secret) == ("planned_missing", 2, secret)
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "wave.form_set")).all()
    assert len(events) == 1
    clone = clone_wave(wave, "Wave 2")
    assert (clone.form, clone.form_items) == ("planned_missing", 2)
    assert clone.form_secret
    assert clone.form_secret != secret


def test_workspace_form_choice(client, auth, make_survey, make_user):
    setup = make_survey(instruments=SHIPPED, status="draft")
    user = make_user(role="admin")
    auth.login(user.email)
    page = client.get(f"/waves/{setup.wave.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "Respondents answer the <strong>full form</strong>. Expected time at the median: Marketing about 18"
        in html
    )
    assert "Shorter form, 2 statements of each dimension: Marketing about 8 minutes (40 statements)" in html
    reply = client.post(f"/waves/{setup.wave.id}/form", data={"survey_form": "planned_missing:2"})
    assert reply.status_code == 302
    db.session.expire_all()
    assert (setup.wave.form, setup.wave.form_items) == ("planned_missing", 2)
    bad = client.post(f"/waves/{setup.wave.id}/form", data={"survey_form": "x:9"})
    assert bad.status_code == 302
    db.session.expire_all()
    assert setup.wave.form_items == 2
    open_wave(setup.wave)
    db.session.commit()
    html = client.get(f"/waves/{setup.wave.id}").get_data(as_text=True)
    assert "The form is fixed since the wave opened." in html
    assert 'action="/waves/' + str(setup.wave.id) + '/form"' not in html
    address = f"/waves/{setup.wave.id}/form"
    refused = client.post(address, data={"survey_form": "full"}, follow_redirects=True)
    assert "cannot change once the wave has opened" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert setup.wave.form == "planned_missing"


def test_a_short_form_wave_is_reported_with_the_design(client, app, make_organization, make_user):
    """The release's report knows the form: pairwise r_wg(j), Spearman-Brown alpha, the page says so."""
    import numpy as np

    import analysis
    import instruments
    from survey.services import reports
    from survey.services.organizations import create_team
    from survey.services.releases import publish
    from survey.services.response_import import import_responses
    from survey.services.waves import close_wave, create_wave

    organization = make_organization()
    teams = {
        function: create_team(organization, function.title(), function) for function in ("sales", "marketing")
    }
    wave = create_wave(organization, "Short", ["alignment"])
    form_design.set_form(wave, "planned_missing", 2, None)
    open_wave(wave)
    db.session.flush()
    alignment = instruments.load("alignment")
    for offset, (function, team) in enumerate(teams.items()):
        frame = analysis.simulate(alignment, {"t": function}, 30, seed=40 + offset, missing_rate=0.0,
                                  careless_rate=0.0)  # fmt: skip
        frame["team"] = team.id
        rng = np.random.default_rng(offset)
        for dimension in alignment.dimensions:
            own = [i.id for i in alignment.items_of(dimension.id) if i.perspective != "meta"]
            for row in range(len(frame)):
                frame.loc[row, list(rng.choice(own, size=len(own) - 2, replace=False))] = np.nan
        import_responses(wave, frame)
    close_wave(wave)
    db.session.commit()
    release = publish(wave)
    db.session.commit()
    assert release.status == "published"
    report = reports.organization_report(release)
    reliability = report.overview.reliability
    assert (reliability["n_answered"] == 2).all()
    assert reliability["alpha_answered"].notna().all()
    assert report.agreement.rwg_j["rwg_j"].notna().any()
    assert report.means["mean"].notna().all()
    make_user(email="consultant@short.test", role="admin")
    client.post("/auth/login", data={"email": "consultant@short.test", "password": "correct horse battery"})
    html = client.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    assert "Alpha of one respondent&#39;s answers" in html or "Alpha of one respondent's answers" in html
    assert "each respondent answered 2 statements of each dimension" in html


def test_command_line_chooses_the_form(app, make_survey):
    import json

    setup = make_survey(instruments=SHIPPED, status="draft")
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=[str(arg) for arg in args])

    result = invoke("waves", "form", setup.wave.id, "planned_missing", "--items", 2)
    assert result.exit_code == 0, result.output
    assert "planned_missing form, 2 statements of each dimension" in result.output
    assert invoke("waves", "form", setup.wave.id, "planned_missing", "--items", 7).exit_code != 0
    slug = setup.wave.organization.slug
    made = invoke("waves", "create", "--org", slug, "--name", "Short", "--instrument", "alignment",
                  "--form", "planned_missing", "--open")  # fmt: skip
    assert made.exit_code == 0, made.output
    listed = json.loads(invoke("waves", "list", "--org", slug, "--json").output)
    assert {(w["name"], w["form"], w["form_items"]) for w in listed} == {
        ("Wave 1", "planned_missing", 2), ("Short", "planned_missing", 2)
    }  # fmt: skip
    chosen = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "wave.form_set")).all()
    assert len(chosen) == 2
