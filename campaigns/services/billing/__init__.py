"""The credit ledger (`ledger`): every credit movement of a shop (top-up, hold, release, debit, refund), each a
conditional update of the shop row plus a ledger row, in the caller's transaction. What a message costs
(`pricing`): the segments of its rendered text, in Python and as one SQL expression per recipient; recipient
rows written with the credits they carry (`moved`).

May call: models, `errors` and campaigns.sms only (no other capability).
"""
