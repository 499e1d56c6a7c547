"""The Zalo channel: an own thin client for the Zalo Bot API (see client.py for why)."""
