"""Errors raised by the flowsheet engine and route loader.

``InputError`` (from ``urbanmine.errors``) and its subclasses are the user's fault (bad feed,
route, parameter) and become exit code 2 at the command line; ``BalanceError`` is a bug in a unit
or route and never a warning.
"""

from urbanmine.errors import InputError

__all__ = ["BalanceError", "InputError", "RouteError", "UnbalancedReactionError"]


class UnbalancedReactionError(InputError):
    """A reaction whose atoms do not balance."""


class RouteError(InputError):
    """A route definition that cannot be built."""


class BalanceError(RuntimeError):
    """An element balance that does not close to the required tolerance."""
