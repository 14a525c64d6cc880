"""Token authentication in one query that also reads the organisation version and the
user's permissions.

DRF's TokenAuthentication loads the token and its user through the ORM (a join built and
compiled on every request), and a conditional answer or a cached one then reads the
organisation version in a second round trip. Here one raw SQL statement does both: the token,
its user, the user's permissions (which ModelBackend would read in two more queries for the
first has_perm()) and the version, all current (nothing is cached between requests, so a
deleted token, a deactivated user or a permission taken away counts at once). The version is
kept on the request for orgportal.conditional.request_org_state().
"""

from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework import HTTP_HEADER_ENCODING, exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from orgportal.cache import state_sql, state_value

VERSION_ATTRIBUTE = "_orgportal_version"
CHANGED_AT_ATTRIBUTE = "_orgportal_changed_at"
CREATED_ATTRIBUTE = "_orgportal_token_created"
RESULT_ATTRIBUTE = "_orgportal_token_result"
USER_ATTRIBUTE = "_orgportal_token_user"
KEY_ATTRIBUTE = "_orgportal_token_key"
USER_PERMISSIONS_ATTRIBUTE = "_orgportal_user_permissions"
GROUP_PERMISSIONS_ATTRIBUTE = "_orgportal_group_permissions"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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
        if result is None:
            user = self.authenticate_user(django_request)
            if user is None:
                return None
            result = (user, _token(user))
            setattr(django_request, RESULT_ATTRIBUTE, result)
        return result

    def authenticate_user(self, request):
        """Return the user of the token of Django's ``request``, or None when it sends no
        token; raise AuthenticationFailed as authenticate() does.

        authenticate() without the token object, which orgportal.api.shortcut does not need
        (it costs as much as a tenth of its answer): authenticate() builds it later from
        what this keeps on the request.
        """
        user = getattr(request, USER_ATTRIBUTE, None)
        if user is not None:
            return user
        key = self.token_key(request)
        if key is None:
            return None
        user = self.user_of(key)
        remember_user(request, user)
        return user

    def token_key(self, request):
        """Return the key of the token of Django's ``request``, or None when it sends no token
        (another scheme, or no Authorization header); raise AuthenticationFailed for a header
        that names the scheme without a good key.

        DRF's TokenAuthentication.authenticate() reads it the same way, with the same errors,
        but from ``request.headers``, which builds a dictionary of every header first.
        """
        auth = request.META.get("HTTP_AUTHORIZATION", b"")
        if isinstance(auth, str):
            auth = auth.encode(HTTP_HEADER_ENCODING)
        auth = auth.split()
        if not auth or auth[0].lower() != self.keyword.lower().encode():
            return None
        if len(auth) == 1:
            msg = _("Invalid token header. No credentials provided.")
            raise exceptions.AuthenticationFailed(msg)
        if len(auth) > 2:
            msg = _("Invalid token header. Token string should not contain spaces.")
            raise exceptions.AuthenticationFailed(msg)
        try:
            return auth[1].decode()
        except UnicodeError:
            msg = _("Invalid token header. Token string should not contain invalid characters.")
            raise exceptions.AuthenticationFailed(msg) from None

    def authenticate_credentials(self, key):
        user = self.user_of(key)
        return user, _token(user)

    def user_of(self, key):
        """Return the active user of token ``key``, with its permissions, or raise
        AuthenticationFailed as DRF's authenticate_credentials() does."""
        user = _token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        keep_permissions(user)
        setattr(user, KEY_ATTRIBUTE, key)
        return user


def remember_user(request, user):
    """Keep on Django's ``request`` the user of its token, from user_of(), and the
    organisation version read with it, so that neither is read again for this request."""
    state = state_value(getattr(user, VERSION_ATTRIBUTE), getattr(user, CHANGED_AT_ATTRIBUTE))
    if state is not None:
        request._org_state = state
    setattr(request, USER_ATTRIBUTE, user)


def _token(user):
    """Return the token that authenticated ``user`` (read by _token_user())."""
    return Token(
        key=getattr(user, KEY_ATTRIBUTE), user=user, created=getattr(user, CREATED_ATTRIBUTE)
    )


