"""The logging of `rsvp serve`: one dictConfig that uvicorn applies in each worker process.

With `--workers N`, uvicorn starts fresh processes, which set up logging from the
`log_config` they are given and from nothing else: the `rsvp` command's own set-up
stays in the parent, and the app's INFO lines would be lost. So the app's format
(time, level, logger) and levels are in that dict too, for one process or several.
"""

from typing import Any

from app.access_log import log_config

APP_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# pgserver narrates every start-up step at INFO, Alembic every migration step
# ("Context impl", "Will assume transactional DDL"); their warnings are what matter.
CHATTY_LIBRARIES = ("pgserver", "alembic")


def app_level(*, verbose: bool) -> str:
    return "DEBUG" if verbose else "INFO"


def library_level(*, verbose: bool) -> str:
    return "DEBUG" if verbose else "WARNING"


def serve_log_config(*, verbose: bool) -> dict[str, Any]:
    """Uvicorn's logging (access log redacted), plus every other logger's lines on
    standard error in APP_FORMAT."""
    config = log_config()
    config["formatters"]["app"] = {"format": APP_FORMAT}
    config["handlers"]["app"] = {
        "class": "logging.StreamHandler",
        "formatter": "app",
        "stream": "ext://sys.stderr",
    }
    config["root"] = {"handlers": ["app"], "level": app_level(verbose=verbose)}
    for name in CHATTY_LIBRARIES:
        config["loggers"][name] = {"level": library_level(verbose=verbose)}
    return config
