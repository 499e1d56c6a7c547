"""Persistence: SQLAlchemy 2 models, repositories that never commit, one unit of work."""
