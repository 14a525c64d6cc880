"""Signals of the department tree for writes that bypass model saves."""

from django.dispatch import Signal

# Sent after the nested set was rebuilt in bulk (check_tree --fix), which sends no post_save.
tree_rebuilt = Signal()
