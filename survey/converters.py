"""URL converters that :func:`survey.create_app` installs for every route."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: The largest id a table holds (PostgreSQL's ``integer``, SQLite keeps the same range here).
#: A larger number in a URL names nothing, so it matches no route and answers 404.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded by :data:`MAX_ID`: ids and page numbers that can exist, no others.

    Without the bound, ``/waves/9999999999`` reaches the database, which refuses a number
    outside its integer range with an error (a 500) instead of finding nothing. Arguments are
    those of Werkzeug's ``int`` converter; a ``max`` given in a rule is capped at :data:`MAX_ID`.
    """

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        self.max = MAX_ID if self.max is None else min(self.max, MAX_ID)
