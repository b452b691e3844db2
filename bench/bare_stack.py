"""The bare stack: what one sign-up costs with nothing but FastAPI, Pydantic and async
SQLAlchemy, as the sign-up benchmark's baseline.

The same request body and path as the service, validated by a Pydantic model with
the same field types; one INSERT of a row like a registration in a session that
the request owns, committed; 201 with the new id. No rules, no lock, no e-mail.
Served by uvicorn exactly as `rsvp serve` serves the app (`uvicorn
bench.bare_stack:create_app --factory --workers N`), on BARE_DATABASE_URL.
"""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

# Created by the benchmark before the server starts; the columns of a registration.
TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bare_registrations (
    id uuid PRIMARY KEY,
    signup_seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_slug varchar(80) NOT NULL,
    email varchar(254) NOT NULL,
    given_name varchar(100) NOT NULL,
    family_name varchar(100) NOT NULL,
    organisation varchar(200) NOT NULL,
    job_title varchar(200),
    affiliation_type varchar(32) NOT NULL,
    country varchar(2),
    language varchar(32) NOT NULL,
    has_un_grounds_pass boolean NOT NULL,
    accessibility_needs text,
    status varchar(32) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS uq_bare_registrations_email
    ON bare_registrations (event_slug, lower(email));
"""

INSERT = text(
    """
    INSERT INTO bare_registrations (
        id, event_slug, email, given_name, family_name, organisation, job_title,
        affiliation_type, country, language, has_un_grounds_pass, accessibility_needs,
        status)
    VALUES (
        :id, :event_slug, :email, :given_name, :family_name, :organisation, :job_title,
        :affiliation_type, :country, :language, :has_un_grounds_pass, :accessibility_needs,
        'confirmed')
    """
)


class SignUp(BaseModel):
    email: EmailStr
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    organisation: str = Field(min_length=1, max_length=200)
    job_title: str | None = Field(default=None, max_length=200)
    affiliation_type: str = Field(max_length=32)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    language: str = "en"
    has_un_grounds_pass: bool
    accessibility_needs: str | None = Field(default=None, max_length=2000)
    consent: bool


class Created(BaseModel):
    id: uuid.UUID
    status: str


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as db, db.begin():
        yield db


def create_app() -> FastAPI:
    engine = create_async_engine(os.environ["BARE_DATABASE_URL"], pool_size=10, max_overflow=10)
    app = FastAPI()
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/events/{slug}/registrations", status_code=201)
    async def sign_up(
        slug: str, body: SignUp, db: Annotated[AsyncSession, Depends(session)]
    ) -> Created:
        new_id = uuid.uuid4()
        values = body.model_dump(exclude={"consent"})
        await db.execute(INSERT, {"id": new_id, "event_slug": slug, **values})
        return Created(id=new_id, status="confirmed")

    return app
