"""Template tags of the merchant's console."""

from django import template

from campaigns.admin.scoping import merchant_shop

register = template.Library()


@register.simple_tag(takes_context=True)
def signed_in_shop(context):
    """The signed-in merchant's shop (None for a superuser or outside a request)."""
    request = context.get("request")
    return merchant_shop(request) if request is not None and request.user.is_authenticated else None
