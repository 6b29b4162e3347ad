"""Template context shared by every page."""

from django.utils.functional import SimpleLazyObject

from .roles import Role, roles_of


def roles(request):
    """Expose the user's roles lazily, so pages that never ask pay no query."""
    return {"user_roles": SimpleLazyObject(lambda: roles_of(request.user)), "Role": Role}
