"""Registry errors; the API maps each to its HTTP status with a JSON ``{"message": ...}``."""

from __future__ import annotations

from urbanmine.errors import InputError


class RegistryError(Exception):
    """Base: ``status`` is the HTTP status code the API answers with."""

    status = 500


class NotFound(RegistryError):
    status = 404


class Unauthorized(RegistryError):
    status = 401


class Forbidden(RegistryError):
    status = 403


class Conflict(RegistryError):
    """The request is well-formed but contradicts what is stored (mass balance, read-only...)."""

    status = 409


class Invalid(RegistryError, InputError):
    """Bad input (HTTP 422; exit code 2 at the command line)."""

    status = 422
