"""The contract suite drives the Telegram and Zalo peers of the end-to-end tests."""

from tests.e2e.conftest import peer, runner, zalo_peer

__all__ = ["peer", "runner", "zalo_peer"]
