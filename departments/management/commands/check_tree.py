"""Validate the Department nested set in SQL; with --fix, rebuild it under the tree lock."""

from django.core.management.base import BaseCommand, CommandError

from departments.services import department_tree_rebuild, tree_problems


class Command(BaseCommand):
    help = "Check the nested-set invariants of the department tree; exit non-zero on any problem."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="Rebuild the tree from parent links under the lock."
        )

    def handle(self, *args, fix=False, **options):
        problems = tree_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems and fix:
            changed = department_tree_rebuild()
            self.stdout.write(f"Rebuilt the tree: {changed} rows changed.")
            problems = tree_problems()
            for problem in problems:
                self.stderr.write(problem)
        if problems:
            raise CommandError(f"The department tree has {len(problems)} problems.")
        self.stdout.write(self.style.SUCCESS("The department tree is valid."))
