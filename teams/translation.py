"""The translated texts of project teams and their members (see departments/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from teams.models import ProjectTeam, TeamMember


@register(ProjectTeam)
class ProjectTeamTranslationOptions(TranslationOptions):
    fields = ("name", "purpose")
    required_languages = {"zh-hans": ("name",), "default": ()}


@register(TeamMember)
class TeamMemberTranslationOptions(TranslationOptions):
    fields = ("responsibility",)
    required_languages = {"zh-hans": (), "default": ()}
