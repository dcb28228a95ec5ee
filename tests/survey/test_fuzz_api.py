"""Schemathesis against the API's own contract, in-process on the WSGI app with the demo data.

Every operation of /api/v1/openapi.json gets generated requests (valid and invalid path ids,
the demo's real ids among them) with a consultant's bearer token; every answer must be no
5xx, carry a documented status and content type, and conform to the document's schema.
Bounded: a fixed number of examples per operation and mode, no deadline.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

pytestmark = [pytest.mark.db, pytest.mark.slow]

EXAMPLES = 40


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return {operation.label: operation for operation in (r.ok() for r in schema.get_all_operations())}


def _known_ids(demo_site) -> dict[str, list[int]]:
    return {
        "wave_id": [*demo_site.released, demo_site.open],
        "organization_id": [demo_site.organization_id],
    }


def _fuzz(operation, mode: GenerationMode, headers: dict, real_ids: list[int]) -> None:
    """Call ``operation`` with generated requests (a real id in some); every answer keeps the contract."""
    name = next(iter(operation.path_parameters)).name
    real = st.none() | st.sampled_from(real_ids) if mode is GenerationMode.POSITIVE else st.none()

    @given(case=operation.as_strategy(generation_mode=mode), real_id=real)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
              database=None)  # fmt: skip
    def keeps_the_contract(case, real_id):
        if real_id is not None:
            case.path_parameters = {name: real_id}
        case.call_and_validate(headers=headers)

    keeps_the_contract()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_the_api_keeps_its_contract(demo_site, mode):
    operations = _operations(demo_site.app)
    assert set(operations) == {"GET /waves/{wave_id}/report", "GET /organizations/{organization_id}/trend",
                               "GET /organizations/{organization_id}/actions"}  # fmt: skip
    known = _known_ids(demo_site)
    for operation in operations.values():
        name = next(iter(operation.path_parameters)).name
        _fuzz(operation, mode, demo_site.headers, known[name])


def test_without_a_token_every_operation_answers_401(demo_site):
    for operation in _operations(demo_site.app).values():
        _refuses_without_token(operation)


def _refuses_without_token(operation) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=10, deadline=None, database=None)
    def refuses(case):
        response = case.call(headers={"Authorization": ""})
        assert response.status_code in (401, 404)  # 404: a path the routes do not match
        case.validate_response(response)

    refuses()
