"""HTTP hardening: security headers, proxy awareness, rate limits on guessable lookups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import re
import time
from functools import lru_cache

from flask import Flask, abort, current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from survey.i18n import _

#: No inline or third-party scripts anywhere; charts are inline SVG, which carries its own
#: <style> element, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_COUNT"):
        # Behind N reverse proxies: trust their X-Forwarded-* headers, and no others.
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    if str(app.config.get("BASE_URL", "")).startswith("https://"):
        app.config.setdefault("PREFERRED_URL_SCHEME", "https")
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.extensions[_LIMITER] = _rate_limiter(app)
    _redact_development_server_log()
    app.before_request(refuse_nul_bytes)
    app.after_request(security_headers)


def refuse_nul_bytes():
    """No honest form sends NUL; PostgreSQL cannot even store it. Refuse it before any query."""
    values = [*request.args.values(), *request.form.values(), *(request.view_args or {}).values()]
    if any("\x00" in value for value in values if isinstance(value, str)):
        abort(400, description=_("The request contains a NUL character, which is never valid input."))


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


#: Survey links carry the respondent's only credential in their path: ``/s/<token>/...``.
SURVEY_TOKEN = re.compile(r"(/s/)[^/?#\s\"]+")


def redact_tokens(text: str) -> str:
    """``text`` with the token of every survey link in it replaced by ``[token]`` (for logs)."""
    return SURVEY_TOKEN.sub(r"\1[token]", text) if "/s/" in text else text


class RedactTokens(logging.Filter):
    """Cuts survey tokens out of log records before any handler writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/s/" in message:
            record.msg, record.args = redact_tokens(message), ()
        return True


def _redact_development_server_log() -> None:
    """The development server (``mindgap serve --dev``, ``flask run``) logs every request line to
    the ``werkzeug`` logger; gunicorn's access log is redacted by :mod:`survey.serving`."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(one, RedactTokens) for one in logger.filters):
        logger.addFilter(RedactTokens())


def link_form_token(link_token: str) -> str:
    """The anti-forgery value that the survey forms of one invitation link carry.

    An HMAC of the link's token under the secret key, so only a page this app served for
    that link has it. It stands in for Flask-WTF's session-bound token on survey pages: the
    link itself is the respondent's credential, so a value bound to it protects the same way,
    and respondents need no cookie at all.
    """
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, b"mindgap-survey-form\x00" + link_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def valid_link_form_token(link_token: str, sent: str) -> bool:
    return hmac.compare_digest(link_form_token(link_token), sent)


# --- guessing invitation links

_LOOKUP_SCOPE = "invitation-lookup"
_LIMITER = "mindgap.rate_limiter"


def _rate_limiter(app: Flask) -> FixedWindowRateLimiter | None:
    """Counters in ``RATELIMIT_STORAGE_URI``: ``memory://`` for one process, Redis for several.

    Only checked where a limit applies, so requests that no limit concerns never touch the
    storage. ``RATELIMIT_ENABLED = False`` turns the limits off.
    """
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    return FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))


def rate_limiter() -> FixedWindowRateLimiter | None:
    """The app's rate limiter on the shared counter storage; ``None`` when limits are off."""
    return current_app.extensions[_LIMITER]


@lru_cache(maxsize=8)
def _parsed_limit(text: str) -> RateLimitItem:
    return parse(text)


def _lookup_limit() -> tuple[RateLimitItem, tuple[str, ...]]:
    # Behind a proxy, remote_addr is the client's address once PROXY_COUNT is set (ProxyFix).
    address = request.remote_addr or "unknown"
    key = (current_app.config.get("RATELIMIT_KEY_PREFIX") or "", _LOOKUP_SCOPE, address)
    return _parsed_limit(current_app.config["INVITE_LOOKUP_LIMIT"]), key


def count_unknown_link() -> None:
    """Count a lookup of a survey link that does not exist; 429 (with Retry-After) beyond the limit.

    Called only once a lookup has found nothing, so the limit is on guesses alone: a valid
    link always opens, also from an address over the limit, and one device guessing behind a
    company's NAT locks none of its colleagues out. (A link carries 256 random bits, so no
    rate of guessing finds one; the limit slows scanners down and tells them to stop.)
    Counters live in the rate-limit storage (Redis when several app instances run): one
    storage write per unknown link, none for a known one, no response headers. When the
    storage cannot be reached, the limit is not applied (and the error logged) rather than
    turning anyone away.
    """
    limiter = current_app.extensions[_LIMITER]
    if limiter is None:
        return
    item, key = _lookup_limit()
    try:
        if limiter.hit(item, *key):
            return
        reset, _remaining = limiter.get_window_stats(item, *key)
    except Exception:  # noqa: BLE001 - any storage failure: fail open, say so in the log
        current_app.logger.warning("Rate-limit storage unreachable; unknown survey links are not limited",
                                   exc_info=True)  # fmt: skip
        return
    raise TooManyRequests(
        _(
            "Too many unknown survey links were tried from your address. Check that the link is complete "
            "as your invitation gives it, or wait a minute and try again."
        ),
        retry_after=max(1, math.ceil(reset - time.time())),
    )
