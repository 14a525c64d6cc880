"""Cross-department project teams: the matrix's dotted lines beside the department tree.

A team draws roles from any department (their functional home, which keeps the resources) and
answers for a result under its Owner: "项目组负责结果,职能部门负责资源".
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from departments.locking import RowLockMixin
from departments.models import archived_subtree_q, subtree_q
from orgportal.translated import TranslatedModel
from roles.models import Role


class ProjectTeamQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible(self):
        """Return the teams staff see: not archived, not closed, and an Owner they can see.

        A team whose Owner is archived or stands below an archived department is hidden with
        it, as the roles of an archived department are.
        """
        return (
            self.filter(is_active=True, owner__is_active=True)
            .exclude(status=ProjectTeam.Status.CLOSED)
            .exclude(archived_subtree_q("owner__department__"))
        )

    def hidden(self):
        """Return the teams only editors see: archived or closed, or with a hidden Owner."""
        return self.exclude(pk__in=ProjectTeam.objects.visible().values("pk"))

    def with_role(self, role):
        """Return the teams ``role`` belongs to or owns."""
        return self.filter(models.Q(owner=role) | models.Q(members__role=role)).distinct()

    def drawing_on(self, department, members=None):
        """Return the teams with a member (or the Owner) in ``department``'s subtree.

        ``members``: the memberships that count (all by default); a reader who may not see
        archived items counts only those of visible roles (``visible_members()``).
        """
        members = members if members is not None else TeamMember.objects.all()
        members = members.filter(subtree_q(department, "role__department__")).values("team_id")
        owners = subtree_q(department, "owner__department__")
        return self.filter(models.Q(pk__in=members) | owners)


class ProjectTeam(RowLockMixin, TranslatedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("team status", "planned")
        ACTIVE = "active", pgettext_lazy("team status", "active")
        CLOSED = "closed", pgettext_lazy("team status", "closed")

    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("Stable ASCII identifier used in URLs, the API and organisation files."),
    )
    # name and purpose are translated (teams/translation.py).
    name = models.CharField(pgettext_lazy("team", "name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    owner = models.ForeignKey(
        Role,
        verbose_name=_("project Owner"),
        on_delete=models.PROTECT,
        related_name="owned_teams",
        help_text=_("The role that answers for the team's result."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(
        pgettext_lazy("archiving", "active"),
        default=True,
        help_text=_("Archived teams are hidden from staff."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectTeamQuerySet.as_manager()

    locked_references = ("owner",)

    class Meta:
        verbose_name = _("project team")
        verbose_name_plural = _("project teams")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="team_ends_not_before_start",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("teams:detail", kwargs={"code": self.code})

    def clean(self):
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": gettext("A team cannot end before it starts.")})


class TeamMember(RowLockMixin, TranslatedModel):
    team = models.ForeignKey(
        ProjectTeam,
        verbose_name=_("project team"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    # A membership belongs to its role as a duty does: deleting a role (which HR archive
    # instead) ends its memberships. The Owner is protected: a team needs one.
    role = models.ForeignKey(
        Role,
        verbose_name=_("role"),
        on_delete=models.CASCADE,
        related_name="team_memberships",
        help_text=_("A role of any department; its department is the member's functional home."),
    )
    # responsibility is translated (teams/translation.py).
    responsibility = models.TextField(
        _("responsibility"), blank=True, help_text=_("What this role answers for in the team.")
    )
    allocation = models.PositiveSmallIntegerField(
        _("allocation (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Share of the role's time for the team, in percent (1–100); optional."),
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    locked_references = ("team", "role")

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team_id", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "role"],
                name="team_member_role_once",
                violation_error_message=_("This role is already a member of the team."),
            ),
            models.CheckConstraint(
                condition=models.Q(allocation__isnull=True)
                | models.Q(allocation__gte=1, allocation__lte=100),
                name="team_member_allocation_percent",
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.role}"


def visible_members():
    """The memberships a reader who may not see archived items sees: those of visible roles."""
    return TeamMember.objects.filter(role__in=Role.objects.visible())
