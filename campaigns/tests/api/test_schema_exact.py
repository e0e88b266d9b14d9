"""The OpenAPI document declares what the server does: every status code an operation answers, in the error
shape, and the constraints the server enforces (blank names, cursor pages)."""

import pytest

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield path, method, operation


def error_codes(operation) -> set[str]:
    return {code for code, answer in operation["responses"].items()
            if answer.get("content", {}).get("application/json", {}).get("schema") == ERROR_REF}


def test_every_operation_declares_401_and_every_id_lookup_404_in_the_error_shape(schema):
    for path, method, operation in operations(schema):
        codes = error_codes(operation)
        assert "401" in codes, (method, path)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        if method in ("post", "patch") and operation.get("requestBody"):
            assert {"400", "413"} <= codes, (method, path)


@pytest.mark.parametrize(("path", "method", "codes"), [
    ("/api/v1/campaigns/{id}/enqueue", "post", {"400", "402", "403", "404", "409", "429"}),
    ("/api/v1/campaigns/{id}/resume", "post", {"403", "404", "409"}),
    ("/api/v1/campaigns/{id}/test", "post", {"400", "402", "403", "404", "409", "429"}),
    ("/api/v1/campaigns/{id}/preflight", "get", {"404", "429"}),
    ("/api/v1/campaigns/{id}/recipients/", "get", {"400", "404"}),
    ("/api/v1/contacts/", "get", {"400"}),
])
def test_the_answers_each_operation_gives_are_declared(schema, path, method, codes):
    assert codes <= error_codes(schema["paths"][path][method])


def test_names_and_bodies_may_not_be_blank_in_the_schema_as_on_the_server(schema, api):
    campaign = schema["components"]["schemas"]["CampaignInput"]["properties"]
    for name in ("name", "body"):
        assert (campaign[name]["minLength"], campaign[name]["pattern"]) == (1, r"\S")
    response = api.post("/api/v1/campaigns/", {"name": "   ", "body": "Hi"}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]


def test_lists_are_cursor_pages_with_a_bounded_page_size(schema):
    for path in ("/api/v1/contacts/", "/api/v1/campaigns/", "/api/v1/campaigns/{id}/recipients/"):
        parameters = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}
        assert "page" not in parameters and parameters["cursor"]["type"] == "string"
        assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 1000)
