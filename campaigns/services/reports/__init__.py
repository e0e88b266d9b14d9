"""What comes back from Mitto: delivery reports (`delivery`, with their set-based SQL in `delivery_rows`) and
inbound replies (`inbound`: routed by the sender registry in `reply_routing`, STOP/START through contacts/, the
HELP answer and the STOP confirmation queued by `auto_reply` and sent by its task after commit).

May call: contacts/, billing/, sending/'s gateway, metrics, messaging.
"""
