"""Short links, clicks and order attribution (API.md "Links, clicks and orders", DESIGN.md "Links and attribution").

- `codes`: the code of (recipient id, link position), a fixed 12 characters, keyed; nothing written per message.
- `store`: a campaign's URLs, one CampaignLink row per position (enqueue, test sends).
- `redirect`: what `/l/{code}` answers (the URL with UTM added by `utm`), for any campaign status; `targets`: the
  per-process cache that answers a recipient's code without a query once its campaign is known.
- `clicks`: clicks handed by the redirect to the process's `outbox`, appended to a Redis stream in batches and
  written set-based by beat (bot clicks apart).
- `attribution`: Shopify orders credited once to the last clicked, else delivered, campaign message to their phones.
- `report`: the funnel and revenue of a campaign, from counters.

The text side (where a body's links are, their fixed length) lives in `campaigns/sms.py`, so every measure of a
body (compliance's quoted size, pre-flight, enqueue's hold) counts links as sent. May call: compliance/, billing/,
contacts/, audience/, `locks`. sending/ calls `codes` (rendering) and `store` (enqueue); shopify_sync/ calls
`attribution`.
"""
