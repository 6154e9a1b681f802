"""Organisation settings: explicit arguments, flush but never commit."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dashboard.accounts.models import Organisation, User
from dashboard.core.boundary import DomainError
from dashboard.extensions import db


class OrgError(DomainError):
    """A user-facing reason an organisation change was refused."""


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA timezone name this system knows, sorted."""
    return tuple(sorted(available_timezones() | {"UTC"}))


def valid_timezone(name: str) -> bool:
    """True when `name` is a known IANA timezone."""
    if not name or name not in timezone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def update_organisation(organisation_id: int, acting_user_id: int, name: str, timezone: str) -> Organisation:
    """Rename the organisation and set its timezone (owners and admins only)."""
    org = db.session.get(Organisation, organisation_id)
    acting = db.session.get(User, acting_user_id)
    if org is None or acting is None or acting.organisation_id != organisation_id or not acting.active:
        raise OrgError("You are not a member of this organisation.")
    if not acting.has_role("admin"):
        raise OrgError("Only owners and admins can change the organisation's settings.")
    name = " ".join((name or "").split())
    timezone = (timezone or "").strip()
    if not name:
        raise OrgError("The organisation needs a name.")
    if len(name) > 200:
        raise OrgError("The name can be at most 200 characters long.")
    if not valid_timezone(timezone):
        raise OrgError(f"{timezone!r} is not a known timezone; pick one from the list (e.g. Europe/London).")
    org.name, org.timezone = name, timezone
    db.session.flush()
    return org
