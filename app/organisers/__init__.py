"""Organisers: their accounts, sign-in (passwords, bearer tokens, login throttling) and roles."""
