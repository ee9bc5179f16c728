"""The public surface is pinned: adding or removing a name must be a deliberate change."""

from __future__ import annotations

import importlib

import pytest

import rxkucoin
import rxkucoin.models

EXPECTED_TOP = {
    "Balance",
    "ExpectedOrder",
    "FinishedOrder",
    "LiveView",
    "OpenOrder",
    "OrderWaitTimeout",
    "Position",
    "Resynced",
    "AuthError",
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
    "Gap",
    "InstanceServer",
    "InvalidTopic",
    "NotReady",
    "KucoinRest",
    "KucoinStreams",
    "Market",
    "RateLimitError",
    "RestClient",
    "RestError",
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
}


def test_top_level_all_is_pinned() -> None:
    assert set(rxkucoin.__all__) == EXPECTED_TOP
    assert list(rxkucoin.__all__) == sorted(rxkucoin.__all__)
    for name in rxkucoin.__all__:
        assert hasattr(rxkucoin, name), name


@pytest.mark.parametrize(
    "module",
    [
        "rxkucoin",
        "rxkucoin.models",
        "rxkucoin.exceptions",
        "rxkucoin.keys",
        "rxkucoin.operators",
        "rxkucoin.aio",
        "rxkucoin.sim",
    ],
)
def test_public_modules_declare_a_tuple_all(module: str) -> None:
    mod = importlib.import_module(module)
    assert isinstance(mod.__all__, tuple)
    public = {n for n in vars(mod) if not n.startswith("_") and n[0].isupper()}
    imported_elsewhere = {
        n for n in public if getattr(getattr(mod, n), "__module__", module) != module
    }
    assert public - imported_elsewhere <= set(mod.__all__)


def test_every_payload_type_is_exported_from_models() -> None:
    from rxkucoin.models._base import Payload
    from rxkucoin.models._registry import REGISTRATIONS

    for reg in REGISTRATIONS:
        assert issubclass(reg.payload_type, Payload)
        assert reg.payload_type.__name__ in rxkucoin.models.__all__
