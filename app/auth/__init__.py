"""Organiser sign-in: passwords, bearer tokens, login throttling, roles."""
