"""Cuts by roster attributes: the wave's choice, the release's cells, their protection and their outputs."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
import analysis.cuts
from survey.extensions import db
from survey.models import AuditEvent, Release, Response, Wave
from survey.services import ServiceError, cuts
from survey.services.accounts import create_api_token
from survey.services.organizations import create_organization, create_team
from survey.services.releases import latest_release, publish, release_report
from survey.services.users import create_user
from survey.services.waves import clone_wave, close_wave, create_wave, open_wave
from tests.survey.cutting import answer, brute_force, cut_groups_of

pytestmark = pytest.mark.db

PASSWORD = "a long enough password"


@pytest.fixture
def org(app):
    organization = create_organization("Acme", "acme")
    sales = create_team(organization, "Sales", "sales")
    marketing = create_team(organization, "Marketing", "marketing")
    create_user("consultant@acme.test", PASSWORD, "consultant", organization)
    create_user("manager@acme.test", PASSWORD, "manager", organization)
    db.session.flush()
    token = create_api_token("manager@acme.test").token
    db.session.commit()
    return SimpleNamespace(organization=organization, sales=sales, marketing=marketing,
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def regions(*counts: tuple[str, int]) -> list[dict]:
    return [{"region": name, "tenure": "1-3y"} for name, n in counts for _ in range(n)]


def cells(release: Release) -> dict:
    return {(c["value"], c["function"]): c for c in release.cuts["cells"]}


def test_a_wave_cut_by_region_shows_each_large_enough_region(org):
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    answer(wave, org.sales, regions(("North", 6), ("South", 5)), seed=1)
    answer(wave, org.marketing, regions(("North", 5), ("South", 6)), seed=2)
    cuts.choose(wave, ["region"], False)
    close_wave(wave)
    release = publish(wave, made_by="test")
    assert release.status == "published", release.reason
    found = cells(release)
    assert [found[(v, "all")]["n"] for v in ("North", "South")] == [11, 11]
    assert all(found[(v, "all")]["shown"] for v in ("North", "South"))
    means = found[("North", "all")]["dimensions"]
    assert len(means) >= 3
    assert all(1 <= d["mean"] <= 7 for d in means.values())
    labels = set(release.groups["figures"])
    assert analysis.cuts.cut_label("region", "North") in labels


def published(release: Release) -> dict:
    """Every group a reader of the release holds: the organisation, each shown team (with the teams
    under it) from the release's tree, and each shown cut cell (:func:`cut_groups_of`)."""
    snapshot = release.snapshot
    parent = {t["id"]: t["parent"] for t in snapshot["teams"]}
    included = set(snapshot["responses"])
    team_of = dict(
        db.session.execute(select(Response.id, Response.team_id).where(Response.id.in_(included))).all()
    )

    def chain(team):
        while team is not None:
            yield team
            team = parent.get(team)

    result = release_report(release).suppression
    groups = {(release.id, "organisation"): frozenset(included)}
    for team in result.shown:
        if team != result.root:
            groups[(release.id, team)] = frozenset(r for r, t in team_of.items() if team in chain(t))
    return {**groups, **cut_groups_of(release)}


def test_a_region_found_in_one_team_only_is_hidden_when_it_would_give_away_the_rest_of_the_team(org):
    # Everyone in Lyon is in Sales; Sales minus Lyon would be the two Sales people in Paris.
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    answer(wave, org.sales, regions(("Lyon", 6), ("Paris", 2)), seed=3)
    answer(wave, org.marketing, regions(("Paris", 7)), seed=4)
    cuts.choose(wave, ["region"], False)
    close_wave(wave)
    release = latest_release(wave)
    assert release.status == "published", release.reason
    found = cells(release)
    assert not found[("Lyon", "all")]["shown"]
    assert found[("Lyon", "all")]["reason"] == analysis.cuts.COMPLEMENTARY
    assert brute_force(published(release), 5) == []


