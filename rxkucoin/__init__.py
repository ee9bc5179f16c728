"""rxkucoin: KuCoin's private WebSocket streams as hot RxPY Observables."""
