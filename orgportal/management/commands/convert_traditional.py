"""Convert every automatic traditional Chinese text again, after ORGPORTAL_TRADITIONAL_VARIANT
changed (or OpenCC was upgraded). Texts that HR wrote by hand are left as they are."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from orgportal.cache import org_changed
from orgportal.i18n import column, to_traditional
from orgportal.translated import TranslatedModel, translated_fields

BATCH_SIZE = 2000


class Command(BaseCommand):
    help = "Convert the automatic traditional Chinese texts again with the configured variant."

    def handle(self, *args, **options):
        total = 0
        with transaction.atomic():
            for model in apps.get_models():
                if issubclass(model, TranslatedModel):
                    total += self.convert(model)
            org_changed()
        self.stdout.write(f"Converted {total} texts again.")

    def convert(self, model):
        fields = translated_fields(model)
        names = [column(field, language) for field in fields for language in ("zh-hans", "zh-hant")]
        changed, count = [], 0
        rows = model._base_manager.only("pk", "zh_hant_auto", *names).order_by("pk")
        for row in rows.iterator(chunk_size=BATCH_SIZE):
            dirty = False
            for field in row.zh_hant_auto or ():
                target = column(field, "zh-hant")
                converted = to_traditional(getattr(row, column(field, "zh-hans")))
                if getattr(row, target) != converted:
                    setattr(row, target, converted)
                    dirty = True
                    count += 1
            if dirty:
                changed.append(row)
            if len(changed) >= BATCH_SIZE:
                model._base_manager.bulk_update(changed, [column(f, "zh-hant") for f in fields])
                changed = []
        if changed:
            model._base_manager.bulk_update(changed, [column(f, "zh-hant") for f in fields])
        return count
