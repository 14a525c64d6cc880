"""Logging in and out, changing a password, and resetting a forgotten one by e-mail.

Password reset works only when the portal can send e-mail (EMAIL_URL); without it those pages
answer 404 and the login page offers no link to them. Reset requests are throttled per
address (PASSWORD_RESET_RATE), and the answer never tells whether an address is known.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.utils.translation import gettext
from rest_framework.throttling import SimpleRateThrottle

from orgportal.api.throttling import SettingsRateMixin


class PasswordResetThrottle(SettingsRateMixin, SimpleRateThrottle):
    """Reset requests per client address."""

    scope = "password_reset"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["password_reset"] = settings.ORGPORTAL_PASSWORD_RESET
        return context


class EmailConfiguredMixin:
    """Answer 404 unless the portal can send e-mail."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.ORGPORTAL_PASSWORD_RESET:
            raise Http404(gettext("Password reset is not available: the portal sends no e-mail."))
        return super().dispatch(request, *args, **kwargs)


class PasswordResetView(EmailConfiguredMixin, auth_views.PasswordResetView):
    template_name = "registration/reset_form.html"

    def post(self, request, *args, **kwargs):
        throttle = PasswordResetThrottle()
        if not throttle.allow_request(request, self):
            form = self.get_form()
            form.add_error(
                None,
                gettext("Too many reset requests from this address. Try again later."),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(EmailConfiguredMixin, auth_views.PasswordResetDoneView):
    template_name = "registration/reset_done.html"


class PasswordResetConfirmView(EmailConfiguredMixin, auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"


class PasswordResetCompleteView(EmailConfiguredMixin, auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"
