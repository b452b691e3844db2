"""The organisers' dashboard in the browser: server-rendered pages under /admin.

The same accounts, roles and services as the organiser API, reached through a
session cookie instead of a bearer token; every form posts with a CSRF token.
"""
