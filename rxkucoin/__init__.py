"""rxkucoin: KuCoin's private WebSocket streams as hot RxPY Observables.

The public API is what this module exports; everything in a module whose name starts with
an underscore is an implementation detail. Payload types live in `rxkucoin.models`, the
generic Rx operators in `rxkucoin.operators`, asyncio bridges in `rxkucoin.aio`, and the
embedded exchange simulator in `rxkucoin.sim`.
"""

from __future__ import annotations

from ._auth import Credentials
from ._client import KucoinStreams
from ._events import ConnectionEvent, ConnectionState, Gap
from ._expect import ExpectedOrder, FinishedOrder
from ._live_view import LiveView
from ._rest import InstanceServer, RestClient, Token
from ._rest_api import KucoinRest
from ._stream import TopicStream
from ._view_models import Balance, OpenOrder, Position, Resynced
from .exceptions import (
    AuthError,
    BufferOverflow,
    ClientClosed,
    ClockSkewError,
    ConnectionLost,
    CredentialsError,
    DecodeError,
    InvalidTopic,
    NotReady,
    OrderWaitTimeout,
    RateLimitError,
    RestError,
    RxKucoinError,
    ServerError,
    SubscriptionLimitReached,
    SubscriptionRejected,
    TransportError,
    is_retryable,
)
from .keys import Dialect, Endpoints, Market, WsKey

__version__ = "0.1.0"

__all__ = (
    "AuthError",
    "Balance",
    "BufferOverflow",
    "ClientClosed",
    "ClockSkewError",
    "ConnectionEvent",
    "ConnectionLost",
    "ConnectionState",
    "Credentials",
    "CredentialsError",
    "DecodeError",
    "Dialect",
    "Endpoints",
    "ExpectedOrder",
    "FinishedOrder",
    "Gap",
    "InstanceServer",
    "InvalidTopic",
    "KucoinRest",
    "KucoinStreams",
    "LiveView",
    "Market",
    "NotReady",
    "OpenOrder",
    "OrderWaitTimeout",
    "Position",
    "RateLimitError",
    "RestClient",
    "RestError",
    "Resynced",
    "RxKucoinError",
    "ServerError",
    "SubscriptionLimitReached",
    "SubscriptionRejected",
    "Token",
    "TopicStream",
    "TransportError",
    "WsKey",
    "__version__",
    "is_retryable",
)
