"""Concurrent writers through the public write path keep the nested set valid (PostgreSQL).

To see the lock matter, run this module with ORGPORTAL_TEST_WITHOUT_TREE_LOCK=1: the lock
becomes a no-op and check_tree then reports broken rows.
"""

import contextlib
import os
import random
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.deletion import ProtectedError

from departments import locking
from departments.models import POSITIONS, Department
from departments.services import department_move, department_tree_rebuild, tree_problems
from tests.factories import DepartmentFactory, company_root

THREADS = 8
OPERATIONS = 40

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def without_lock_if_asked(monkeypatch):
    if os.environ.get("ORGPORTAL_TEST_WITHOUT_TREE_LOCK") == "1":
        monkeypatch.setattr(locking, "lock_tree", lambda using="default": None)


# What the write path may refuse under concurrent writers: a move into its own subtree or
# beside the root, a write to a department deleted meanwhile, a delete of one that still has
# sub-departments. Anything else (a DoesNotExist from deep inside, an IntegrityError) fails.
REFUSALS = (ValidationError, ProtectedError, Department.DoesNotExist)


def writer(seed, pks, errors, deleted):
    rng = random.Random(seed)
    try:
        # Each thread loads its own instances once, before any lock: they soon go stale.
        stale_nodes = list(Department.objects.filter(pk__in=pks))
        for _ in range(OPERATIONS):
            dice = rng.random()
            if dice < 0.15:
                node = rng.choice(stale_nodes)
                pk = node.pk
                with contextlib.suppress(*REFUSALS):
                    node.delete()
                    deleted.append(pk)
                    # Django clears the pk of what it deleted; other threads keep stale copies.
                    stale_nodes.remove(node)
                continue
            if dice < 0.3:
                # A patch of a stale instance: it must not write a deleted row back.
                node = rng.choice(stale_nodes)
                node.name = f"改名{rng.randrange(1000)}"
                with contextlib.suppress(*REFUSALS):
                    node.save()
                continue
            if dice < 0.55:
                # Some parents were loaded long before the lock: the write path must re-read them.
                parent = (
                    rng.choice(stale_nodes)
                    if rng.random() < 0.5
                    else (Department.objects.order_by("?").first())
                )
                with contextlib.suppress(*REFUSALS):
                    Department.objects.create(
                        code=f"t-{uuid.uuid4().hex[:12]}", name="并发部门", parent=parent
                    )
            else:
                node = rng.choice(stale_nodes)
                target = rng.choice(stale_nodes)
                with contextlib.suppress(*REFUSALS):
                    department_move(department=node, target=target, position=rng.choice(POSITIONS))
    except Exception as error:  # noqa: BLE001 - reported to the main thread
        errors.append(error)
    finally:
        connection.close()


def test_concurrent_inserts_moves_patches_and_deletes_keep_the_tree_valid(without_lock_if_asked):
    root = company_root()
    for number in range(12):
        DepartmentFactory(code=f"start-{number}", parent=root)
    pks = list(Department.objects.exclude(pk=root.pk).values_list("pk", flat=True))
    errors, deleted = [], []
    threads = [
        threading.Thread(target=writer, args=(seed, pks, errors, deleted))
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert tree_problems() == []
    assert department_tree_rebuild() == 0
    assert deleted, "no delete went through: the test proves nothing"
    assert not Department.objects.filter(pk__in=deleted).exists(), "a deleted department came back"
    assert Department.objects.count() > 12
