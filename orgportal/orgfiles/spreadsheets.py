"""HR's spreadsheets: what the admin's Excel and CSV import and export of every model share.

Each app declares its resources (``departments/resources.py``, ``roles/resources.py``; project
teams will add ``teams/resources.py``) on ``OrgResource`` and registers its admin with
``SpreadsheetAdminMixin``. That gives every model the same rules:

- columns named in any of the portal's languages (or by field name), references by code;
- rows in any order: a row that another row of the file refers to (a parent, a role reported
  to) is imported first, and a cycle is the row's error;
- one row per key (a code; a duty's role and position): a row that repeats the key of a row
  above it is that row's error, never an overwrite of the first;
- no cell is dropped: a value under no header, or a fraction where a whole number belongs, is
  an error;
- every row through the model's ``full_clean()`` and ``save()`` (never a bulk write), in one
  transaction: one bad row and nothing is written;
- exported text that a spreadsheet would run as a formula stays text (formula injection).
"""

import functools
import io
import re
import sys
import unicodedata
from decimal import Decimal
from uuid import uuid4

import openpyxl
import tablib
from diff_match_patch import diff_match_patch
from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.functional import lazy
from django.utils.html import format_html_join
from django.utils.text import get_text_list
from django.utils.timezone import localdate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from orgportal import i18n

# A cell that starts with one of these is a formula (or part of one) to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Widths of the columns of a written sheet, in characters of a Latin font.
MIN_WIDTH, MAX_WIDTH = 8, 60
# Spreadsheet rows are numbered from 1, and row 1 holds the headers.
FIRST_DATA_ROW = 2
# Uploads larger than this are refused before anything is read.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def normalised(text) -> str:
    return " ".join(str(text).split()).casefold()


def in_every_language(text) -> set[str]:
    """Return ``text`` (a lazy translation) as every language of the portal says it."""
    said = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            said.add(str(text))
    return said


def display_width(text) -> int:
    """Return how many Latin character widths ``text`` takes: a Chinese character takes two
    (a character of East Asian width "W" or "F")."""
    text = str(text)
    if text.isascii():
        return len(text)
    return len(text) + len(_wide_characters().findall(text))


@functools.cache
def _wide_characters():
    # One character class of every code point whose East Asian width is W or F, built once per
    # process: findall() then counts them in C instead of one unicodedata call per character.
    ranges, start = [], None
    for code in range(sys.maxunicode + 2):
        wide = code <= sys.maxunicode and unicodedata.east_asian_width(chr(code)) in "WF"
        if wide and start is None:
            start = code
        elif not wide and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return re.compile(f"[{''.join(ranges)}]")


# -- writing --------------------------------------------------------------------------------


def new_workbook():
    """Return an empty write-only workbook for ``write_sheet``: rows stream to the file as
    they are written instead of becoming cell objects (a 10,000-department workbook holds
    over a million cells)."""
    return openpyxl.Workbook(write_only=True)


def write_sheet(workbook, title, headers, rows):
    """Add a sheet titled ``title`` to a ``new_workbook()`` and write ``headers`` and ``rows``
    to it, as people read spreadsheets.

    Bold frozen headers with filters on; each column as wide as its longest line (a Chinese
    character counts double), up to MAX_WIDTH; long text wraps. Text stays text: a value that
    starts like a formula is written as a string cell with Excel's quote prefix, so it is
    neither run on opening nor when the cell is edited, and it reads back unchanged.
    """
    sheet = workbook.create_sheet(sheet_title(title))
    headers = [str(header) for header in headers]
    rows = [[None if value == "" else value for value in row] for row in rows]
    # Column widths and the filter's range go before the rows in the file: measure first.
    widths = [display_width(header) for header in headers]
    for row in rows:
        for column, value in enumerate(row):
            if value is not None:
                widths[column] = max(widths[column], _longest_line(value))
    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last_column = get_column_letter(max(len(headers), 1))
    sheet.auto_filter.ref = f"A1:{last_column}{len(rows) + 1}"

    bold = Font(bold=True)
    sheet.append([_cell(sheet, header, font=bold) for header in headers])
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        # A plain text goes in as it is (openpyxl writes a str as a string cell unless it
        # starts with "="); one that starts like a formula or wraps needs a cell of its own.
        sheet.append(
            [
                _cell(sheet, value, alignment=wrap if _wraps(value) else None)
                if isinstance(value, str) and (value.startswith(FORMULA_STARTS) or _wraps(value))
                else value
                for value in row
            ]
        )
    return sheet


