"""Dependency aliases shared by the routers: the session, the clock, the settings, the key.

The signed-in organiser and their role are `app.organisers.dependencies`.
"""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.clock import Clock
from app.kit.db import get_session


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_signing_key(request: Request) -> str:
    key: str = request.app.state.signing_key
    return key


# scope="function": the transaction commits before the response leaves, so a 2xx
# always means the change is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# The key of the QR ticket codes (`app.kit.secrets`).
SigningKeyDep = Annotated[str, Depends(get_signing_key)]
