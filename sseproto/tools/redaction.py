"""What counts as a secret in a recorded exchange, and how it is scrubbed.

Redacted: the ``Authorization``, ``Proxy-Authorization``, ``api-key`` and
``x-api-key`` headers, cookies, request headers whose names contain ``key``,
``token``, ``secret``, ``password``, ``signature`` or ``auth`` (``X-Token``,
``X-Goog-Api-Key``), any header named by the caller (``--redact-header``),
URL user info, and query parameters whose names contain those words (or are
named by the caller: ``--redact-param``).

Every redacted value is also scrubbed wherever it appears again (the body,
the reason phrase, other headers): as is, URL-encoded, and in base64
(standard or URL-safe, padded or not, at each of the 3 alignments it can
have inside a longer base64 text).  A ``Basic`` credential's decoded
``user:password`` and each cookie's value count as values too.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import (
    parse_qsl,
    quote,
    quote_plus,
    unquote_plus,
    urlencode,
    urlsplit,
    urlunsplit,
)

__all__ = ["MIN_SECRET", "REDACTED", "Redactor", "encoded_forms", "scrub_chunks"]

REDACTED = "[REDACTED]"
#: Values shorter than this are not scrubbed from bodies: that would garble them.
MIN_SECRET = 4
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key",
                            "cookie", "set-cookie", "x-goog-api-key", "openai-organization"})
SECRET_WORDS = ("key", "token", "secret", "password", "signature", "auth", "credential")
#: Names matched whole, being too short to match inside others (Azure SAS's ``sig``).
SECRET_NAMES = frozenset({"sig", "pwd"})


@dataclass(frozen=True)
class Redactor:
    """The redaction rules, plus header and parameter names the caller adds."""

    headers: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()

    @classmethod
    def with_names(cls, headers: Iterable[str] = (), params: Iterable[str] = ()) -> Redactor:
        return cls(frozenset(h.lower() for h in headers), frozenset(p.lower() for p in params))

    def secret_header(self, name: str, *, request: bool) -> bool:
        """Response headers are matched by exact name only: ``x-ratelimit-remaining-tokens``
        says nothing secret."""
        name = name.lower()
        if name in SECRET_HEADERS or name in self.headers:
            return True
        return request and any(word in name for word in SECRET_WORDS)

    def secret_param(self, name: str) -> bool:
        name = name.lower()
        return (name in self.params or name in SECRET_NAMES
                or any(word in name for word in SECRET_WORDS))

    def redact_headers(self, headers: Mapping[str, str], *, request: bool) -> dict[str, str]:
        """Headers with secret values replaced by ``[REDACTED]`` (names lower-cased)."""
        return {name.lower(): REDACTED if self.secret_header(name, request=request) else value
                for name, value in headers.items()}

    def redact_url(self, url: str) -> str:
        """``url`` without user info and with secret query values replaced."""
        parts = urlsplit(url)
        query = parts.query
        if query:
            query = urlencode([(k, REDACTED if self.secret_param(k) else v)
                               for k, v in parse_qsl(query, keep_blank_values=True)],
                              safe="[]")
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    def values(self, url: str, headers: Mapping[str, str]) -> set[str]:
        """Every secret value in a request: to be scrubbed wherever it appears again."""
        found: set[str] = set()
        for name, value in headers.items():
            if self.secret_header(name, request=True):
                found |= _header_values(name.lower(), value)
        parts = urlsplit(url)
        if "@" in parts.netloc:
            userinfo = parts.netloc.rsplit("@", 1)[0]
            found |= {userinfo, userinfo.partition(":")[2]}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if self.secret_param(key):
                found.add(value)
        found |= {unquote_plus(value) for value in found}  # a cookie sent URL-encoded
        return {v for v in found if len(v) >= MIN_SECRET and v != REDACTED}


def _header_values(name: str, value: str) -> set[str]:
    """The value, the credential after its scheme, a Basic pair decoded, each cookie value."""
    found = {value.strip()}
    scheme, _, credential = value.strip().partition(" ")
    if credential:
        found.add(credential.strip())
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(credential.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            found |= {pair, pair.partition(":")[2]}
    if name in ("cookie", "set-cookie"):
        for item in value.split(";"):
            found.add(item.partition("=")[2].strip())
    return found


def encoded_forms(secret: str) -> set[bytes]:
    """``secret`` as is, URL-encoded, and in base64 (every alignment, both alphabets),
    and the URL-encoded forms of those."""
    raw = secret.encode()
    forms = {raw, quote(secret, safe="").encode(), quote_plus(secret).encode(),
             base64.b64encode(raw), base64.urlsafe_b64encode(raw)}
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + raw)
        # Keep only the characters made of the secret's bits alone.
        core = encoded[(shift * 8 + 5) // 6 : (shift + len(raw)) * 8 // 6]
        if len(core) >= MIN_SECRET:
            forms |= {core, core.replace(b"+", b"-").replace(b"/", b"_")}
    forms |= {quote(form.decode(), safe="").encode() for form in list(forms)}
    return {form for form in forms if len(form) >= MIN_SECRET}


def pattern(values: Iterable[str]) -> re.Pattern[bytes] | None:
    """One regex for every form of every value, longest first; ``None`` when there are none."""
    forms: set[bytes] = set()
    for value in values:
        forms |= encoded_forms(value)
    if not forms:
        return None
    return re.compile(b"|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def scrub_text(text: str, found: re.Pattern[bytes] | None) -> str:
    if found is None:
        return text
    return found.sub(REDACTED.encode(), text.encode("utf-8", "surrogateescape")).decode(
        "utf-8", "surrogateescape")


def scrub_chunks(chunks: list[tuple[float, bytes]],
                 found: re.Pattern[bytes] | None) -> list[tuple[float, bytes]]:
    """``chunks`` with every form replaced; chunks that a form spans are merged first."""
    if found is None or not chunks:
        return list(chunks)
    body = b"".join(data for _, data in chunks)
    spans = [(m.start(), m.end()) for m in found.finditer(body)]
    merged: list[tuple[float, bytes]] = []
    position, span = 0, 0
    for offset, data in chunks:
        while span < len(spans) and spans[span][1] <= position:
            span += 1
        inside = span < len(spans) and spans[span][0] < position < spans[span][1]
        if merged and inside:
            merged[-1] = (merged[-1][0], merged[-1][1] + data)
        else:
            merged.append((offset, data))
        position += len(data)
    return [(offset, found.sub(REDACTED.encode(), data)) for offset, data in merged]
