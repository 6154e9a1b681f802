"""The Outbox: the organisation's emails, as stored or sent, for staff to read."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from dashboard.core.auth import get_scoped_or_404, role_required
from dashboard.core.params import page_arg
from dashboard.extensions import db
from dashboard.mail.models import CATEGORIES, MailMessage

bp = Blueprint("mail", __name__, url_prefix="/outbox")

PER_PAGE = 25
_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape plain text and turn its http(s) URLs into links that open in a new tab."""
    out, last = [], 0
    for match in _URL.finditer(text or ""):
        url = match.group(0).rstrip(".,;:)")
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>').format(url))
        last = match.start() + len(url)
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


def visible_categories(user) -> tuple[str, ...]:
    """What each role may see in the Outbox: recruiters the candidate emails they can act on (resend),
    owners and admins also that account emails went out (never their content)."""
    return CATEGORIES if user.has_role("admin") else ("candidate",)


@bp.route("")
@role_required("recruiter")
def outbox():
    """The organisation's emails this role may see, newest first, paginated."""
    query = (
        select(MailMessage)
        .where(MailMessage.organisation_id == current_user.organisation_id,
               MailMessage.category.in_(visible_categories(current_user)))
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
    )
    page = db.paginate(query, page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render_template("mail/outbox.html", page=page)


@bp.route("/<int:message_id>")
@role_required("recruiter")
def message(message_id: int):
    """One email: the text body with clickable links, and the HTML in a sandboxed frame (account
    emails: only that they were sent)."""
    msg = get_scoped_or_404(MailMessage, message_id, current_user.organisation_id)
    if msg.category not in visible_categories(current_user):
        abort(404)
    if msg.is_account_mail:
        return render_template("mail/message.html", msg=msg, text_html=None, srcdoc=None)
    # Links inside the frame open in a new tab; the sandbox allows no scripts, forms or same-origin.
    srcdoc = '<base target="_blank">' + (msg.html_body or "")
    return render_template("mail/message.html", msg=msg, text_html=linkify(msg.text_body), srcdoc=srcdoc)
