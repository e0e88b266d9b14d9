"""The campaign form's live audience count: the tags being typed in "Send to" → how many contacts of the
merchant's shop the campaign would text now, as JSON for admin_audience.js. Only the merchant's own shop is
counted (a superuser's: the shop chosen in the form, else the opened campaign's); bad input is a 400 with a
reason, never a 500."""

from django.http import JsonResponse

from campaigns.admin.tag_fields import AudienceField
from campaigns.services.audience.tag_counts import audience_count

MAX_QUERY_LENGTH = 4000  # far above 50 tags of 50 characters with their commas


def _refused(reason: str, error: str) -> JsonResponse:
    return JsonResponse({"reason": reason, "error": error}, status=400)


def count_words(messaged: int, capped: int, tags: list[str]) -> str:
    who = f"with the tag{'s' if len(tags) != 1 else ''} {', '.join(tags)}" if tags else "who agreed to texts"
    words = f"{messaged} contact{'s' if messaged != 1 else ''} {who} would get it now."
    if capped:
        words += f" {capped} more left out: texted too recently (your frequency limit)."
    return words


def audience_count_view(request, shop):
    """GET ?tags=a,b → {"count", "frequency_cap", "tags", "words"}; `shop` is the scoped shop (unsaved when
    none is known yet: 400 `no_shop`)."""
    if shop.pk is None:
        return _refused("no_shop", "Choose the shop first.")
    text = request.GET.get("tags", "")
    if len(text) > MAX_QUERY_LENGTH:
        return _refused("invalid_tags", f"At most {MAX_QUERY_LENGTH} characters of tags.")
    tags = AudienceField().to_python(text).get("tags", [])
    try:
        counts = audience_count(shop=shop, tags=tags)
    except ValueError as exc:
        return _refused("invalid_tags", str(exc))
    return JsonResponse({"count": counts["messaged"], "frequency_cap": counts["frequency_cap"], "tags": tags,
                         "words": count_words(counts["messaged"], counts["frequency_cap"], tags)})
