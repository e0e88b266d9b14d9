"""`GET|HEAD /l/{code}`: 302 to the campaign's URL (UTM added), the click handed to the click buffer; a code that is
not ours is a plain 404 page. Thin: reads the code, calls links.redirect and links.clicks."""

from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe

from campaigns.services.links.clicks import click_record, is_bot_request
from campaigns.services.links.redirect import link_target
from config.observability.metrics import timed_view

NOT_FOUND_PAGE = (
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Link not found</title></head>"
    "<body><h1>Link not found</h1><p>This link is not valid. Please check the message it came in.</p></body></html>"
)


@timed_view("redirect")
@require_safe
def short_link(request, code: str):
    target = link_target(code)
    if target is None:
        return HttpResponse(NOT_FOUND_PAGE, status=404, content_type="text/html; charset=utf-8")
    if target.recipient_id is not None:
        flagged = is_bot_request(user_agent=request.META.get("HTTP_USER_AGENT", ""), method=request.method)
        click_record(recipient_id=target.recipient_id, position=target.position, flagged=flagged)
    response = HttpResponseRedirect(target.url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
