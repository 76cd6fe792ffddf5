"""docs/platform-profiles.openapi.yaml is the contract the profiles pull really uses.

Every request the pull sends to the platform stand-in and every answer it reads are
validated against the published OpenAPI document with openapi-core; the document's
own example is accepted by the code's model; and an answer that breaks the contract
fails validation (so the check can fail).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import SecurityValidationError
from openapi_core.validation.response.exceptions import InvalidData
from sqlalchemy import Engine

from systok.ingest.sources import platform
from tests.ingest import test_pull_profiles as profiles
from tests.ingest.stand_in import Sleeps, policy, settings

SERVER = "https://learn.example.org"
SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "platform-profiles.openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))  # validates the document itself


base_url = profiles.base_url  # the profiles stand-in (tests/ingest/test_pull_profiles.py)


def _exchange(response: httpx.Response) -> tuple[MockRequest, MockResponse]:
    request = response.request
    mock_request = MockRequest(
        SERVER,  # the stand-in's loopback address stands for the document's server
        request.method,
        request.url.path,
        args=dict(request.url.params),
        headers=dict(request.headers),
    )
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "").split(";")[0],
    )
    return mock_request, mock_response


def _recorded_pull(engine: Engine, url: str, **kwargs: Any) -> list[httpx.Response]:
    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    config = settings(platform_url=url, platform_token=profiles.TOKEN)
    with platform.client_for(config, sleep=Sleeps()) as client:
        client._client.event_hooks["response"].append(keep)
        platform.pull_profiles(engine, config, policy(), **kwargs, client=client)
    return seen


def test_the_pulls_requests_and_the_stand_ins_answers_follow_the_document(
    engine: Engine, base_url: str, spec: OpenAPI
) -> None:
    profiles.state.__dict__.update(profiles.State().__dict__)
    profiles.state.pages = [
        [profiles.IVAN, profiles.BROKEN],
        [profiles.OLGA, profiles.THIEF],
    ]
    first = _recorded_pull(engine, base_url)
    again = _recorded_pull(engine, base_url)  # the second pull sends updated_since
    assert len(first) == 2 and len(again) == 2
    assert "updated_since" in again[0].request.url.params
    for response in first + again:
        request, answer = _exchange(response)
        spec.validate_request(request)
        spec.validate_response(request, answer)


def test_an_answer_that_breaks_the_contract_fails_validation(spec: OpenAPI) -> None:
    unsigned = MockRequest(SERVER, "get", "/api/members", args={"page": "1"})
    with pytest.raises(SecurityValidationError):
        spec.validate_request(unsigned)
    request = MockRequest(
        SERVER, "get", "/api/members", args={"page": "1"}, headers={"Authorization": "Bearer t"}
    )
    spec.validate_request(request)
    bad = {"members": [{"id": "m1", "qualification": [{"level": 0, "from": "2025-01-01"}]}]}
    with pytest.raises(InvalidData):
        spec.validate_response(request, MockResponse(json.dumps(bad).encode()))
    with pytest.raises(InvalidData):
        spec.validate_response(
            request, MockResponse(json.dumps({"members": [], "next_page": "2"}).encode())
        )


def test_the_documents_example_is_what_the_code_accepts() -> None:
    document = yaml.safe_load(SPEC_PATH.read_text())
    ok = document["paths"]["/api/members"]["get"]["responses"]["200"]
    example = ok["content"]["application/json"]["example"]
    for raw in example["members"]:
        profile = platform.MemberProfile.model_validate(raw)
        qualifications, memberships = profile.history()
        assert qualifications and memberships
    assert platform.MEMBERS_PATH in document["paths"]
