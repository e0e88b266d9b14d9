"""Short links, clicks and order attribution (to come): per-recipient signed codes derived at send time
(nothing written per message), the redirect's buffered click recording, orders credited to the campaign
message they follow.

May call: compliance/ (message size), reports/ (what was delivered). sending/ may call its pure code rendering.
"""
