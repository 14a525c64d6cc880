"""Invalidate the organisation cache whenever a department, role, duty or team changes."""

from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_delete, post_save

from orgportal.cache import org_changed


def invalidate_org_cache(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    """Invalidate the organisation cache after a change in the ``using`` database."""
    org_changed(using=using)


def connect():
    """Connect the invalidation to every model that the cached organisation data holds."""
    from departments.models import Department
    from departments.signals import tree_rebuilt
    from roles.models import Duty, Role
    from teams.models import ProjectTeam, TeamMember

    for model in (Department, Role, Duty, ProjectTeam, TeamMember):
        label = model._meta.label
        post_save.connect(invalidate_org_cache, sender=model, dispatch_uid=f"org-save-{label}")
        post_delete.connect(invalidate_org_cache, sender=model, dispatch_uid=f"org-del-{label}")
    tree_rebuilt.connect(invalidate_org_cache, sender=Department, dispatch_uid="org-rebuilt")
