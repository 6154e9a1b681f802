"""Whether the email address Lever holds for a candidate can receive an invitation.

Lever keeps whatever was typed into an application: markup, spaces, no domain, several `@`, or
nothing. Such an applicant is not invited ("Not invited (email unusable)", reason code
`email_unusable`) rather than tagged Invited while the email fails. The check is syntax only
(`email-validator`, no DNS): the mail server has the last word.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

EMAIL_UNUSABLE = "email_unusable"
SHOWN_CHARS = 120  # how much of an unusable address the history quotes


@dataclass(frozen=True)
class EmailCheck:
    """The first usable address of an opportunity (None if none), else the first one held and why it
    cannot be used."""

    address: str | None
    raw: str | None = None
    problem: str | None = None

    @property
    def usable(self) -> bool:
        return self.address is not None


def usable_address(raw: str) -> tuple[str | None, str | None]:
    """(normalised lower-case address, None), or (None, why it cannot receive email)."""
    if not raw.strip():
        return None, "it is empty"
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return None, str(exc).rstrip(".")
    normalised = checked.normalized.lower()
    if len(normalised) > 254:
        return None, "it is longer than 254 characters"
    return normalised, None


def check(data: dict) -> EmailCheck:
    """The email check of an opportunity as Lever shows it (`emails`, a list of strings)."""
    held = [e for e in (data.get("emails") or []) if isinstance(e, str)]
    first_problem: tuple[str, str] | None = None
    for raw in held:
        address, problem = usable_address(raw)
        if address is not None:
            return EmailCheck(address)
        first_problem = first_problem or (raw, problem)
    if first_problem is None:
        return EmailCheck(None, None, "Lever holds no email address for this candidate")
    raw, problem = first_problem
    shown = raw if len(raw) <= SHOWN_CHARS else raw[:SHOWN_CHARS] + "…"
    return EmailCheck(None, raw, f"Lever holds “{shown}”, which cannot receive email: {problem}")
