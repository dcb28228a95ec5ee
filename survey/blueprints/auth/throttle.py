"""Wrong passwords counted per client address, and per account, in the rate-limit storage.

The database throttles sign-ins per address *typed* (:mod:`survey.services.accounts`);
these limits add the client's network address, so one machine cannot try many accounts,
and the account itself on the change-password form, where a stolen session could
otherwise guess the current password without end. The counters live in
``RATELIMIT_STORAGE_URI`` like every other limit, Redis when several app instances run, so
they hold across instances. Only failures count: people who type their password right are
never slowed down, however many share one address. When the storage cannot be reached the
limits are not applied (the database throttle still is) and the error is logged.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from flask import current_app, request
from limits import RateLimitItem, parse

from survey.security import rate_limiter

#: Configuration key of the limit of each scope.
LIMITS = {
    "signin": "SIGNIN_ADDRESS_LIMIT",
    "password": "PASSWORD_CHECK_LIMIT",
    "reset": "PASSWORD_RESET_LIMIT",
}


@lru_cache(maxsize=8)
def _limit(text: str) -> RateLimitItem:
    return parse(text)


def _keys(scope: str, user_id: int | None) -> list[tuple[str, ...]]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    # Behind a proxy, remote_addr is the client's address once PROXY_COUNT is set (ProxyFix).
    keys = [(prefix, scope, "address", request.remote_addr or "unknown")]
    if user_id is not None:
        keys.append((prefix, scope, "user", str(user_id)))
    return keys


def retry_after(scope: str, user_id: int | None = None) -> int:
    """Seconds until this client (and ``user_id``'s account) may try ``scope`` again; 0: now."""
    limiter = rate_limiter()
    if limiter is None:
        return 0
    item = _limit(current_app.config[LIMITS[scope]])
    try:
        for key in _keys(scope, user_id):
            if not limiter.test(item, *key):
                reset, _ = limiter.get_window_stats(item, *key)
                return max(1, math.ceil(reset - time.time()))
    except Exception:  # noqa: BLE001 - any storage failure: fail open, say so in the log
        current_app.logger.warning("Rate-limit storage unreachable; %s is not limited per address", scope,
                                   exc_info=True)  # fmt: skip
    return 0


def count_failure(scope: str, user_id: int | None = None) -> None:
    """Count a wrong password (``reset``: a request) of this client (and of ``user_id``'s account)."""
    limiter = rate_limiter()
    if limiter is None:
        return
    item = _limit(current_app.config[LIMITS[scope]])
    try:
        for key in _keys(scope, user_id):
            limiter.hit(item, *key)
    except Exception:  # noqa: BLE001 - see retry_after
        current_app.logger.warning("Rate-limit storage unreachable; a wrong password was not counted",
                                   exc_info=True)  # fmt: skip
