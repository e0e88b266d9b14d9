"""OAuth helpers against SHOPIFY.md: shop check, query HMAC (Shopify's documented example), freshness, nonce,
authorize URL, code exchange and refresh of expiring offline tokens."""

import hmac
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import responses

from shopify import oauth
from shopify.errors import OAuthError, TransientError
from shopify.oauth import OfflineToken

SECRET = "hush"
SHOP = "some-shop.myshopify.com"
TOKEN_URL = f"https://{SHOP}/admin/oauth/access_token"
# Shopify's documented example: this query signed with the secret "hush".
DOC_QUERY = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": SHOP, "state": "0.6784241404160823",
             "timestamp": "1337178173"}
DOC_HMAC = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
NOW = 1337178173 + 10


@pytest.fixture(autouse=True)
def app_settings(settings):
    settings.SHOPIFY_API_KEY = "client-id"
    settings.SHOPIFY_API_SECRET = "client-secret-value"
    settings.SHOPIFY_APP_URL = "https://app.example"
    settings.SHOPIFY_ADMIN_BASE = "https://{shop}"


@pytest.mark.parametrize("shop", [SHOP, "a.myshopify.com", "  Shop-1.MYSHOPIFY.com "])
def test_valid_shop_accepts_myshopify_domains(shop):
    assert oauth.valid_shop(shop) == shop.strip().lower()


@pytest.mark.parametrize("shop", [None, "", "shop.example.com", "-shop.myshopify.com", "shop.myshopify.com.evil.com",
                                  "sh op.myshopify.com", "shop.myshopify.com/admin", "https://shop.myshopify.com",
                                  ["shop.myshopify.com"], "x" * 300 + ".myshopify.com"])
def test_valid_shop_refuses_anything_else_with_400(shop):
    with pytest.raises(OAuthError) as error:
        oauth.valid_shop(shop)
    assert (error.value.reason, error.value.status) == ("invalid_shop", 400)


def test_query_hmac_matches_shopifys_documented_example():
    assert oauth.query_hmac({**DOC_QUERY, "hmac": "ignored", "signature": "ignored"}, SECRET) == DOC_HMAC


def test_verify_query_accepts_the_documented_example_and_returns_the_shop():
    assert oauth.verify_query({**DOC_QUERY, "hmac": DOC_HMAC}, secret=SECRET, now=NOW) == SHOP


def test_verify_query_accepts_lists_as_django_querydicts_give_them():
    query = {name: [value] for name, value in {**DOC_QUERY, "hmac": DOC_HMAC}.items()}
    assert oauth.verify_query(query, secret=SECRET, now=NOW) == SHOP


@pytest.mark.parametrize("change", [
    {"code": "1907a61c0c8d55e99db179b68161bc00"},  # one byte of a value
    {"hmac": "600e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"},  # one byte of the hmac
    {"hmac": ""}, {"hmac": DOC_HMAC[:-1]}, {"extra": "1"},
])
def test_verify_query_refuses_a_tampered_query_with_401(change):
    with pytest.raises(OAuthError) as error:
        oauth.verify_query({**DOC_QUERY, "hmac": DOC_HMAC} | change, secret=SECRET, now=NOW)
    assert (error.value.reason, error.value.status) == ("invalid_hmac", 401)


def test_verify_query_without_hmac_or_secret_is_401():
    with pytest.raises(OAuthError, match="no valid hmac"):
        oauth.verify_query(DOC_QUERY, secret=SECRET, now=NOW)
    with pytest.raises(OAuthError, match="no valid hmac"):
        oauth.verify_query({**DOC_QUERY, "hmac": DOC_HMAC}, secret="", now=NOW)


def test_verify_query_compares_in_constant_time(monkeypatch):
    seen = []
    real = hmac.compare_digest
    monkeypatch.setattr(oauth.hmac, "compare_digest", lambda a, b: seen.append((a, b)) or real(a, b))
    oauth.verify_query({**DOC_QUERY, "hmac": DOC_HMAC}, secret=SECRET, now=NOW)
    assert seen == [(DOC_HMAC.encode(), DOC_HMAC.encode())]


@pytest.mark.parametrize("now", [1337178173 + 301, 1337178173 - 61])
def test_verify_query_refuses_a_stale_or_future_timestamp(now):
    with pytest.raises(OAuthError) as error:
        oauth.verify_query({**DOC_QUERY, "hmac": DOC_HMAC}, secret=SECRET, now=now)
    assert (error.value.reason, error.value.status) == ("stale", 401)


def test_verify_query_checks_the_shop_before_anything():
    with pytest.raises(OAuthError) as error:
        oauth.verify_query({**DOC_QUERY, "shop": "evil.example.com", "hmac": DOC_HMAC}, secret=SECRET, now=NOW)
    assert error.value.reason == "invalid_shop"


def test_query_hmac_escapes_separators_so_values_cannot_forge_parameters():
    joined = oauth.query_hmac({"a": "1&b=2", "shop": SHOP}, SECRET)
    split = oauth.query_hmac({"a": "1", "b": "2", "shop": SHOP}, SECRET)
    assert joined != split


def test_query_hmac_writes_repeated_parameters_as_shopify_does():
    expected = hmac.new(SECRET.encode(), f'ids=["1", "2"]&shop={SHOP}'.encode(), "sha256").hexdigest()
    assert oauth.query_hmac({"ids[]": ["1", "2"], "shop": SHOP}, SECRET) == expected


