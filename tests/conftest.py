"""Registers the fixtures of tests/fixtures/, one module per concern.

In the order they import each other, so pytest loads (and rewrites the asserts
of) each before another imports it.
"""

pytest_plugins = [
    "tests.fixtures.clock",
    "tests.fixtures.database",
    "tests.fixtures.factories",
    "tests.fixtures.app",
    "tests.fixtures.mail",
    "tests.fixtures.dashboard",
    "tests.fixtures.live_browser",
    "tests.fixtures.dashboard_site",
    "tests.fixtures.invitations",
]
