"""API credentials and KuCoin's request signing (PROTOCOL.md §1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from .exceptions import CredentialsError

__all__ = ("Credentials", "sign")

_ENV_NAMES = {
    "api_key": "KUCOIN_API_KEY",
    "api_secret": "KUCOIN_API_SECRET",
    "api_passphrase": "KUCOIN_API_PASSPHRASE",
}
_ENV_KEY_VERSION = "KUCOIN_API_KEY_VERSION"
_KEY_VERSIONS = ("1", "2", "3")

#: The request the Pro socket's ``op: auth`` frame signs (PROTOCOL.md §5.3).
WS_AUTH_METHOD = "POST"
WS_AUTH_PATH = "/api/websocket/users/verify"


def sign(secret: str, message: str) -> str:
    """Return base64(HMAC-SHA256(key=secret, msg=message)), KuCoin's signature form.

    Args:
        secret: the API secret.
        message: the text to sign (a prehash string or a passphrase).
    """
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def prehash(timestamp_ms: int | str, method: str, path: str, body: str = "") -> str:
    """Build the text KuCoin signs: timestamp + METHOD + path (with raw query) + body."""
    return f"{timestamp_ms}{method.upper()}{path}{body}"


@dataclass(frozen=True, repr=False)
class Credentials:
    """A KuCoin API key with its secret and passphrase.

    The secret and passphrase never appear in ``repr``, ``str`` or any error text.

    Args:
        api_key: the key shown on KuCoin's API-management page.
        api_secret: the secret shown once when the key was created.
        api_passphrase: the passphrase chosen for the key (not the account password).
        key_version: ``"3"`` (the default) or ``"2"`` for current keys (the passphrase is
            then sent signed; KuCoin moved every version-2 key to version 3 in 2025 and
            accepts either header for it), ``"1"`` for legacy keys (passphrase sent in
            plain text).

    Raises:
        CredentialsError: a value is empty or the key version is unknown.
    """

    api_key: str
    api_secret: str = field(compare=False)
    api_passphrase: str = field(compare=False)
    key_version: str = "3"

    def __post_init__(self) -> None:
        missing = tuple(
            name
            for name in ("api_key", "api_secret", "api_passphrase")
            if not isinstance(getattr(self, name), str) or not getattr(self, name)
        )
        if missing:
            raise CredentialsError(
                "incomplete KuCoin credentials: missing " + ", ".join(missing), missing
            )
        if self.key_version not in _KEY_VERSIONS:
            raise CredentialsError(
                f"unknown API key version {self.key_version!r}: expected one of "
                + ", ".join(_KEY_VERSIONS)
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read credentials from ``KUCOIN_API_KEY``, ``KUCOIN_API_SECRET``,
        ``KUCOIN_API_PASSPHRASE`` and, optionally, ``KUCOIN_API_KEY_VERSION``.

        Args:
            environ: where to read from; ``os.environ`` by default.

        Raises:
            CredentialsError: naming every variable that is missing or empty.
        """
        env = os.environ if environ is None else environ
        values = {attr: env.get(var, "") for attr, var in _ENV_NAMES.items()}
        missing = tuple(var for attr, var in _ENV_NAMES.items() if not values[attr])
        if missing:
            raise CredentialsError(
                "incomplete KuCoin credentials in the environment: "
                + ", ".join(missing)
                + (" is" if len(missing) == 1 else " are")
                + " not set",
                missing,
            )
        return cls(key_version=env.get(_ENV_KEY_VERSION) or "3", **values)

    def __repr__(self) -> str:
        return (
            f"Credentials(api_key={self.api_key!r}, api_secret='***', "
            f"api_passphrase='***', key_version={self.key_version!r})"
        )

    __str__ = __repr__

    def passphrase_header(self) -> str:
        """The ``KC-API-PASSPHRASE`` value: signed for v2/v3 keys, plain for v1."""
        if self.key_version == "1":
            return self.api_passphrase
        return sign(self.api_secret, self.api_passphrase)

    def headers(
        self, method: str, path: str, body: str = "", *, timestamp_ms: int | None = None
    ) -> dict[str, str]:
        """Signed headers for one REST request.

        Args:
            method: HTTP method; upper-cased for signing.
            path: request path including the raw (un-URL-encoded) query string.
            body: the exact JSON text sent as body, ``""`` for none.
            timestamp_ms: milliseconds since the epoch; now by default.
        """
        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        headers = {
            "KC-API-KEY": self.api_key,
            "KC-API-SIGN": sign(self.api_secret, prehash(ts, method, path, body)),
            "KC-API-TIMESTAMP": str(ts),
            "KC-API-PASSPHRASE": self.passphrase_header(),
            "Content-Type": "application/json",
        }
        if self.key_version != "1":
            headers["KC-API-KEY-VERSION"] = self.key_version
        return headers

    def ws_auth_fields(self, *, timestamp_ms: int | None = None) -> dict[str, str]:
        """The credential fields of the Pro socket's signed ``op: auth`` frame (§5.3)."""
        headers = self.headers(WS_AUTH_METHOD, WS_AUTH_PATH, timestamp_ms=timestamp_ms)
        return {
            "kc-api-key": headers["KC-API-KEY"],
            "kc-api-sign": headers["KC-API-SIGN"],
            "kc-api-timestamp": headers["KC-API-TIMESTAMP"],
            "kc-api-passphrase": headers["KC-API-PASSPHRASE"],
        }
