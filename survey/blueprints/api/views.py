"""The read-only JSON API: a wave's report and an organisation's trend, for dashboards.

Authenticated with a bearer token (``mindgap api-token create EMAIL``); the token's user
sees exactly what they see in the browser, and the numbers are those of the HTML report.
The answers are described by the models of :mod:`survey.blueprints.api.models`, from which
``/api/v1/openapi.json`` is generated.
"""

from __future__ import annotations

import functools
import json

from flask import Blueprint, Response, abort, current_app, g, request
from werkzeug.exceptions import Unauthorized

from survey.blueprints.api.models import openapi_document
from survey.extensions import csrf, db
from survey.services import access
from survey.services import reports as service
from survey.services.accounts import user_for_api_token
from survey.services.actions import actions_payload
from survey.services.cut_section import cut_table
from survey.services.exports import records
from survey.services.releases import not_released_text
from survey.services.result_words import worded_report

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies, no forms: bearer tokens only


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        error = Unauthorized(
            "Send a valid API token: 'Authorization: Bearer <token>' (mindgap api-token create)."
        )
        response = current_app.make_response(current_app.handle_http_exception(error))
        response.headers["WWW-Authenticate"] = 'Bearer realm="mindgap"'
        return response
    db.session.commit()  # keep last_used_at
    g.api_user = user
    return None


def _json(payload: bytes) -> Response:
    response = Response(payload, mimetype="application/json")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/waves/<int:wave_id>/report")
def wave_report(wave_id: int):
    """The organisation report of a wave's latest release, every section, suppressed as in the HTML."""
    wave = access.wave_for(g.api_user, wave_id)
    release = service.wave_release(wave)
    db.session.commit()
    if release is None:
        abort(404, description=not_released_text(wave))

    def build() -> bytes:
        # The codes with the report's words next to them, as in the CSV and Excel results.
        payload = service.report_payload(worded_report(service.organization_report(release)))
        payload["wave_id"] = wave.id
        payload["cuts"] = records(cut_table(release.cuts))
        payload["release"] = {"number": release.number, "released_on": release.created_at.date().isoformat()}
        return json.dumps(payload, allow_nan=False).encode()

    body = service.cached(wave, "json", "en", build, service.release_state(release))
    db.session.commit()
    return _json(body)


@bp.get("/organizations/<int:organization_id>/trend")
def organization_trend(organization_id: int):
    """Dimension means and the alignment index over the organisation's waves, with CIs."""
    organization = access.organization_for(g.api_user, organization_id)
    payload = service.organization_trend(organization)
    db.session.commit()
    return _json(json.dumps(payload, allow_nan=False).encode())


@bp.get("/organizations/<int:organization_id>/actions")
def organization_actions(organization_id: int):
    """The organisation's actions with their updates and, per later wave, whether each worked."""
    organization = access.organization_for(g.api_user, organization_id)
    payload = actions_payload(organization)
    db.session.commit()
    return _json(json.dumps(payload, allow_nan=False).encode())


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API, generated from the answers' models."""
    return current_app.response_class(_openapi_json(), mimetype="application/json")


@functools.cache
def _openapi_json() -> str:
    return json.dumps(openapi_document(), indent=2)
