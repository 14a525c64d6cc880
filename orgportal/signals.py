"""Invalidate the organisation cache whenever a department, role or duty is saved or deleted."""

from django.db.models.signals import post_delete, post_save

from orgportal.cache import org_changed


def invalidate_org_cache(sender, **kwargs):
    org_changed()


def connect():
    from departments.models import Department
    from roles.models import Duty, Role

    for model in (Department, Role, Duty):
        post_save.connect(invalidate_org_cache, sender=model, dispatch_uid=f"org-cache-{model}")
        post_delete.connect(invalidate_org_cache, sender=model, dispatch_uid=f"org-del-{model}")
