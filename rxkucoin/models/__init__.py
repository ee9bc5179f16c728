"""Typed payloads for every private topic, and the decoder registry."""
