"""The history migrations record an organisation that exists before its history.

The organisation is written, the history migrations are unapplied (their tables dropped, with
every record), and applied again: each department, role, duty, team, member and the profile
then has one "created" record from the migration, in the change log, and the organisation
rebuilt from those records is the export.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from departments.models import Department
from orgportal.changes.models import Change
from orgportal.changes.states import organisation_file_data, rows_as_of
from orgportal.guide.models import OrganisationProfile
from orgportal.orgfiles.export import organisation_data
from orgportal.orgfiles.orgfile import parse_org_file
from orgportal.orgfiles.services import organisation_import
from roles.models import Duty, Role
from teams.models import ProjectTeam, TeamMember

BEFORE_HISTORY = ("orgportal", "0002_search_trigram_indexes")
MODELS = (Department, Role, Duty, ProjectTeam, TeamMember, OrganisationProfile)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_migrating_an_existing_organisation_records_every_object():
    text = Path(settings.ORGPORTAL_SEED_FILE).read_text(encoding="utf-8")
    organisation_import(spec=parse_org_file(text))
    assert ProjectTeam.objects.exists() and OrganisationProfile.objects.exists()
    counts = {model: model.objects.count() for model in MODELS}
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("orgportal")
    try:
        migrate(BEFORE_HISTORY)
        tables = connection.introspection.table_names()
        assert Department.history.model._meta.db_table not in tables
        assert Change._meta.db_table not in tables
    finally:
        migrate(latest[0])
    for model, count in counts.items():
        records = model.history.all()
        assert records.count() == count, model
        assert {(r.history_type, r.history_source) for r in records} == {("+", "migration")}
        logged = set(
            Change.objects.filter(model=model._meta.label_lower).values_list(
                "history_id", flat=True
            )
        )
        assert logged == set(records.values_list("history_id", flat=True)), model
    seqs = list(Change.objects.values_list("seq", flat=True))
    if connection.vendor != "postgresql":
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    member = TeamMember.objects.select_related("role").first()
    change = Change.objects.get(model="teams.teammember", object_id=member.pk)
    assert (change.team_id, change.role_id, change.department_id) == (
        member.team_id,
        member.role_id,
        member.role.department_id,
    )
    assert organisation_file_data(rows_as_of(timezone.now())) == organisation_data()
