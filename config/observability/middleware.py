"""The request id: taken from the caller's `X-Request-ID` (when it is a sane token) or made here, bound to
every log line of the request, and sent back in the response's `X-Request-ID`.

A campaign route (`campaigns/<pk>/…`) also binds the campaign id; the API's authentication binds the shop.
Everything bound is forgotten when the request ends, so nothing leaks into the next one on the thread.
"""

import re
import uuid

from config.observability import context

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_for(given: str | None) -> str:
    """The caller's id when it is 8–128 characters of letters, digits and `._:-`; otherwise a new one."""
    if given and _ACCEPTED.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_for(request.headers.get(HEADER))
        context.clear()
        context.bind(request_id=request.request_id)
        try:
            response = self.get_response(request)
        finally:
            context.clear()
        response[HEADER] = request.request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match and match.url_name and match.url_name.startswith("campaign-") and "pk" in view_kwargs:
            context.bind(campaign_id=view_kwargs["pk"])
        return None
