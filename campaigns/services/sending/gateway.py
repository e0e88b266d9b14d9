"""The outbound gateway: every request to Mitto goes through here (a campaign batch, a test send, a HELP
answer, a STOP confirmation), and so does the rate-limit token each request takes first.

A request names the campaign's (else the shop's, else the deployment's) sender and the shop's (else the
deployment's) traffic account.
"""

import logging
from collections.abc import Sequence

import redis
from django.conf import settings

from campaigns.models import Campaign
from messaging import ratelimit
from messaging.client import BulkResult, MessageOutcome, OutboundMessage, get_client

logger = logging.getLogger(__name__)

LIMITER_ERROR_WAIT_S = 5.0
PLATFORM_TENANT = "platform"


def sender_of(campaign: Campaign) -> str:
    """The sender the campaign's messages go out from: the one fixed at enqueue, else (a draft's test send)
    the campaign's own, the shop's default, the deployment's fallback."""
    return campaign.sent_from or campaign.sender or campaign.shop.sender or settings.MITTO_SENDER


def traffic_account_of(shop) -> str:
    """The shop's traffic account, else the deployment's (also for a platform message: `shop` None)."""
    return (shop and shop.traffic_account_id) or settings.MITTO_TRAFFIC_ACCOUNT_ID


def provider_request_take(*, shop) -> ratelimit.Decision:
    """Take one provider request from both of the shop's rate limits (its own, `shop:<id>`, and its traffic
    account's) in one atomic step, or from neither: every request to Mitto — a campaign batch, a test
    send, a HELP answer, a STOP confirmation — goes through here. `shop` None: a platform message (an answer on
    the shared fallback sender), limited as the tenant `platform` on the deployment's traffic account. An
    unreachable limiter is a refusal with a short wait."""
    tenant = f"shop:{shop.id}" if shop else PLATFORM_TENANT
    try:
        return ratelimit.acquire(tenant=tenant, traffic_account=traffic_account_of(shop))
    except redis.RedisError as exc:
        logger.warning("rate limiter unavailable (%s); %s waits", exc, tenant)
        return ratelimit.Decision(allowed=False, retry_after_s=LIMITER_ERROR_WAIT_S, at_us=0)


def provider_send_bulk(messages: Sequence[OutboundMessage]) -> BulkResult:
    """One bulk request (a campaign batch); raises messaging.errors' RateLimited, TransientError,
    PermanentError or OutcomeUnknown."""
    return get_client().send_bulk(messages)


def provider_send_one(message: OutboundMessage) -> MessageOutcome:
    """One single-message request (a test send, a HELP answer); raises messaging.errors.MittoError."""
    return get_client().send_one(message)
