"""The retry policy (sending/retry.py)."""

import pytest

from campaigns.services.sending import retry

pytestmark = pytest.mark.django_db


def test_retry_delays_grow_and_stay_below_the_cap(settings):
    settings.SEND_RETRY_BASE_DELAY_S, settings.SEND_RETRY_MAX_DELAY_S = 2, 300
    delays = [retry.retry_delay(attempts=n) for n in range(1, 12)]
    assert 1 <= delays[0] <= 2 and 4 <= delays[2] <= 8
    assert all(0 < delay <= 300 for delay in delays)
    assert settings.SEND_RETRY_MAX_DELAY_S * 4 <= settings.CELERY_VISIBILITY_TIMEOUT_S
