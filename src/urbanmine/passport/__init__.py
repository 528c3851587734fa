"""Battery passport: the Battery Pass v1.2 field catalogue and who may read which field.

``access(role, field)`` answers one question; ``project(passport, role)`` keeps only the fields a
role may read from a Battery Pass JSON document.
"""

from urbanmine.passport.access import ROLES, Access, access, allowed_fields, project
from urbanmine.passport.catalogue import CATEGORIES, REQUIREMENTS, Field, catalogue, field

__all__ = [
    "CATEGORIES",
    "REQUIREMENTS",
    "ROLES",
    "Access",
    "Field",
    "access",
    "allowed_fields",
    "catalogue",
    "field",
    "project",
]
