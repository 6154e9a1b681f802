"""Text search inside names and email addresses: one normalised form, stored when a row is written.

`normalise()` lower-cases (case-folds) and strips accents (Unicode NFKD, combining marks dropped), so
"Zoë Ängström <ZOE@Example.com>" is stored as "zoe angstrom zoe@example.com" and found by "angstrom",
"example.com" or "ZOË". Rows keep it in a `search_text` column, filled on insert and update
(`keep_search_text`); a search is then `search_text LIKE '%term%'` on the normalised term (escaped with
`dashboard.core.params.like_literal`): a trigram (pg_trgm) index answers it on PostgreSQL, a plain scan
of the one column on SQLite.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import event


def normalise(*parts: str | None) -> str:
    """The searchable form of `parts`: case-folded, accents stripped, whitespace collapsed."""
    text = " ".join(p for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def keep_search_text(model, *fields: str, column: str = "search_text") -> None:
    """Fill `model.<column>` from `fields` whenever a row is inserted or updated through the ORM."""

    def _fill(_mapper, _connection, target) -> None:
        setattr(target, column, normalise(*(getattr(target, f) for f in fields)))

    event.listen(model, "before_insert", _fill)
    event.listen(model, "before_update", _fill)
