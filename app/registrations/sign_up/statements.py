"""The sign-up's SQL: each statement built once (`functools.cache`), its values bound.

The sign-up reads the event, its counters, whether the address is registered and
how much mail it had lately in one statement, and writes the registration, its
manage token and its e-mail in one more (see `app.registrations.service.register`).
"""

import functools
import uuid
from typing import Any, cast

from sqlalchemy import (
    CTE,
    BindParameter,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.abuse.recipient_cap import recent_public_mail
from app.events.seating import COUNTED, seat_left_sql
from app.models import (
    UNIQUE_ACTIVE_SQL,
    WAITLIST_ORDER,
    Event,
    EventCounters,
    ManageToken,
    OutboxMessage,
    Registration,
)


def _active_id_by_email() -> ScalarSelect[uuid.UUID]:
    """The id of the event's active registration under the bound `email` (by the
    unique index, `UNIQUE_ACTIVE_SQL`): a scalar subquery of the locking statement."""
    return (
        select(Registration.id)
        .where(
            Registration.event_id == Event.id,
            func.lower(Registration.email) == func.lower(bindparam("email")),
            # Literal SQL, as the index has it: no list of statuses bound per request.
            text(UNIQUE_ACTIVE_SQL),
        )
        # No LIMIT: the unique index allows one row at most, and with a LIMIT the
        # planner may prefer scanning the event's rows in another index of it,
        # hoping to meet the address early (it did, on a nearly empty table, for
        # the plan it then kept): a scan that grows with the event.
        .scalar_subquery()
    )


def _recent_mail(*, capped: bool) -> list[Any]:
    """When the cause is the public, how much mail the address had lately
    (`recent_public_mail`, its parameters bound as `cap_key`, `cap`, `cap_since`)."""
    if not capped:
        return []
    recent = recent_public_mail(
        bindparam("cap_key"), cap=bindparam("cap"), since=bindparam("cap_since")
    )
    return [recent.label("recent_mail")]


@functools.cache
def event_with_counters(*, capped: bool, lock: bool) -> Select[Any]:
    """The event and its counters as ORM objects (their row locked if `lock`), the id
    of the address's active registration for the event if it has one, and
    `_recent_mail`: one statement, built once; the slug and the address (and the
    cap's parameters) are bound."""
    address = _active_id_by_email().label("existing_id")
    statement = (
        select(Event, EventCounters, address, *_recent_mail(capped=capped))
        .join(EventCounters, EventCounters.event_id == Event.id)
        .where(Event.slug == bindparam("slug"))
        .execution_options(populate_existing=True)
    )
    return statement.with_for_update(of=EventCounters) if lock else statement


EVENT_FIELDS = tuple(attribute.key for attribute in Event.__mapper__.column_attrs)


@functools.cache
def event_row_with_counters(*, capped: bool) -> Select[Any]:
    """`event_with_counters` (unlocked) as plain columns, for the driver's own
    connection (`app.kit.db.driver`): the event's fields under their attribute
    names (`EVENT_FIELDS`), then `COUNTED` and `_recent_mail`.

    It does not look the address up: a registration already active under it is
    found by the INSERT itself (`ON CONFLICT` on the unique index, which needs no
    plan). A look-up by a prepared statement would run the plan PostgreSQL made
    when it was prepared, and on a table with no statistics yet (a new
    database, its first few hundred sign-ups) that plan may read the event's
    rows through another index of `event_id` or scan the table; kept as the
    table grew, it read every registration of the event on each sign-up."""
    fields = [getattr(Event, name).label(name) for name in EVENT_FIELDS]
    counted = [getattr(EventCounters, name).label(name) for name in COUNTED]
    return (
        select(*fields, *counted, *_recent_mail(capped=capped))
        .join(EventCounters, EventCounters.event_id == Event.id)
        .where(Event.slug == bindparam("slug"))
    )


def _bound(table: Table, prefix: str, names: tuple[str, ...]) -> dict[str, BindParameter[Any]]:
    """A bound parameter `prefix + name` of the column's type for each column named."""
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


def _registration_insert(
    registration_columns: tuple[str, ...], *, waitlisted: bool, seated_if: CTE | None
) -> CTE:
    """The registration's INSERT (skipping an address already active for the event:
    the partial unique index is the last word on duplicates), as a CTE returning
    its id, sign-up sequence and waitlist order. With `seated_if`, the row is
    inserted only if that CTE has a row."""
    registrations = cast(Table, Registration.__table__)
    bound: dict[str, Any] = _bound(registrations, "r_", registration_columns)
    inserting = pg_insert(registrations)
    if seated_if is None:
        bound["waitlist_order"] = WAITLIST_ORDER.next_value() if waitlisted else None
        inserting = inserting.values(bound)
    else:
        inserting = inserting.from_select(
            list(bound), select(*bound.values()).select_from(seated_if)
        )
    return (
        inserting.on_conflict_do_nothing(
            index_elements=[registrations.c.event_id, func.lower(registrations.c.email)],
            index_where=text(UNIQUE_ACTIVE_SQL),
        )
        .returning(registrations.c.id, registrations.c.signup_seq, registrations.c.waitlist_order)
        .cte("signed_up")
    )


def _seat_taken() -> CTE:
    """The event's counters row, locked, if the event is as the sign-up read it (its
    `updated_at` bound as `seen_updated_at`) and a seat is left: else no row, and
    no lock taken (a row that fails the condition is not locked)."""
    return (
        select(EventCounters.event_id)
        .join(Event, Event.id == EventCounters.event_id)
        .where(
            EventCounters.event_id == bindparam("r_event_id"),
            Event.updated_at == bindparam("seen_updated_at", type_=Event.updated_at.type),
            seat_left_sql(Event.capacity),
        )
        .with_for_update(of=EventCounters)
        .cte("seat_taken")
    )


@functools.cache
def sign_up_statement(
    registration_columns: tuple[str, ...],
    message_columns: tuple[str, ...],
    *,
    waitlisted: bool = False,
    at_once: bool = False,
) -> Select[Any]:
    """INSERT the registration, its manage token and its e-mail in ONE statement, so the
    event's lock is held for one round trip and the commit. Built once per set of
    columns; the values are bound (`r_` the registration's, `m_` the message's,
    `token_hash`). It returns the new row's `signup_seq` and `waitlist_order`, or
    no row when the address was registered meanwhile.

    `at_once`: the statement takes the event's lock itself, and inserts a confirmed
    registration only if a seat is left and the event is as it was read
    (`_seat_taken`); run committing alone (`app.kit.db.driver`), it holds the
    lock only while PostgreSQL runs it and flushes the commit. It returns one
    row: `seated` (0: nothing inserted, no lock taken) and the `signup_seq`
    (None if the address was registered meanwhile).
    """
    seat_taken = _seat_taken() if at_once else None
    signed_up = _registration_insert(
        registration_columns, waitlisted=waitlisted, seated_if=seat_taken
    )
    tokens = cast(Table, ManageToken.__table__)
    token = insert(tokens).from_select(
        ["registration_id", "token_hash", "created_at"],
        select(
            signed_up.c.id,
            bindparam("token_hash", type_=tokens.c.token_hash.type),
            bindparam("r_created_at", type_=tokens.c.created_at.type),
        ),
    )
    messages = cast(Table, OutboxMessage.__table__)
    message_params = _bound(messages, "m_", message_columns)
    message = insert(messages).from_select(
        list(message_columns),
        select(*message_params.values()).select_from(signed_up),
    )
    if seat_taken is None:
        answer = select(signed_up.c.signup_seq, signed_up.c.waitlist_order)
    else:
        answer = select(
            select(func.count()).select_from(seat_taken).scalar_subquery().label("seated"),
            select(signed_up.c.signup_seq).scalar_subquery().label("signup_seq"),
        )
    return answer.add_cte(token.cte("token"), message.cte("message"))
