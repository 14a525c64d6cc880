"""Signals of the department tree for writes that bypass model saves."""

from django.dispatch import Signal

# Sent after the nested set was rebuilt in bulk (check_tree --fix), which sends no post_save.
tree_rebuilt = Signal()

# Sent after a queryset update changed departments without saving them one by one (archiving a
# subtree): ``pks`` are the changed rows. History records them.
departments_updated = Signal()
