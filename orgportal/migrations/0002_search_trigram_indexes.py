"""Trigram GIN indexes for search on PostgreSQL; nothing on SQLite.

Search and the API's ?search= filter with ``icontains``, which PostgreSQL runs as
``UPPER(column::text) LIKE UPPER('%term%')``: a plain B-tree index cannot serve a substring, so
each search read every row. pg_trgm's GIN index on that same expression can, for terms of
three characters or more (a Chinese word of four characters is three trigrams). One index per
searched column of every language.
"""

from django.db import migrations

SEARCHED = {
    "departments_department": ("name", "tagline", "positioning"),
    "roles_role": ("title",),
    "roles_duty": ("text", "area"),
}
LANGUAGES = ("zh_hans", "en", "zh_hant")


def indexes():
    for table, fields in SEARCHED.items():
        for field in fields:
            for language in LANGUAGES:
                column = f"{field}_{language}"
                yield f"{table}_{column}_trgm", table, column


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in indexes():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in indexes():
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("orgportal", "0001_organisation_version"),
        ("departments", "0005_translated_texts"),
        ("roles", "0005_translated_texts"),
    ]

    operations = [migrations.RunPython(create, drop)]
