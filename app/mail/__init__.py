"""Registrant e-mail: what registrants are told and when, the outbox, message
building, the sender worker, and what messages carry (calendar files, manage links).

`notifications` decides the messages; each is queued (`outbox.enqueue`) in the
transaction of the change that causes it, and sent later by `worker.run_worker`,
in `rsvp serve` or alone as `rsvp worker`. Events and registrations both send
through `notifications`, so this package imports neither of them.
"""
