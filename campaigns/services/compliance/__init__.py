"""Pure message rules: the opt-out language and a campaign's quoted size (`message`), the frequency cap's
cut-off, quiet hours (`quiet_hours`) and the legal windows (`quiet_laws`). Functions decide; they write
nothing: whoever acts on a decision (sending/, audience/) does the writing.

May call: `campaigns.sms`, `errors`, read models' attributes; no writer of any model, no other capability.
"""
