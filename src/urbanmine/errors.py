"""The error every layer raises for bad input (foundation level: nothing imports upward for it).

``InputError`` and its subclasses are the user's fault (bad feed, route, parameter, option, facts
file) and become exit code 2 at the command line, with the message as the only output: it names
what is wrong and what is allowed.
"""


class InputError(ValueError):
    """Bad input: the message names what is wrong and what is allowed."""


class UnknownSpeciesError(KeyError):
    """A species name that the species registry does not know (bad input, exit code 2)."""

    def __str__(self) -> str:
        return str(self.args[0])
