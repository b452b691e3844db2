"""Registrant e-mail: the outbox, message building and the sender worker.

Messages are queued (`outbox.enqueue`) in the transaction of the change that
causes them, and sent later by `worker.run_worker`, in `rsvp serve` or alone as
`rsvp worker`.
"""
