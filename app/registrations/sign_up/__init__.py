"""Signing up: the statements of the hot path (`statements`); the rules are in
`app.registrations.service`."""
