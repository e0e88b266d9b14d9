"""Tags typed as words separated by commas ("vip, newsletter"), not JSON: for a contact's tags and for a
campaign's audience (contacts with any of the tags; none: every consenting contact)."""

from django import forms


def _split(text: str) -> list[str]:
    return list(dict.fromkeys(tag.strip() for tag in (text or "").split(",") if tag.strip()))


class TagsField(forms.CharField):
    """A list of tags shown and typed comma-separated; the contact services check each tag."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return value if isinstance(value, list) else _split(super().to_python(value))


class AudienceField(TagsField):
    """A campaign's audience as its tags: `{"tags": [...]}`, or `{}` (every consenting contact) when empty."""

    def prepare_value(self, value):
        if isinstance(value, dict):
            value = value.get("tags") or []
        return super().prepare_value(value)

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        tags = super().to_python(value)
        return {"tags": tags} if tags else {}
