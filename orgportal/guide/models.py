"""The organisation's profile: its structure mode and business stage, set by HR."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    """The structure modes of the guide (seed, section 一, and 生态型 from section 三)."""

    FUNCTIONAL = "functional", _("Functional")
    PROJECT = "project", _("Project-based")
    MATRIX = "matrix", _("Matrix")
    ECOSYSTEM = "ecosystem", _("Ecosystem")


class Stage(models.TextChoices):
    """The business stages of the guide's advice (seed, section 三.1)."""

    STARTUP = "startup", _("Start-up")
    GROWTH = "growth", _("Growth")
    MATURE = "mature", _("Maturity")


# The seed's names of the modes and stages, which organisation files may use for the codes.
MODE_NAMES = {
    "functional": "职能型",
    "project": "项目型",
    "matrix": "矩阵型",
    "ecosystem": "生态型",
}
STAGE_NAMES = {"startup": "初创期", "growth": "成长期", "mature": "成熟期"}


class OrganisationProfile(models.Model):
    """How HR describe the organisation as a whole; there is one, with the id 1.

    No RowLockMixin: the one row is never deleted (the admin offers no delete), so a save
    cannot bring a deleted row back, and two saves write the same row.
    """

    SINGLETON_ID = 1

    mode = models.CharField(
        _("structure mode"),
        max_length=20,
        choices=Mode.choices,
        blank=True,
        help_text=_("How the company divides its work; the guide compares it with the advice."),
    )
    stage = models.CharField(
        _("business stage"),
        max_length=20,
        choices=Stage.choices,
        blank=True,
        help_text=_("Leave empty while not decided; the guide then advises for every stage."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organisation profile")
        verbose_name_plural = _("organisation profile")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="guide_profile_singleton"),
        ]

    def __str__(self):
        return str(_("Organisation profile"))

    def save(self, *args, **kwargs):
        # Django updates the row with this id if it exists and inserts it otherwise.
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("guide:guide")

    @classmethod
    def load(cls):
        """Return the profile, unsaved and empty when HR have not recorded one."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)
