def test_healthz_reports_database_and_redis(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"db": "ok", "redis": "ok"}


def test_shop_endpoint_requires_a_key(anon_api, db):
    response = anon_api.get("/api/v1/shop")
    assert response.status_code == 401
    assert response.json()["ok"] is False
    assert response.json()["reason"] == "unauthorized"


def test_shop_endpoint_shows_the_callers_shop(api, shop):
    response = api.get("/api/v1/shop")
    assert response.status_code == 200
    assert response.json() == {
        "domain": shop.domain, "name": shop.name, "credits": shop.credits, "credits_held": 0, "sender": "MyShop",
        "senders": ["MyShop"],
    }


def test_wrong_key_is_401(anon_api, shop_key):
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer sk_nope")
    assert anon_api.get("/api/v1/shop").status_code == 401


def test_key_use_is_recorded_at_most_once_a_minute(api, shop):
    from campaigns.models import ApiKey

    api.get("/api/v1/shop")
    first = ApiKey.objects.get(shop=shop).last_used_at
    api.get("/api/v1/shop")
    assert first is not None and ApiKey.objects.get(shop=shop).last_used_at == first
