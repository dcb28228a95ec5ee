"""Many respondents at once: on the embedded SQLite default no one may see "database is locked"."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Response
from tests.factories import answer_all


def test_fifty_concurrent_respondents_all_complete(app, make_survey):
    setup = make_survey(instruments=("alignment",), per_team=17)  # 51 invitations
    tokens = list(setup.tokens.items())[:50]
    plans = {function: setup.plan(function) for function in ("sales", "marketing", "other")}

    def respondent(entry):
        email, token = entry
        plan = plans[email.split("@")[0].rstrip("0123456789")]
        client = app.test_client()
        statuses = [client.get(f"/s/{token}").status_code]
        statuses.append(client.post(f"/s/{token}/start", data={"language": "en"}).status_code)
        for page in plan.pages:
            action = "submit" if page.number == plan.page_count - 1 else "next"
            statuses.append(
                client.post(
                    f"/s/{token}/p/{page.number + 1}", data={**answer_all(page), "action": action}
                ).status_code
            )
        with app.app_context():
            db.session.remove()
        return statuses, sum(len(page.items) for page in plan.pages)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(respondent, tokens))

    assert all(status in (200, 302) for statuses, _ in results for status in statuses), results
    db.session.rollback()
    assert db.session.scalar(select(func.count(Response.id)).where(Response.status == "submitted")) == 50
    assert db.session.scalar(select(func.count(Answer.id))) == sum(expected for _, expected in results)
