"""The active problem types with their fields, as the form, the API and the type list read them: built once per
process and again after a type or field is edited (helpdesk.kept, tickets.signals).

The rows are shared by every request of the process: read them, never change them.
"""

from helpdesk.kept import Kept
from tickets.models import ProblemType


class Active:
    def __init__(self):
        self.ordered = list(ProblemType.objects.active().prefetch_related("fields"))
        self.by_slug = {problem_type.slug: problem_type for problem_type in self.ordered}


ACTIVE = Kept("problem-types", Active)


def active():
    """The active problem types in their order, each with its fields loaded."""
    return ACTIVE.get().ordered


def active_type(slug):
    """The active problem type `slug` with its fields loaded, or None."""
    return ACTIVE.get().by_slug.get(slug) if isinstance(slug, str) else None


changed = ACTIVE.changed  # after a bulk write to problem types or fields (which sends no signals)
