"""Timers: all durable state is in the database (fire rows); these only poll it."""
