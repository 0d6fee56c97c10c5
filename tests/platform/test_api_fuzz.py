"""schemathesis over the API's own OpenAPI document, as an administrator and as a member, on the demo data:
no answer may be a server error, and every answer must match what the document says (status and body).
Bounded (a few examples per operation, a fixed seed) so that it runs in `make test`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.demo import data as demo
from tests.liveserver import serve

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.mark.parametrize(("role", "phone", "seed"), [("admin", "0900000001", 1), ("member", "0900000100", 2)])
def test_the_api_answers_every_generated_request_as_documented(demo_app, tmp_path, role, phone, seed):
    with serve(demo_app, lifespan="off") as url:
        token = httpx.post(f"{url}/api/v1/auth/token", json={"username": phone, "password": demo.DEMO_PASSWORD}, timeout=30).json()[
            "access_token"
        ]
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{url}/api/v1/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "-c",
                "not_a_server_error,response_schema_conformance",
                "-n",
                "10",
                "--seed",
                str(seed),
                "--request-timeout",
                "20",
                "--no-color",
                "--report-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    cases = [line for line in out.splitlines() if "generated" in line and "passed" in line]
    assert cases and "failed" not in cases[-1], out[-3000:]  # e.g. "2920 generated, 2920 passed"
    assert int(cases[-1].split()[0]) > 500  # the run reached every operation, not a few
