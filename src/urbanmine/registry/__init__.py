"""Battery passport and chain-of-custody registry: domain rules, store, HTTP API and pages.

Layers inside the package: ``domain`` (pure rules: hash chain, mass balance, recycled content,
collection rate, lifecycle), ``identifiers``, ``documents`` (Battery Pass JSON), ``store``
(SQLAlchemy models, engine, Alembic), ``service`` (operations in one transaction each), ``api``
(FastAPI under /api/v1) and ``pages`` (Jinja2).
"""
