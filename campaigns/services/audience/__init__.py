"""Who a campaign reaches: its audience definition (`definition`), the set-based SQL selecting the audience
and inserting it as recipients (`members`), the pre-flight (`preflight`) and its quiet-hours count
(`quiet_count`). Reads only, except `members.recipients_materialise`, which enqueue runs.

May call: compliance/, billing/ (pricing: what each message costs), `errors`.
"""
