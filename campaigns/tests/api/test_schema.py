from drf_spectacular.validation import validate_schema


def test_the_schema_is_a_valid_openapi_3_document(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/contacts/", "/api/v1/contacts/bulk", "/api/v1/contacts/{id}/", "/api/v1/campaigns/",
            "/api/v1/campaigns/{id}/", "/api/v1/shop"} <= set(schema["paths"])


def test_the_schema_describes_bearer_auth_and_error_answers(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["ApiKeyAuth"]
        ["description"],
    }
    error_ref = {"$ref": "#/components/schemas/Error"}
    campaign_patch = schema["paths"]["/api/v1/campaigns/{id}/"]["patch"]
    assert campaign_patch["security"] == [{"ApiKeyAuth": []}]
    for code in ("400", "401", "404", "409"):
        assert campaign_patch["responses"][code]["content"]["application/json"]["schema"] == error_ref
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"ok", "reason", "detail"}
    created = schema["paths"]["/api/v1/campaigns/"]["post"]["responses"]["201"]
    campaign = schema["components"]["schemas"]["Campaign"]["properties"]
    assert created["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Campaign"}
    assert {"id", "name", "body", "sender", "status", "scheduled_at", "created_at", "encoding", "segments"} <= set(
        campaign
    )


def test_the_docs_page_is_served(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
