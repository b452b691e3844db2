"""Registrations: sign-up and self-service, organisers' actions and reads, retention."""
