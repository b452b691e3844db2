"""The organisers' filters, applied by the service that the list and the export share."""

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.events.service import get_event
from app.registrations.filters import RegistrationFilters, filtered_registrations, trigrams
from tests.fixtures.app import Signup
from tests.fixtures.clock import FakeClock
from tests.fixtures.factories import MakeEvent


@pytest.fixture
async def people(make_event: MakeEvent, signup: Signup, clock: FakeClock) -> None:
    await make_event(capacity=2)
    await signup(
        given_name="José",
        family_name="Álvarez",
        organisation="Ayuntamiento de Barcelona",
        affiliation_type="local_government",
        country="ES",
        has_un_grounds_pass=True,
    )
    clock.advance(seconds=1)  # distinct sign-up times, so "oldest first" has one answer
    await signup(
        given_name="Eleni",
        family_name="Papadopoulou",
        organisation="City of Athens",
        affiliation_type="local_government",
        country="GR",
    )
    clock.advance(seconds=1)
    await signup(given_name="Amina", family_name="Diallo", organisation="IOM",
                 affiliation_type="un_system", country="SN", email="amina@iom.example")  # fmt: skip


async def names(session: AsyncSession, **filters: Any) -> list[str]:
    event = await get_event(session, "side-event")
    query = filtered_registrations(event, RegistrationFilters.model_validate(filters))
    return [r.given_name for r in await session.scalars(query)]


async def test_no_filter_lists_everyone_oldest_first(people: None, session: AsyncSession) -> None:
    assert await names(session) == ["José", "Eleni", "Amina"]


async def test_search_ignores_case_and_accents(people: None, session: AsyncSession) -> None:
    assert await names(session, q="JOSE alvarez") == ["José"]
    assert await names(session, q="barcelona") == ["José"]
    assert await names(session, q="iom.example") == ["Amina"]


async def test_search_treats_wildcards_literally(people: None, session: AsyncSession) -> None:
    assert await names(session, q="%") == []
    assert await names(session, q="_") == []


async def test_search_finds_words_inside_others_and_short_words(
    people: None, session: AsyncSession
) -> None:
    assert await names(session, q="arcel") == ["José"]  # inside a word, through the index
    assert await names(session, q="lvarez jos") == ["José"]
    assert await names(session, q="ap") == ["Eleni"]  # shorter than a trigram: LIKE alone
    assert await names(session, q="a%b") == []  # its trigrams hold the wildcard literally
    assert await names(session, q="barcelonas") == []


@pytest.mark.parametrize("value", ["", "ab", "abc", "aaaa", "josé álvarez", "李小龙 x@y.org"])
async def test_the_trigrams_are_cut_alike_in_python_and_in_sql(
    session: AsyncSession, value: str
) -> None:
    in_sql = await session.scalar(select(func.search_trigrams(value)))
    assert sorted(in_sql or []) == trigrams(value)


async def test_filters_combine(people: None, session: AsyncSession) -> None:
    assert await names(session, status=["waitlisted"]) == ["Amina"]
    assert await names(session, affiliation_type=["local_government"], country=["GR"]) == ["Eleni"]
    assert await names(session, has_un_grounds_pass=True) == ["José"]
    assert await names(session, checked_in=False) == ["José", "Eleni", "Amina"]
    assert await names(session, checked_in=True) == []