def test_without_the_differencing_step_the_same_roster_gives_two_people_away(org, monkeypatch):
    # The threshold alone shows Lyon (6) and Paris (9): Sales (8) minus Lyon is two people.
    monkeypatch.setattr(
        analysis.cuts, "disclosures",
        lambda groups, threshold, limit: analysis.differencing.DifferencingCheck(threshold, (), True, 0),
    )  # fmt: skip
    monkeypatch.setattr(
        "survey.services.releases.analysis.disclosures",
        lambda groups, threshold: analysis.differencing.DifferencingCheck(threshold, (), True, 0),
    )  # fmt: skip
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    answer(wave, org.sales, regions(("Lyon", 6), ("Paris", 2)), seed=3)
    answer(wave, org.marketing, regions(("Paris", 7)), seed=4)
    cuts.choose(wave, ["region"], False)
    close_wave(wave)
    release = latest_release(wave)
    assert cells(release)[("Lyon", "all")]["shown"]
    attacks = brute_force(published(release), 5)
    lyon = (release.id, "region", "Lyon", "all")
    assert any(lyon in attack for attack in attacks)  # Sales minus Lyon


def test_cuts_within_functions_and_a_second_attribute_leave_nothing_small_to_subtract(org):
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    people = [{"region": r, "level": lv} for r, lv in [("North", "lead")] * 4 + [("North", "rep")] * 3
              + [("South", "rep")] * 5]  # fmt: skip
    answer(wave, org.sales, people, seed=5)
    marketers = [{"region": "North", "level": "rep"}] * 6 + [{"region": "South", "level": "lead"}] * 3
    answer(wave, org.marketing, marketers, seed=6)
    cuts.choose(wave, ["region", "level"], True)
    close_wave(wave)
    release = latest_release(wave)
    assert release.status == "published", release.reason
    shown = [key for key, c in cells(release).items() if c["shown"]]
    assert shown  # something is shown, and nothing below the threshold follows from it
    assert brute_force(published(release), 5) == []
    assert analysis.disclosures(published(release), 5).safe


def test_a_later_release_hides_a_value_that_grew_by_fewer_than_the_threshold(org):
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"], release_policy="live"))
    answer(wave, org.sales, regions(("North", 6), ("South", 6)), seed=7)
    answer(wave, org.marketing, regions(("South", 6)), seed=8)
    cuts.choose(wave, ["region"], False)
    first = publish(wave, made_by="test")
    assert first.status == "published", first.reason
    assert cells(first)[("North", "all")]["shown"]
    # Two more people in North, and enough elsewhere for the teams to grow by the threshold.
    answer(wave, org.sales, regions(("North", 2), ("South", 3)), seed=9)
    answer(wave, org.marketing, regions(("South", 5)), seed=10)
    second = publish(wave, made_by="test")
    assert second.status == "published", second.reason
    assert not cells(second)[("North", "all")]["shown"]
    assert brute_force({**published(first), **published(second)}, 5) == []


def closed_and_cut(org, sellers, marketers, by_function=False):
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    answer(wave, org.sales, sellers, seed=11)
    answer(wave, org.marketing, marketers, seed=12)
    cuts.choose(wave, ["region"], by_function)
    close_wave(wave)
    db.session.commit()
    return wave


HOSTILE = '<img src=x onerror="alert(1)">'


def test_the_report_exports_and_api_show_the_same_cut_and_hostile_values_stay_text(org, client, auth):
    sellers = regions(("North", 6), (HOSTILE, 6), ("South", 1))
    marketers = regions(("North", 6), (HOSTILE, 6), ("South", 4), ("=1+2", 2))
    wave = closed_and_cut(org, sellers, marketers)
    release = latest_release(wave)
    found = cells(release)
    assert [found[(v, "all")]["shown"] for v in ("North", HOSTILE, "South", "=1+2")] == [
        True,
        True,
        False,
        False,
    ]
    # The organisation minus North and the hostile value would be South and "=1+2": South is hidden too.
    assert found[("South", "all")]["reason"] == "complementary"
    auth.login("consultant@acme.test", PASSWORD)
    page = client.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    assert "By region" in page
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=" in page
    assert "=1+2 (fewer than 5 people)" in page
    assert "South (it could be worked out from other results shown" in page
    german = client.get(f"/reports/waves/{wave.id}?lang=de").get_data(as_text=True)
    assert "Nach region" in german
    assert "=1+2 (weniger als 5 Personen)" in german
    csv = client.get(f"/reports/waves/{wave.id}/results.csv").data.decode("utf-8-sig")
    table = csv.split("# table: cuts\n")[1].split("\n\n")[0]
    assert "North,all," in table
    assert "'=1+2" in table  # a formula-looking value is neutralised
    workbook = pd.read_excel(
        io.BytesIO(client.get(f"/reports/waves/{wave.id}/results.xlsx").data), sheet_name="cuts"
    )
    north = workbook[(workbook["value"] == "North") & workbook["dimension"].notna()]
    assert set(north["n"]) == {12}
    api = client.get(f"/api/v1/waves/{wave.id}/report", headers=org.headers).get_json()
    rows = [r for r in api["cuts"] if r["value"] == "North" and r["dimension"]]
    assert {r["dimension"]: r["mean"] for r in rows} == pytest.approx(
        {d: v["mean"] for d, v in found[("North", "all")]["dimensions"].items()}
    )
    hidden = [r for r in api["cuts"] if r["value"] == "=1+2"]
    assert [(r["reason"], r["n"], r["mean"]) for r in hidden] == [("below threshold", None, None)]


