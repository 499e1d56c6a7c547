"""The pure conversation engine: forms as data, a session, inputs in, effects out.

Nothing here does I/O, sleeps or reads the clock; the host (handlers) applies the effects.
"""