def _longest_line(value) -> int:
    if isinstance(value, str):
        return max(map(display_width, value.splitlines() or [""]))
    return display_width(value)


def _wraps(text) -> bool:
    # A character is at most two widths wide: a short text cannot be too wide.
    return len(text) * 2 > MAX_WIDTH and _longest_line(text) > MAX_WIDTH


def sheet_title(text) -> str:
    # Excel's limits: 31 characters, none of []:*?/\
    title = "".join("-" if char in "[]:*?/\\" else char for char in str(text))
    return title[:31]


def _cell(sheet, text, *, font=None, alignment=None):
    """A string cell: never a formula, whatever it starts with (openpyxl would take a text
    that starts with "=" for one)."""
    cell = WriteOnlyCell(sheet)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def workbook_bytes(workbook) -> bytes:
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# -- formats --------------------------------------------------------------------------------


class SafeCSV(base_formats.CSV):
    """CSV whose cells cannot run as formulas in a spreadsheet program, and read back as written.

    A text cell that starts like a formula (= + - @, a tab or a return) or with an apostrophe
    is written with an apostrophe in front, which spreadsheet programs show as text (the OWASP
    advice); the import takes exactly one leading apostrophe off again.
    """

    def export_data(self, dataset, **kwargs):
        escaped = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            escaped.append([_escape_csv(value) for value in row])
        return escaped.export("csv", **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        rows = [[_unescape_csv(value) for value in row] for row in dataset]
        return tablib.Dataset(*rows, headers=dataset.headers)


def _escape_csv(value):
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, "'")):
        return "'" + value
    return value


def _unescape_csv(value):
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


class SafeXLSX(base_formats.XLSX):
    """xlsx written with ``write_sheet`` (text stays text, frozen headers, fitting widths).

    On import it reads the sheet named ``sheet_names`` (the model's plural in any language) when
    the workbook has one, so the whole-organisation workbook imports sheet by sheet; otherwise
    the first sheet. ``more_sheets`` names the sheets of the other models the same admin
    imports (a team's members): the dataset carries them in ``sheets``, by model label, and
    ``OrgResource.import_data`` takes its own.
    """

    sheet_names: frozenset = frozenset()
    more_sheets: dict = {}
    title = ""

    def export_data(self, dataset, **kwargs):
        workbook = new_workbook()
        write_sheet(workbook, self.title or dataset.title or "Sheet", dataset.headers, dataset)
        return workbook_bytes(workbook)

    def create_dataset(self, in_stream):
        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        by_name = {normalised(sheet.title): sheet for sheet in book.worksheets}

        def named(names):
            return next((by_name[n] for n in map(normalised, names) if n in by_name), None)

        dataset = _read_sheet(named(self.sheet_names) or book.active)
        dataset.sheets = {
            label: _read_sheet(sheet)
            for label, names in self.more_sheets.items()
            if (sheet := named(names)) is not None
        }
        book.close()
        return dataset


