"""The credit ledger (`ledger`): every credit movement of a shop (top-up, hold, release, debit, refund), each a
conditional update of the shop row plus a ledger row, in the caller's transaction.

May call: models and `errors` only (no other capability).
"""
