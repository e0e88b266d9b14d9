"""The short link's answer: which URL a code redirects to, with our UTM parameters added (API.md "Links")."""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db import connection

from campaigns.models import CampaignLink, CampaignRecipient
from campaigns.services.links.codes import RECIPIENT, LinkRef, code_read

UTM_SOURCE, UTM_MEDIUM = "shopsms", "sms"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a valid code leads: `url` (UTM added) of `campaign_id`; `recipient_id` None for a test send."""

    url: str
    campaign_id: int
    recipient_id: int | None
    position: int


def _ascii_host(netloc: str) -> str:
    """An internationalised host name in its IDNA (punycode) form, so the Location header is ASCII."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":") if not hostport.startswith("[") else (hostport, "", "")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return netloc
    return f"{userinfo}{at}{host}{colon}{port}"


def utm_added(url: str, *, campaign_id: int) -> str:
    """`url` with utm_source=shopsms, utm_medium=sms and utm_campaign=<campaign id> added to its query, each only
    where the URL has no value of its own for it; the rest of the query and the fragment kept as written."""
    try:
        parts = urlsplit(url)
        present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
        netloc = _ascii_host(parts.netloc)
    except ValueError:
        return url
    wanted = {"utm_source": UTM_SOURCE, "utm_medium": UTM_MEDIUM, "utm_campaign": str(campaign_id)}
    added = urlencode([(key, value) for key, value in wanted.items() if key not in present])
    query = "&".join(part for part in (parts.query, added) if part)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _recipient_link(ref: LinkRef) -> tuple[int, str] | None:
    sql = (
        f"SELECT r.campaign_id, l.url FROM {CampaignRecipient._meta.db_table} r"
        f" JOIN {CampaignLink._meta.db_table} l ON l.campaign_id = r.campaign_id AND l.position = %s"
        " WHERE r.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ref.position, ref.ident])
        return cursor.fetchone()


def link_target(code: str) -> Target | None:
    """The target of `code`, or None when the code is not ours (forged, altered) or names no stored link. One
    indexed query; works for campaigns of any status, finished long ago included."""
    ref = code_read(code)
    if ref is None:
        return None
    if ref.kind == RECIPIENT:
        row = _recipient_link(ref)
        if row is None:
            return None
        campaign_id, url = row
        recipient_id = ref.ident
    else:
        url = CampaignLink.objects.filter(campaign_id=ref.ident, position=ref.position).values_list("url", flat=True)
        url = url.first()
        if url is None:
            return None
        campaign_id, recipient_id = ref.ident, None
    return Target(utm_added(url, campaign_id=campaign_id), campaign_id, recipient_id, ref.position)
