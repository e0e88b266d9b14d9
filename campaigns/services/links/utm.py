"""Our UTM parameters added to a campaign's URL (API.md "Links"): what the redirect's Location carries."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

UTM_SOURCE, UTM_MEDIUM = "shopsms", "sms"


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
