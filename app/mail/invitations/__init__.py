"""E-mails about invitations (the invitation with its RSVP link, the answers' notices):
queued as outbox rows naming the invitation, rendered by the sender like the others."""
