"""Business operations: small documented functions that views and CLI commands call.

Services take the acting user as an argument when it matters, never read ``request`` or
``session``, and never commit: the caller (a view or a CLI command) owns the transaction.
"""


class ServiceError(ValueError):
    """A request that cannot be carried out, with a message fit to show to the user."""