def _token_user(key):
    """Return the user of token ``key`` with the token's and the version's columns, or None."""
    database = connections[DEFAULT_DB_ALIAS]  # once, not through the proxy at every use
    shape = _shape(database)
    if database.vendor != "postgresql":
        # SQLite hands back text for times and numbers for booleans: the ORM converts them.
        return next(iter(shape.user_model.objects.raw(shape.query, [key])), None)
    # psycopg hands back Python values as the ORM would (the connection's time zone is UTC),
    # so the row becomes a user without the ORM's query machinery.
    with database.cursor() as cursor:
        cursor.execute(shape.query, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    names = shape.user_columns
    user = shape.user_model.from_db(database.alias, names, row[: len(names)])
    for name, value in zip(shape.extra_columns, row[len(names) :], strict=True):
        setattr(user, name, value)
    return user


EXTRA_COLUMNS = (CREATED_ATTRIBUTE, VERSION_ATTRIBUTE, CHANGED_AT_ATTRIBUTE)
PERMISSION_COLUMNS = (USER_PERMISSIONS_ATTRIBUTE, GROUP_PERMISSIONS_ATTRIBUTE)
# Between the permission names of one column ("app_label.codename"): a control character that
# no name holds.
SEPARATOR = "\x1f"


def _reads_permissions():
    """Return whether the token's query also reads the user's permissions: when Django's
    ModelBackend answers has_perm() (with two queries of its own otherwise)."""
    return MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS and all(
        hasattr(get_user_model(), name) for name in ("user_permissions", "groups")
    )


def keep_permissions(user):
    """Give ``user`` the permissions ModelBackend would read for has_perm(), from the token's
    query: the same names in the same caches it fills, for this request's user object only."""
    if user.is_superuser or not hasattr(user, USER_PERMISSIONS_ATTRIBUTE):
        return  # a superuser has every permission without a query
    for cache, attribute in (
        ("_user_perm_cache", USER_PERMISSIONS_ATTRIBUTE),
        ("_group_perm_cache", GROUP_PERMISSIONS_ATTRIBUTE),
    ):
        names = getattr(user, attribute)
        setattr(user, cache, set(names.split(SEPARATOR)) if names else set())


class _Shape(NamedTuple):
    """The token query of one database vendor under the settings in force, and how its rows
    become users."""

    query: str
    user_model: type
    user_columns: tuple
    extra_columns: tuple


# The settings a shape is built from: it is built again when a test changes one of them.
_SHAPE_SETTINGS = frozenset({"AUTHENTICATION_BACKENDS", "AUTH_USER_MODEL", "INSTALLED_APPS"})
_SHAPES = {}


def _shape(database):
    """Return the token query's _Shape for the vendor of ``database`` (the default
    connection), built once: every request used to build its column lists, and read the
    settings and the user model, again."""
    shape = _SHAPES.get(database.vendor)
    if shape is None:
        user_model = get_user_model()
        reads_permissions = _reads_permissions()
        shape = _SHAPES[database.vendor] = _Shape(
            query=_build_query(reads_permissions),
            user_model=user_model,
            user_columns=tuple(field.attname for field in user_model._meta.concrete_fields),
            extra_columns=EXTRA_COLUMNS + (PERMISSION_COLUMNS if reads_permissions else ()),
        )
    return shape


@receiver(setting_changed)
def _forget_shapes(setting, **kwargs):
    if setting in _SHAPE_SETTINGS:
        _SHAPES.clear()


def _query():
    """Return the token query's SQL for the default connection."""
    return _shape(connections[DEFAULT_DB_ALIAS]).query


def _build_query(reads_permissions):
    user_meta = get_user_model()._meta
    user_table = connection.ops.quote_name(user_meta.db_table)
    pk = connection.ops.quote_name(user_meta.pk.column)
    token_table = connection.ops.quote_name(Token._meta.db_table)
    version, changed_at, joins = state_sql(connection)
    users = ", ".join(
        f"u.{connection.ops.quote_name(field.column)}" for field in user_meta.concrete_fields
    )
    permissions = ""
    if reads_permissions:
        permissions = "".join(
            f", ({sql}) AS {name}"
            for sql, name in zip(_permission_sql(pk), PERMISSION_COLUMNS, strict=True)
        )
    return (
        f"SELECT {users}, t.created AS {CREATED_ATTRIBUTE}, {version} AS {VERSION_ATTRIBUTE}, "
        f"{changed_at} AS {CHANGED_AT_ATTRIBUTE}{permissions} "
        f"FROM {token_table} t JOIN {user_table} u ON u.{pk} = t.user_id {joins} "
        "WHERE t.key = %s"
    )


def _permission_sql(pk):
    """Return the SQL of the user's own permission names and of their groups' (as
    ModelBackend reads them), each joined by SEPARATOR."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    own = user_model._meta.get_field("user_permissions").remote_field.through._meta
    membership = user_model._meta.get_field("groups").remote_field.through._meta
    group_model = user_model._meta.get_field("groups").related_model
    granted = group_model._meta.get_field("permissions").remote_field.through._meta

    def column(meta, model):
        return quote(next(f.column for f in meta.fields if f.related_model is model))

    name = (
        f"{quote(ContentType._meta.db_table)}.{quote('app_label')} || '.' || "
        f"{quote(Permission._meta.db_table)}.{quote('codename')}"
    )
    joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    separator = "chr(31)" if connection.vendor == "postgresql" else "char(31)"
    permissions = (
        f"JOIN {quote(Permission._meta.db_table)} ON {quote(Permission._meta.db_table)}.id = "
        "{table}.{permission} "
        f"JOIN {quote(ContentType._meta.db_table)} ON {quote(ContentType._meta.db_table)}.id = "
        f"{quote(Permission._meta.db_table)}.{quote('content_type_id')}"
    )
    own_sql = (
        f"SELECT {joined}({name}, {separator}) FROM {quote(own.db_table)} "
        + permissions.format(table=quote(own.db_table), permission=column(own, Permission))
        + f" WHERE {quote(own.db_table)}.{column(own, user_model)} = u.{pk}"
    )
    group_sql = (
        f"SELECT {joined}({name}, {separator}) FROM {quote(membership.db_table)} "
        f"JOIN {quote(granted.db_table)} "
        f"ON {quote(granted.db_table)}.{column(granted, group_model)}"
        f" = {quote(membership.db_table)}.{column(membership, group_model)} "
        + permissions.format(table=quote(granted.db_table), permission=column(granted, Permission))
        + f" WHERE {quote(membership.db_table)}.{column(membership, user_model)} = u.{pk}"
    )
    return own_sql, group_sql
