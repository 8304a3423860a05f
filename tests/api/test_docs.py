"""The API's schema and docs page: generated from the code, problems documented as application/problem+json, and
the docs page from our own static files with no inline script (the site's CSP allows neither a CDN nor one)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_documents_every_endpoint_and_its_problems(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {(path, method) for path, methods in schema["paths"].items() for method in methods} == {
        ("/api/v1/notices", "post"), ("/api/v1/notices", "get"), ("/api/v1/notices/{reference}", "get"),
        ("/api/v1/notices/{reference}/withdraw", "post"), ("/api/v1/notices/{reference}/answers", "post"),
        ("/api/v1/notices/{reference}/appeals", "post"), ("/api/v1/evidence", "post")}
    filing = schema["paths"]["/api/v1/notices"]["post"]
    assert set(filing["responses"]) == {"201", "400", "401", "403", "404", "409", "413", "422", "429"}
    assert list(filing["responses"]["422"]["content"]) == ["application/problem+json"]
    assert list(filing["responses"]["201"]["content"]) == ["application/json"]
    assert {parameter["name"] for parameter in filing["parameters"]} == {"Idempotency-Key"}
    assert schema["components"]["securitySchemes"]["KeyBearer"] == {"type": "http", "scheme": "bearer"}


def test_the_docs_page_runs_from_our_static_files_without_inline_script(client):
    page = client.get("/api/v1/docs").content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert all('src="/static/' in attributes or 'type="application/json"' in attributes for attributes in scripts)
    assert "/static/ninja/swagger-ui-bundle.js" in page and "http" not in page.split("<body")[1]
    assert client.get("/api/v1/").headers["Location"] == "/api/v1/docs"
