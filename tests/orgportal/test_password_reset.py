"""Password reset by e-mail: only when the portal can send e-mail, throttled, never telling
whether an address is known."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

RESET_URLS = [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/done/",
]


@pytest.mark.parametrize("url", RESET_URLS)
def test_without_email_the_reset_pages_are_not_there(client, db, settings, url):
    settings.ORGPORTAL_PASSWORD_RESET = False
    assert client.get(url).status_code == 404
    assert client.post("/accounts/password_reset/", {"email": "a@example.com"}).status_code == 404
    assert "password_reset" not in client.get(reverse("login")).content.decode()


@pytest.fixture
def email(settings):
    settings.ORGPORTAL_PASSWORD_RESET = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_with_email_a_user_resets_the_password_through_the_link(client, db, email):
    user = UserFactory(username="staff", email="staff@example.com")
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "staff@example.com"})
    assert response.status_code == 302
    [message] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a new long passphrase 42")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db, email):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_reset_requests_are_throttled_per_address(client, db, email, settings):
    settings.ORGPORTAL_API_THROTTLE_RATES = {**settings.ORGPORTAL_API_THROTTLE_RATES}
    settings.ORGPORTAL_API_THROTTLE_RATES["password_reset"] = "2/hour"
    UserFactory(username="staff", email="staff@example.com")
    answers = [
        client.post(reverse("password_reset"), {"email": "staff@example.com"}).status_code
        for _ in range(3)
    ]
    assert answers == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_a_mail_server_that_refuses_still_answers_and_logs(client, db, settings, caplog):
    settings.ORGPORTAL_PASSWORD_RESET = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    UserFactory(username="staff", email="staff@example.com")
    response = client.post(reverse("password_reset"), {"email": "staff@example.com"})
    assert response.status_code == 302
    assert "Failed to send password reset email" in caplog.text
