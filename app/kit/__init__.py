"""Plumbing shared by every domain: the database, errors, the clock, text, pagination, secrets."""