def _read_sheet(sheet):
    """Return an openpyxl sheet as a tablib dataset: its first row the headers, empty rows left.

    The sheet is as wide as its headers or the cells that hold something, whichever is wider:
    a cell under no header gets an empty header, which the import refuses as an unknown column
    (as it does in a CSV file) instead of dropping what the cell says. Empty columns after the
    last header, which spreadsheet programs often keep, are left out.
    """
    rows = sheet.iter_rows(values_only=True)
    headers = ["" if value is None else str(value) for value in next(rows, [])]
    while headers and not headers[-1]:
        headers.pop()
    filled = []
    for row in rows:
        values = list(row)
        while values and not _holds_something(values[-1]):
            values.pop()
        if values:
            filled.append(values)
    width = max([len(headers), *map(len, filled)])
    headers += [""] * (width - len(headers))
    dataset = tablib.Dataset(headers=headers)
    for values in filled:
        dataset.append(values + [None] * (width - len(values)))
    return dataset


def _holds_something(value) -> bool:
    return value not in (None, "")


def formats_for(model, *more_models):
    """Return the import and export formats of ``model``: xlsx (its sheet) and CSV.

    ``more_models`` are the other models its admin imports: an xlsx upload reads their sheets
    too, so each of the admin's resources imports its own sheet of one workbook.
    """
    plural = model._meta.verbose_name_plural
    more = {
        other._meta.label: frozenset(in_every_language(other._meta.verbose_name_plural))
        for other in more_models
    }
    xlsx = type(
        f"{model.__name__}XLSX",
        (SafeXLSX,),
        {"sheet_names": frozenset(in_every_language(plural)), "title": plural, "more_sheets": more},
    )
    return [xlsx, SafeCSV]


# -- widgets and fields ---------------------------------------------------------------------


class CodeWidget(widgets.ForeignKeyWidget):
    """Another row, named by its code; an unknown code is the row's error, not a crash."""

    def __init__(self, model):
        super().__init__(model, field="code")

    def get_queryset(self, value, row, *args, **kwargs):
        return self.model._base_manager.all()

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                gettext("There is no %(model)s with the code “%(code)s”.")
                % {"model": self.model._meta.verbose_name, "code": value}
            ) from None


class TextWidget(widgets.CharWidget):
    """Text as written, an empty cell as empty text (never None, never "None")."""

    def __init__(self):
        super().__init__(allow_blank=True)

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)


class WholeNumberWidget(widgets.IntegerWidget):
    """A whole number or an empty cell; anything else (3.5 too) is the row's error.

    Excel stores every number as a float, so its 3.0 is 3.
    """

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip())
            if number != number.to_integral_value():
                raise ValueError
            return super().clean(number, row, **kwargs)
        except Exception:
            message = gettext("“%(value)s” is not a whole number.") % {"value": value}
            raise ValueError(message) from None


class PositionWidget(WholeNumberWidget):
    """An order stored from 0, written from 1 (the first duty is number 1)."""

    def clean(self, value, row=None, **kwargs):
        number = super().clean(value, row, **kwargs)
        if number is None or number < 1:
            raise ValueError(gettext("Number the rows from 1."))
        return number - 1

    def render(self, value, obj=None, **kwargs):
        return None if value is None else value + 1


