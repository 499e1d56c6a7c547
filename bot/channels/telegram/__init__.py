"""Telegram on aiogram 3 (imported only when a Telegram token is configured)."""