def test_choosing_the_attributes_on_the_wave_page(org, client, auth):
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    answer(wave, org.sales, [{"region": "North", "tenure_days": str(d)} for d in range(20)], seed=13)
    db.session.commit()
    auth.login("consultant@acme.test", PASSWORD)
    page = client.get(f"/waves/{wave.id}/cuts")
    assert page.status_code == 200
    assert "tenure_days" in page.get_data(as_text=True)
    assert "Too many different values" in page.get_data(as_text=True)
    token = ""  # CSRF is off in tests
    saved = client.post(
        f"/waves/{wave.id}/cuts", data={"csrf_token": token, "attribute": "region", "by_function": "1"}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).cuts == {"attributes": ["region"], "by_function": True}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "wave.cuts_changed")).one()
    assert event.details["to"] == {"attributes": ["region"], "by_function": True}
    refused = client.post(f"/waves/{wave.id}/cuts", data={"csrf_token": token, "attribute": "tenure_days"})
    assert refused.status_code == 400
    assert "20 different values" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).cuts["attributes"] == ["region"]  # unchanged


def test_the_choice_is_refused_for_anonymous_waves_unknown_attributes_and_after_a_release(org):
    anonymous = create_wave(org.organization, "Anonymous", ["alignment"], mode="anonymous")
    with pytest.raises(ServiceError, match="anonymous"):
        cuts.choose(anonymous, ["region"], False)
    wave = closed_and_cut(org, regions(("North", 6), ("South", 6)), regions(("North", 6), ("South", 6)))
    with pytest.raises(ServiceError, match="released"):
        cuts.choose(wave, [], False)
    other = create_wave(org.organization, "Wave 2", ["alignment"])
    with pytest.raises(ServiceError, match="no attribute called"):
        cuts.choose(other, ["<b>salary</b>"], False)
    with pytest.raises(ServiceError, match="at most 3"):
        cuts.choose(other, ["a", "b", "c", "d"], False)


def test_a_wave_without_cuts_has_no_cut_section_or_table(org, client, auth):
    wave = open_wave(create_wave(org.organization, "Wave 1", ["alignment"]))
    answer(wave, org.sales, regions(("North", 6)), seed=14)
    answer(wave, org.marketing, regions(("North", 6)), seed=15)
    close_wave(wave)
    db.session.commit()
    assert latest_release(wave).cuts is None
    auth.login("consultant@acme.test", PASSWORD)
    assert "By region" not in client.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    assert "# table: cuts" not in client.get(f"/reports/waves/{wave.id}/results.csv").data.decode("utf-8-sig")
    assert client.get(f"/api/v1/waves/{wave.id}/report", headers=org.headers).get_json()["cuts"] == []


def test_the_next_round_is_cut_the_same_way_and_can_change_until_its_first_release(org):
    wave = closed_and_cut(org, regions(("North", 6), ("South", 6)), regions(("North", 6), ("South", 6)))
    following = clone_wave(wave, "Wave 2")
    assert following.cuts == {"attributes": ["region"], "by_function": False}
    assert not cuts.frozen(following)
    cuts.choose(following, ["region", "tenure"], True)
    assert following.cuts == {"attributes": ["region", "tenure"], "by_function": True}
    assert wave.cuts == {"attributes": ["region"], "by_function": False}
