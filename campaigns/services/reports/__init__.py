"""What comes back from Mitto: delivery reports (`delivery`, with their set-based SQL in `delivery_rows`) and
inbound replies (`inbound`: STOP/START through contacts/, HELP answered by `help_reply`).

May call: contacts/, billing/, sending/'s gateway, metrics, messaging.
"""
