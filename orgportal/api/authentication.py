"""Token authentication in one query that also reads the organisation version.

DRF's TokenAuthentication loads the token and its user through the ORM (a join built and
compiled on every request), and a conditional answer or a cached one then reads the
organisation version in a second round trip. Here one raw SQL statement does both: the token,
its user and the version, all current (nothing is cached between requests, so a deleted token
or a deactivated user is refused at once). The version is kept on the request for
orgportal.conditional.request_org_state().
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from orgportal.cache import state_sql, state_value

VERSION_ATTRIBUTE = "_orgportal_version"
CHANGED_AT_ATTRIBUTE = "_orgportal_changed_at"
CREATED_ATTRIBUTE = "_orgportal_token_created"
RESULT_ATTRIBUTE = "_orgportal_token_result"


class OrgTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``: the token, its user and the organisation version in
    one query; the same answers and errors as DRF's TokenAuthentication."""

    model = Token

    def authenticate(self, request):
        # The Django request (under DRF's, or alone in orgportal.api.shortcut), which keeps
        # what one request learns: asked again, as when the shortcut leaves a request to the
        # view, the token costs no second query.
        django_request = getattr(request, "_request", request)
        result = getattr(django_request, RESULT_ATTRIBUTE, None)
        if result is not None:
            return result
        result = super().authenticate(request)
        if result is not None:
            user, _token = result
            state = state_value(
                getattr(user, VERSION_ATTRIBUTE), getattr(user, CHANGED_AT_ATTRIBUTE)
            )
            if state is not None:
                django_request._org_state = state
            setattr(django_request, RESULT_ATTRIBUTE, result)
        return result

    def authenticate_credentials(self, key):
        user = _token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token(key=key, user=user, created=getattr(user, CREATED_ATTRIBUTE))
        return user, token


def _token_user(key):
    """Return the user of token ``key`` with the token's and the version's columns, or None."""
    user_model = get_user_model()
    if connection.vendor != "postgresql":
        # SQLite hands back text for times and numbers for booleans: the ORM converts them.
        return next(iter(user_model.objects.raw(_query(), [key])), None)
    # psycopg hands back Python values as the ORM would (the connection's time zone is UTC),
    # so the row becomes a user without the ORM's query machinery.
    with connection.cursor() as cursor:
        cursor.execute(_query(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    names = _user_columns()
    user = user_model.from_db(connection.alias, names, row[: len(names)])
    for name, value in zip(EXTRA_COLUMNS, row[len(names) :], strict=True):
        setattr(user, name, value)
    return user


EXTRA_COLUMNS = (CREATED_ATTRIBUTE, VERSION_ATTRIBUTE, CHANGED_AT_ATTRIBUTE)


def _user_columns():
    return [field.attname for field in get_user_model()._meta.concrete_fields]


_QUERIES = {}


def _query():
    vendor = connection.vendor
    query = _QUERIES.get(vendor)
    if query is None:
        user_meta = get_user_model()._meta
        user_table = connection.ops.quote_name(user_meta.db_table)
        pk = connection.ops.quote_name(user_meta.pk.column)
        token_table = connection.ops.quote_name(Token._meta.db_table)
        version, changed_at, joins = state_sql(connection)
        users = ", ".join(
            f"u.{connection.ops.quote_name(field.column)}" for field in user_meta.concrete_fields
        )
        query = _QUERIES[vendor] = (
            f"SELECT {users}, t.created AS {CREATED_ATTRIBUTE}, {version} AS {VERSION_ATTRIBUTE}, "
            f"{changed_at} AS {CHANGED_AT_ATTRIBUTE} "
            f"FROM {token_table} t JOIN {user_table} u ON u.{pk} = t.user_id {joins} "
            "WHERE t.key = %s"
        )
    return query
