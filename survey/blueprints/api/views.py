"""The read-only JSON API: a wave's report and an organisation's trend, for dashboards.

Authenticated with a bearer token (``mindgap api-token create EMAIL``); the token's user
sees exactly what they see in the browser, and the numbers are those of the HTML report.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, g, request
from werkzeug.exceptions import Unauthorized

from survey.extensions import csrf, db
from survey.services import access
from survey.services import reports as service
from survey.services.accounts import user_for_api_token
from survey.services.releases import not_released_text

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
        payload = service.report_payload(service.organization_report(release))
        payload["wave_id"] = wave.id
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


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return current_app.response_class(json.dumps(OPENAPI, indent=2), mimetype="application/json")


_error = {"$ref": "#/components/schemas/Error"}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "Mindgap read-only API",
        "version": "1.0.0",
        "description": "Alignment reports and trends. Groups below a wave's anonymity threshold are never "
        "included. Authenticate with 'Authorization: Bearer <token>' (create one with "
        "`mindgap api-token create EMAIL`).",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {"type": "string"},
                    "message": {"type": "string"},
                    "status": {"type": "integer"},
                },  # fmt: skip
                "required": ["error", "message", "status"],
            },
            "Table": {"type": "array", "items": {"type": "object"}, "description": "Rows of a result table."},
            "Report": {
                "type": "object",
                "description": "Every section of the organisation report; numbers as in the HTML report.",
                "properties": {
                    "wave_id": {"type": "integer"},
                    "wave": {"type": "string"},
                    "threshold": {"type": "integer"},
                    "overview": {"type": "object"},
                    "means": {"$ref": "#/components/schemas/Table"},
                    "gaps": {"$ref": "#/components/schemas/Table"},
                    "alignment": {"type": "object"},
                    "meta_perception": {"$ref": "#/components/schemas/Table"},
                    "profiles": {"$ref": "#/components/schemas/Table"},
                    "profile_similarity": {"$ref": "#/components/schemas/Table"},
                    "agreement": {"type": "object"},
                    "quality": {"type": "object"},
                    "trend": {"type": "object"},
                    "recommendations": {"type": "array", "items": {"type": "object"}},
                },
                "required": ["wave_id", "threshold", "overview", "gaps", "alignment"],
            },
            "Trend": {
                "type": "object",
                "properties": {
                    "organization_id": {"type": "integer"},
                    "latest_wave_id": {"type": "integer"},
                    "waves": {"type": "array", "items": {"type": "string"}},
                    "dimensions": {"$ref": "#/components/schemas/Table"},
                    "alignment": {"$ref": "#/components/schemas/Table"},
                    "latest_change": {"$ref": "#/components/schemas/Table"},
                },
                "required": ["organization_id", "dimensions", "alignment"],
            },
        },
    },
    "paths": {
        "/waves/{wave_id}/report": {
            "get": {
                "summary": "The organisation report of a wave",
                "parameters": [
                    {"name": "wave_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "The report",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}},
                    },
                    "401": {
                        "description": "No valid token",
                        "content": {"application/json": {"schema": _error}},
                    },
                    "404": {
                        "description": "No such wave for this user",
                        "content": {"application/json": {"schema": _error}},
                    },
                },
            }  # fmt: skip
        },
        "/organizations/{organization_id}/trend": {
            "get": {
                "summary": "Dimension means and alignment over the organisation's waves",
                "parameters": [
                    {"name": "organization_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "The trend",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Trend"}}},
                    },
                    "401": {
                        "description": "No valid token",
                        "content": {"application/json": {"schema": _error}},
                    },
                    "404": {
                        "description": "No such organisation for this user",
                        "content": {"application/json": {"schema": _error}},
                    },
                },
            }  # fmt: skip
        },
    },
}
