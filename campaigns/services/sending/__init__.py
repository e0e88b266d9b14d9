"""The send path: enqueue (`enqueue`) → dispatch a bounded window of batches (`dispatch`) → the task sends one
batch (`batch_send`) → through the outbound gateway (`gateway`, every Mitto call and its rate-limit token) →
its answer applied (`apply`) → counters moved (metrics). Every Batch transition is written in `batch_states`;
the retry policy is `retry`. Around it: send-time exclusions (`exclusions`: opted out since enqueue, quiet
hours) and their release (`held_release`), unknown outcomes (`unknown`), beat's starts and recovery
(`scheduling`), completion, cancel, pause and resume (`lifecycle`), a shop's suspension and its lifting
(`suspension`, which a Shopify `app/uninstalled` handler calls too), test sends (`one_off`), the counters'
reconciliation against the rows (`reconcile`), and removing finished campaigns' rows after RETENTION_DAYS
(`retention`).

May call: compliance/, billing/, audience/, links/ (codes in each message, the URLs stored at enqueue), `locks`,
`publish`, `senders` (ownership checks), metrics, messaging.
"""
