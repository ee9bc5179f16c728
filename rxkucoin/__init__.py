"""rxkucoin: KuCoin's private WebSocket streams as hot RxPY Observables.

The public API is what this module exports; everything in a module whose name starts with
an underscore is an implementation detail. Payload types live in `rxkucoin.models`, the
embedded exchange simulator in `rxkucoin.sim`.
"""

from __future__ import annotations

from ._auth import Credentials
from ._rest import InstanceServer, Token
from .exceptions import (
    AuthError,
    CredentialsError,
    DecodeError,
    RateLimitError,
    RestError,
    RxKucoinError,
    ServerError,
    TransportError,
    is_retryable,
)
from .keys import Dialect, Endpoints, Market, WsKey

__version__ = "0.1.0"

__all__ = (
    "AuthError",
    "Credentials",
    "CredentialsError",
    "DecodeError",
    "Dialect",
    "Endpoints",
    "InstanceServer",
    "Market",
    "RateLimitError",
    "RestError",
    "RxKucoinError",
    "ServerError",
    "Token",
    "TransportError",
    "WsKey",
    "__version__",
    "is_retryable",
)