def test_a_nonce_is_accepted_once_and_only_for_its_shop():
    nonce = oauth.issue_nonce(SHOP)
    with pytest.raises(OAuthError) as error:
        oauth.consume_nonce(nonce, "other.myshopify.com")
    assert (error.value.reason, error.value.status) == ("invalid_state", 401)
    oauth.consume_nonce(nonce, SHOP)
    with pytest.raises(OAuthError, match="unknown, expired, used"):
        oauth.consume_nonce(nonce, SHOP)


@pytest.mark.parametrize("nonce", [None, "", "short", "x" * 65, ["a" * 20]])
def test_a_malformed_or_unknown_nonce_is_refused(nonce):
    with pytest.raises(OAuthError):
        oauth.consume_nonce(nonce, SHOP)
    with pytest.raises(OAuthError):
        oauth.consume_nonce("a" * 32, SHOP)


def test_nonces_are_random_and_long():
    nonces = {oauth.issue_nonce(SHOP) for _ in range(50)}
    assert len(nonces) == 50 and all(len(nonce) >= 32 for nonce in nonces)


def test_authorize_url_names_the_app_scopes_callback_and_state(settings):
    settings.SHOPIFY_ADMIN_BASE = "http://127.0.0.1:9/{shop}"
    url = oauth.authorize_url(SHOP, "nonce-123")
    assert url == (f"http://127.0.0.1:9/{SHOP}/admin/oauth/authorize?client_id=client-id"
                   "&scope=read_customers%2Cwrite_customers%2Cread_orders"
                   "&redirect_uri=https%3A%2F%2Fapp.example%2Fshopify%2Fcallback&state=nonce-123")


@responses.activate
def test_exchange_code_posts_the_credentials_and_reads_an_expiring_token():
    responses.post(TOKEN_URL, json={"access_token": "shpat_x", "scope": "read_customers", "expires_in": 86400,
                                    "refresh_token": "shprt_y", "refresh_token_expires_in": 7776000})
    now = datetime(2026, 12, 1, tzinfo=UTC)
    token = oauth.exchange_code(SHOP, "the-code", now=now)
    assert json.loads(responses.calls[0].request.body) == {
        "client_id": "client-id", "client_secret": "client-secret-value", "code": "the-code", "expiring": "1"}
    assert token == OfflineToken("shpat_x", "read_customers", now + timedelta(days=1), "shprt_y",
                                 now + timedelta(days=90))
    assert "shpat_x" not in repr(token) and "shprt_y" not in repr(token)


@responses.activate
def test_exchange_code_reads_a_non_expiring_token():
    responses.post(TOKEN_URL, json={"access_token": "shpat_x", "scope": "read_customers"})
    token = oauth.exchange_code(SHOP, "the-code")
    assert token.expires_at is None and token.refresh_token is None and not token.needs_refresh()


@responses.activate
@pytest.mark.parametrize(("status", "body"), [(400, {"error": "invalid_request"}), (200, {"scope": "x"}),
                                              (200, ["not", "an", "object"]), (403, "<html>")])
def test_a_refused_exchange_is_an_oauth_error_without_secrets(status, body, caplog):
    responses.post(TOKEN_URL, json=body, status=status)
    with caplog.at_level(logging.DEBUG), pytest.raises(OAuthError) as error:
        oauth.exchange_code(SHOP, "the-code")
    assert error.value.reason == "exchange_failed"
    assert "client-secret-value" not in str(error.value) + caplog.text and "the-code" not in caplog.text


@responses.activate
def test_a_5xx_exchange_is_transient():
    responses.post(TOKEN_URL, status=503)
    with pytest.raises(TransientError):
        oauth.exchange_code(SHOP, "the-code")


@responses.activate
def test_refresh_uses_the_refresh_token_grant():
    responses.post(TOKEN_URL, json={"access_token": "shpat_new", "scope": "s", "expires_in": 3600,
                                    "refresh_token": "shprt_new", "refresh_token_expires_in": 7776000})
    old = OfflineToken("shpat_old", "s", datetime(2026, 12, 1, tzinfo=UTC), "shprt_old")
    new = oauth.refresh_token(SHOP, old)
    assert json.loads(responses.calls[0].request.body) == {
        "client_id": "client-id", "client_secret": "client-secret-value", "grant_type": "refresh_token",
        "refresh_token": "shprt_old"}
    assert (new.access_token, new.refresh_token) == ("shpat_new", "shprt_new")


@responses.activate
def test_fresh_token_refreshes_only_within_the_margin():
    responses.post(TOKEN_URL, json={"access_token": "shpat_new", "scope": "s", "expires_in": 3600})
    now = datetime(2026, 12, 1, tzinfo=UTC)
    far = OfflineToken("shpat_far", "s", now + timedelta(hours=1), "shprt")
    near = OfflineToken("shpat_near", "s", now + timedelta(minutes=4), "shprt")
    assert oauth.fresh_token(SHOP, far, now=now) is far
    assert oauth.fresh_token(SHOP, near, now=now).access_token == "shpat_new"
    assert len(responses.calls) == 1


def test_refresh_without_a_refresh_token_is_refused():
    with pytest.raises(OAuthError):
        oauth.refresh_token(SHOP, OfflineToken("shpat", "s"))