class ActiveWidget(widgets.BooleanWidget):
    """Active (1, true, yes, 是) or archived (0, false, no, 否); anything else is an error."""

    TRUE = {"1", "true", "yes", "y", "是"}
    FALSE = {"0", "false", "no", "n", "否"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = normalised("" if value is None else value)
        if text.endswith(".0"):
            text = text[:-2]
        if text in self.TRUE or text in {normalised(v) for v in in_every_language(_("yes"))}:
            return True
        if text in self.FALSE or text in {normalised(v) for v in in_every_language(_("no"))}:
            return False
        raise ValueError(gettext("Write 1 for active or 0 for archived."))


def column(attribute, label, widget=None):
    """Return a column of ``attribute``, headed ``label`` (a lazy translation)."""
    return fields.Field(attribute=attribute, column_name=label, widget=widget or TextWidget())


class TranslatedColumn(fields.Field):
    """One language's column of a translated text: ``name`` (simplified Chinese, the source),
    ``name_en`` or ``name_zh_hant`` (orgportal/i18n.py).

    Another language's column holds a text of its own only. The export writes it so (never the
    traditional text that the portal converts automatically), and on import a cell that says
    what the portal shows anyway without one (the simplified text, or for traditional Chinese
    its automatic conversion) leaves the text the portal's own. So a workbook read in English or
    繁體中文, whose cells fall back to Chinese where nothing is translated, imports unchanged.
    """

    def __init__(self, text, language, label, aliases=()):
        super().__init__(
            attribute=i18n.column(text, language), column_name=label, widget=TextWidget()
        )
        self.text = text
        self.language = language
        self.aliases = aliases

    def fallback(self, instance) -> str:
        """Return what the portal shows in this language when it has no text of its own."""
        source = getattr(instance, i18n.column(self.text, i18n.SOURCE_LANGUAGE)) or ""
        if self.language == i18n.TRADITIONAL_LANGUAGE:
            return i18n.to_traditional(source)
        return source

    def get_value(self, instance):
        value = getattr(instance, self.attribute, None) or ""
        if self.language != i18n.SOURCE_LANGUAGE and value == self.fallback(instance):
            return ""
        return value

    def save(self, instance, row, is_m2m=False, **kwargs):
        value = self.clean(row, **kwargs) or ""
        if self.language != i18n.SOURCE_LANGUAGE and value == self.fallback(instance):
            value = ""
        setattr(instance, self.attribute, value)


def text_columns(model, text):
    """Return the columns of the translated ``text`` of ``model``, one per content language,
    in the order of i18n.CONTENT_LANGUAGES: ``name, name_en, name_zh_hant = text_columns(…)``.

    Each is headed "<field> (<language>)" in the reader's language; the source's column also
    answers to the field's bare name ("部门名称"), as files written before translations had it.
    """
    verbose_name = model._meta.get_field(text).verbose_name
    return tuple(
        TranslatedColumn(
            text,
            language,
            lazy(i18n.localized_verbose_name, str)(verbose_name, language),
            aliases=(verbose_name,) if language == i18n.SOURCE_LANGUAGE else (),
        )
        for language in i18n.CONTENT_LANGUAGES
    )


def text_keys(*texts):
    """Return the resource keys of the translated ``texts``: name, name_en, name_zh_hant…"""
    return [
        text if language == i18n.SOURCE_LANGUAGE else i18n.column(text, language)
        for text in texts
        for language in i18n.CONTENT_LANGUAGES
    ]


def text_key(text, language=None):
    """Return the resource key of ``text`` in ``language`` (the interface's by default)."""
    language = i18n.content_language(language)
    return text if language == i18n.SOURCE_LANGUAGE else i18n.column(text, language)


class ReadOnlyColumn(fields.Field):
    """A column that the whole-organisation workbook adds for readers (a path, a count).

    The admin's export leaves it out and the import accepts and ignores it, so that the
    workbook imports unchanged.
    """

    def __init__(self, label):
        super().__init__(attribute=None, column_name=label, readonly=True)


class MarkedDiff(resources.Diff):
    """The preview's changes marked with <ins> and <del> (import.css colours them), without
    the style attributes of diff-match-patch's HTML, which the content security policy refuses.
    """

    def as_html(self):
        cells = []
        matcher = diff_match_patch()
        for old, new in zip(self.left, self.right, strict=True):
            if old != new and self.new:
                old = ""
            changes = matcher.diff_main(force_str(old), force_str(new))
            matcher.diff_cleanupSemantic(changes)
            tags = {matcher.DIFF_INSERT: "ins", matcher.DIFF_DELETE: "del"}
            cells.append(
                format_html_join(
                    "",
                    "<{}>{}</{}>",
                    ((tags.get(op, "span"), text, tags.get(op, "span")) for op, text in changes),
                )
            )
        return cells


# -- resources ------------------------------------------------------------------------------


class OrgResource(resources.ModelResource):
    """A model's rows keyed by ``code``, imported in one transaction through ``save()``.

    ``references`` names the field whose codes point at other rows of the same model (a
    department's parent, a role's reports-to): those rows are imported first.
    """

    references = None

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        use_bulk = False
        skip_html_diff = False

    @classmethod
    def get_display_name(cls):
        return str(cls._meta.model._meta.verbose_name_plural)

    def get_diff_class(self):
        return MarkedDiff

    def import_data(self, dataset, *args, **kwargs):
        # An admin that imports several models reads each one's own sheet (SafeXLSX).
        dataset = getattr(dataset, "sheets", {}).get(self._meta.model._meta.label, dataset)
        return super().import_data(dataset, *args, **kwargs)

    # Columns.

    def get_export_fields(self, selected_fields=None):
        return [
            field
            for field in super().get_export_fields(selected_fields)
            if not isinstance(field, ReadOnlyColumn)
        ]

    def get_import_fields(self):
        return [
            field for field in super().get_import_fields() if not isinstance(field, ReadOnlyColumn)
        ]

    def column_aliases(self):
        """Return every way a file may head each column: field name, label in any language.

        This language's labels win over field names, and those over other languages' labels
        (in English the role title's column is "role", which is also the role code's name), and
        those over a column's older names (``aliases``).
        """
        aliases = {}
        for field in self.fields.values():
            for other_name in getattr(field, "aliases", ()):
                for alias in in_every_language(other_name):
                    aliases[normalised(alias)] = field
        for field in self.fields.values():
            for alias in in_every_language(field.column_name):
                aliases[normalised(alias)] = field
        for name, field in self.fields.items():
            aliases[normalised(name)] = field
        for field in self.fields.values():
            aliases[normalised(field.column_name)] = field
        return aliases

    def label_of(self, name):
        field = self.fields.get(name)
        if field is None:
            field = next((f for f in self.fields.values() if f.attribute == name), None)
        return str(field.column_name) if field is not None else name

    # The import.

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # A key that names nothing (an unknown role code): the row is new, and reading
            # its columns reports the field's error.
            return None

    def before_import(self, dataset, **kwargs):
        self.name_columns(dataset)
        self.order_rows(dataset)
        self.find_repeats(dataset)

    def name_columns(self, dataset):
        """Head each column as this language does; refuse columns nobody would read."""
        aliases = self.column_aliases()
        headers, unknown, seen = [], [], set()
        for header in dataset.headers or []:
            field = aliases.get(normalised(header or ""))
            if field is None:
                unknown.append(str(header))
                headers.append(header)
                continue
            label = str(field.column_name)
            if label in seen:
                raise ValidationError(
                    gettext("The column “%(column)s” appears twice.") % {"column": label}
                )
            seen.add(label)
            headers.append(label)
        if unknown:
            known = ", ".join(str(field.column_name) for field in self.fields.values())
            raise ValidationError(
                gettext(
                    "Unknown columns: %(unknown)s. Nothing in them would be imported; remove "
                    "or rename them. The columns are: %(known)s."
                )
                % {"unknown": ", ".join(f"“{name}”" for name in unknown), "known": known}
            )
        dataset.headers = headers

    def order_rows(self, dataset):
        """Put each row after the rows of the file it refers to; note cycles as errors.

        ``self.file_rows`` maps the new order back to the file's (0-based) row order.
        """
        self.file_rows = list(range(len(dataset)))
        self.cycles = {}
        if not self.references or not len(dataset):
            return
        key = str(self.fields[self.get_import_id_fields()[0]].column_name)
        ref = str(self.fields[self.references].column_name)
        if key not in dataset.headers or ref not in dataset.headers:
            return
        key_at, ref_at = dataset.headers.index(key), dataset.headers.index(ref)
        rows = list(dataset)
        codes = [_code(row[key_at]) for row in rows]
        first = {}
        for index, code in enumerate(codes):
            first.setdefault(code, index)
        order, placed = [], set()
        for start in range(len(rows)):
            chain, index = [], start
            while index is not None and index not in placed and index not in chain:
                chain.append(index)
                target = first.get(_code(rows[index][ref_at]))
                index = target if target is not None and codes[index] else None
            if index is not None and index in chain:
                cycle = chain[chain.index(index) :]
                path = " → ".join(codes[i] for i in [*cycle, cycle[0]])
                for member in cycle:
                    self.cycles[codes[member]] = path
            for member in reversed(chain):
                placed.add(member)
                order.append(member)
        for _row in range(len(dataset)):
            dataset.lpop()
        for index in order:
            dataset.append(rows[index])
        self.file_rows = order

    def find_repeats(self, dataset):
        """Note every row whose key (``import_id_fields``) a row above it in the file has too.

        Otherwise the second row would overwrite the first, and what the first says would be
        lost. ``self.repeats`` maps a repeat's place in the ordered dataset (0-based) to the
        spreadsheet's number of the first row with its key.
        """
        self.repeats = {}
        keys = [self.fields[name] for name in self.get_import_id_fields()]
        labels = [str(field.column_name) for field in keys]
        if not len(dataset) or not set(labels) <= set(dataset.headers or []):
            return
        at = [dataset.headers.index(label) for label in labels]
        rows = list(dataset)
        first = {}
        for position in sorted(range(len(rows)), key=self.file_rows.__getitem__):
            key = tuple(
                _key_part(field, rows[position][column])
                for field, column in zip(keys, at, strict=True)
            )
            if None in key:
                continue  # A row without its key has an error of its own.
            if key in first:
                self.repeats[position] = first[key]
            else:
                first[key] = self.file_rows[position] + FIRST_DATA_ROW

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        keys = [self.fields[name] for name in self.get_import_id_fields()]
        cycle = getattr(self, "cycles", {}).get(_code(row.get(str(keys[0].column_name))))
        if cycle:
            # Said instead of "no such code": the codes exist, in rows that wait for each other.
            errors[self.fields[self.references].attribute] = [
                gettext("These rows refer to each other in a circle: %(cycle)s.") % {"cycle": cycle}
            ]
        first = getattr(self, "repeats", {}).get(kwargs.get("row_number", 0) - 1)
        if first is not None:
            key = get_text_list([str(field.column_name) for field in keys], gettext("and"))
            errors.setdefault(keys[0].attribute, []).append(
                gettext("The same %(key)s as row %(row)d.") % {"key": key, "row": first}
            )
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Validate as the model does; a column that could not be read reports that alone."""
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=validate_unique)
        except ValidationError as error:
            for name, found in error.update_error_dict({}).items():
                errors.setdefault(name, found)
        if errors:
            raise ValidationError(errors)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        self.report_in_file_order(result)

    def report_in_file_order(self, result):
        """Number rows as the spreadsheet does, list them in its order, label the errors."""
        file_rows = getattr(self, "file_rows", None) or list(range(result.total_rows))
        for invalid in result.invalid_rows:
            invalid.number = file_rows[invalid.number - 1] + FIRST_DATA_ROW
            invalid.error_dict = {
                (name if name == NON_FIELD_ERRORS else self.label_of(name)): messages_
                for name, messages_ in invalid.error_dict.items()
            }
        result.invalid_rows.sort(key=lambda invalid: invalid.number)
        if len(result.rows) == len(file_rows):
            in_file = [None] * len(file_rows)
            for position, file_row in enumerate(file_rows):
                in_file[file_row] = result.rows[position]
            result.rows = in_file


def _code(value):
    return "" if value is None else str(value).strip()


def _key_part(field, value):
    """Return a key column's cell as the import reads it (a position 3 is 3.0 too), or None
    when it holds no key."""
    if isinstance(field.widget, WholeNumberWidget):
        try:
            return field.widget.clean(value)
        except ValueError:
            return None
    return _code(value) or None


# -- temporary files ------------------------------------------------------------------------


class ImportFileStorage(CacheStorage):
    """Keep an uploaded file between the preview and the confirmation in the "imports" cache.

    That cache is Redis when REDIS_URL is set, which every web container shares (several
    containers need it anyway), and otherwise the memory of the one process that serves the
    portal; see docs/deploy.md. A file is kept for an hour.
    """

    CACHE_LIFETIME = 60 * 60
    CACHE_PREFIX = "orgportal:import-file:"

    def save(self, data):
        if not self.name:
            self.name = uuid4().hex
        caches["imports"].set(self.CACHE_PREFIX + self.name, data, self.CACHE_LIFETIME)

    def read(self):
        return caches["imports"].get(self.CACHE_PREFIX + self.name)

    def remove(self):
        caches["imports"].delete(self.CACHE_PREFIX + self.name)

    @classmethod
    def is_kept(cls, name) -> bool:
        return caches["imports"].get(cls.CACHE_PREFIX + name) is not None


def validate_import_size(upload):
    if upload.size > MAX_IMPORT_BYTES:
        raise ValidationError(
            gettext("The file is larger than %(size)d MB; split it.")
            % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}
        )


# -- the admin ------------------------------------------------------------------------------


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import and export buttons for a model admin, with the portal's rules.

    Import needs the add and change permissions on the model, export the view permission.
    The preview writes nothing; the confirmation imports again in one transaction and, should
    a row fail now (the organisation changed meanwhile), writes nothing and shows why.
    """

    export_form_class = ExportForm
    import_template_name = "admin/orgportal/import.html"
    to_encoding = "utf-8-sig"  # with a BOM, so that Excel opens Chinese CSV correctly
    import_error_display = ("message",)

    def get_import_formats(self):
        others = {resource._meta.model for resource in self.resource_classes} - {self.model}
        return formats_for(self.model, *sorted(others, key=lambda model: model._meta.label))

    def get_export_formats(self):
        return formats_for(self.model)

    def has_import_permission(self, request):
        opts = self.opts
        return request.user.has_perms(
            [
                f"{opts.app_label}.add_{opts.model_name}",
                f"{opts.app_label}.change_{opts.model_name}",
            ]
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = self.get_data_for_export(
            request,
            queryset,
            force_native_type=isinstance(file_format, SafeXLSX),
            **kwargs,
        )
        exported = file_format.export_data(data)
        encoding = kwargs.get("encoding")
        if not file_format.is_binary() and encoding:
            exported = exported.encode(encoding)
        return exported

    def get_export_filename(self, request, queryset, file_format):
        name = self.model._meta.verbose_name_plural
        return f"{name}-{localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def create_import_form(self, request):
        form = super().create_import_form(request)
        form.fields["import_file"].help_text = gettext(
            "An .xlsx or .csv file as the export writes it, at most %(size)d MB. Rows may come "
            "in any order; columns may be headed in any of the portal's languages."
        ) % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}
        form.fields["import_file"].validators.append(validate_import_size)
        return form

    def process_import(self, request, **kwargs):
        name = request.POST.get("import_file_name", "")
        if name and not ImportFileStorage.is_kept(name):
            self.message_user(
                request,
                gettext("The uploaded file is no longer kept; upload it again."),
                messages.ERROR,
            )
            return self.import_action(request)
        return super().process_import(request, **kwargs)

    def process_dataset(self, dataset, form, request, **kwargs):
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            context = self.admin_site.each_context(request)
            context.update(
                title=gettext("Import"),
                opts=self.model._meta,
                result=result,
                form=self.get_import_form_class(request)(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
                import_error_display=self.import_error_display,
                fields_list=[],
                failed_on_confirm=True,
            )
            request.current_app = self.admin_site.name
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)
