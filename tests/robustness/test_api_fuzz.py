"""Schemathesis against the live OpenAPI schema: no request, however odd, gets a server error.

The service runs as a real process (``treffpunkt serve --demo``) in a database of its own and is
called over HTTP with an admin's API token, exactly as an outside client would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.schemas import APIOperation

from tests.robustness.live_server import api_token, demo_server

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 15

# Operations that would end the fuzzing session itself if called with random data.
SELF_DEFEATING = {
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
}


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory, database_kind: str) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with demo_server(folder, database_kind, "fuzz") as (server, env):
        yield server.base, api_token(folder, env)


def _fuzz_operation(operation: APIOperation, base: str, token: str) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} query={case.query} body={case.body!r:.300} "
            f"-> {response.status_code}: {response.text[:300]}"
        )

    run()


def test_no_request_gets_a_server_error(live_api: tuple[str, str]) -> None:
    """Every operation of the schema, with generated valid and odd input, answers below 500."""
    base, token = live_api
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SELF_DEFEATING:
            continue
        tried += 1
        try:
            _fuzz_operation(operation, base, token)
        except AssertionError as error:
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert tried > 30, f"only {tried} operations in the schema"
    assert not failures, "\n\n".join(failures)
