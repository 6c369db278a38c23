"""The JSON API keeps its OpenAPI contract: schemathesis against `kenniskamer serve` on 127.0.0.1.

Each operation of /api/openapi.json gets requests generated from its own description, valid
ones and invalid ones, and schemathesis checks every answer: no 5xx, a documented status code,
the documented content type and headers, a body that matches its schema, invalid input refused
with a 4xx, and valid input accepted. The one exception to the last: JSON Schema cannot describe
the query language, so a schema-valid `q` such as `(` may get the documented 400, as long as the
same request without `q` is accepted.

schemathesis's pytest loader (``schemathesis.pytest.from_fixture``) reads a private pytest
attribute that pytest 9 dropped, so these tests drive its Hypothesis strategies themselves.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from conftest import serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from kenniskamer.library import Library

EXAMPLES = 40  # per run below; derandomized, so every run sends the same requests
OPERATIONS = ["GET /api/documents/{id}", "GET /api/openapi.json", "GET /api/search"]
RUNS = [  # (operation, mode); /api/openapi.json has no parameters to get wrong
    ("GET /api/search", GenerationMode.POSITIVE),
    ("GET /api/search", GenerationMode.NEGATIVE),
    ("GET /api/documents/{id}", GenerationMode.POSITIVE),
    ("GET /api/documents/{id}", GenerationMode.NEGATIVE),
    ("GET /api/openapi.json", GenerationMode.POSITIVE),
]
HYPOTHESIS = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass
class LiveAPI:
    schema: schemathesis.BaseSchema
    url: str
    session: requests.Session

    def check(self, case: schemathesis.Case) -> int:
        """Send the case, let schemathesis judge the answer, and return its status."""
        response = case.call(base_url=self.url, session=self.session)
        excluded = [schemathesis.checks.positive_data_acceptance] if self._refused_for_query(case, response) else []
        case.validate_response(response, excluded_checks=excluded)
        return response.status_code

    def _refused_for_query(self, case: schemathesis.Case, response: schemathesis.Response) -> bool:
        """True for a 400 that the query text alone causes: without `q` the request is accepted."""
        if response.status_code != 400 or not (case.query or {}).get("q"):
            return False
        without = {name: value for name, value in case.query.items() if name != "q"}
        retry = self.session.get(self.url + case.formatted_path, params=without, timeout=30)
        return retry.status_code < 400


@pytest.fixture(scope="module")
def api(sample_library: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAPI]:
    """The API description as the running server serves it, and that server."""
    log_dir = tmp_path_factory.mktemp("contract")
    with serving(sample_library, log_dir, ready_path="/api/openapi.json") as url, requests.Session() as session:
        schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
        yield LiveAPI(schema, url, session)
    # The server said only that it started: nothing went wrong behind a well-formed answer.
    lines = (log_dir / "serve.log").read_text(errors="replace").splitlines()
    assert [line for line in lines if not line.startswith("Serving ")] == []


def test_the_description_lists_the_operations_tested_here(api: LiveAPI) -> None:
    paths = api.schema.raw_schema["paths"]
    assert sorted(f"{method.upper()} {path}" for path, item in paths.items() for method in item) == OPERATIONS


@pytest.mark.parametrize(("label", "mode"), RUNS, ids=[f"{label} {mode.value}" for label, mode in RUNS])
def test_the_api_keeps_its_contract(api: LiveAPI, label: str, mode: GenerationMode) -> None:
    method, path = label.split(" ")

    @HYPOTHESIS
    @given(case=api.schema[path][method].as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        api.check(case)

    check()


ODD_SEARCHES = [  # (query, status): requests found by hand next to those generated
    ({"year": "\u00b2"}, 400),  # a digit that int() refuses: was a 500
    ({"decade": "1" * 5000}, 400),  # more digits than int() converts: was a 500
    ({"year": "\u0662\u0660\u0662\u0660"}, 400),  # Arabic-Indic digits
    ({"q": " " * 501}, 400),  # the length limit counts what was sent
    ({"q": "(", "theme": "framing"}, 200),  # a lone bracket is read leniently: all framing documents
    ({"q": "jaar:2022..2019", "theme": "framing"}, 400),  # a range backwards stays an error
    ({"sort": "", "page": "", "size": "", "theme": "", "year": ""}, 200),  # empty counts as not given
    ({"lang": "xx", "expand": "2"}, 200),  # documented as ignored
    ({"q": "\x00", "publisher": "null"}, 200),
]


@pytest.mark.parametrize(("query", "status"), ODD_SEARCHES, ids=[ascii(q)[:40] for q, _ in ODD_SEARCHES])
def test_odd_searches_keep_the_contract(api: LiveAPI, query: dict[str, str], status: int) -> None:
    assert api.check(api.schema["/api/search"]["GET"].Case(query=query)) == status


@pytest.mark.parametrize("doc_id", ["\x00", "a" * 5000, "' OR 1=1 --", "%2e%2e", "\u00b2"], ids=lambda doc_id: ascii(doc_id)[:20])
def test_odd_document_ids_are_not_found(api: LiveAPI, doc_id: str) -> None:
    assert api.check(api.schema["/api/documents/{id}"]["GET"].Case(path_parameters={"id": doc_id})) == 404


def test_documents_that_exist_keep_the_contract(api: LiveAPI, sample_library: Path) -> None:
    """Generated ids are almost never real; here every document of the library answers, with any `q`."""
    ids = sorted(doc.doc_id for doc in Library.open(sample_library).documents())
    operation = api.schema["/api/documents/{id}"]["GET"]
    cases = st.sampled_from(ids).flatmap(lambda doc_id: operation.as_strategy(path_parameters={"id": doc_id}))
    statuses: list[int] = []

    @settings(HYPOTHESIS, max_examples=EXAMPLES // 2)  # a document page costs more than a search
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        statuses.append(api.check(case))

    check()
    assert statuses.count(200) >= len(statuses) // 2, json.dumps(statuses)


def test_schemathesis_finds_no_failure_with_all_its_checks(api: LiveAPI, tmp_path: Path) -> None:
    """The client none of us wrote, as a user would run it: `schemathesis run --checks all`
    (its coverage, fuzzing and stateful phases; an undeclared method must get 405 with Allow)."""
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    done = subprocess.run(
        # All checks but one: a query string has no types, so the "invalid" boolean `true` that
        # negative_data_rejection sends for `publisher` arrives as the string "true", a valid
        # publisher (tests above check the refusals that can be told apart).
        [command, "run", f"{api.url}/api/openapi.json", "--checks", "all", "--exclude-checks",
         "negative_data_rejection", "--max-examples", "15", "--seed", "1", "--no-color"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,  # its cache folder goes there
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "No issues found" in done.stdout
