"""Attachments: what a customer may upload, how it is cleaned, stored and served.

`accept` decides by content, never by name or the client's content type: PNG, JPEG, WebP and GIF images (re-encoded,
so metadata and anything appended are gone), PDF without scripts, actions or embedded files, and plain text (through
the secrets guard). `store` writes the files for an action; `download_response` serves one as a download.
"""

import functools
import hashlib
import io
import re
import secrets
import unicodedata
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from helpdesk.i18n import pick
from tickets import secretguard

MAX_FILES = 5
MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_TOTAL_SIZE = 25 * 1024 * 1024
# Text runs through the secrets guard (about 0.7 s for 256 KB on one core): a log or a note, not a data dump.
MAX_TEXT_SIZE = 256 * 1024
# Checked from the header before any pixel is decoded: 40 megapixels (a 160 MB RGBA frame) is the most we decode.
MAX_PIXELS = 40_000_000
MAX_NAME_LENGTH = 120
ORPHAN_AGE = timedelta(hours=1)

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}
ACCEPTED_TYPES = tuple(EXTENSIONS)  # what a file input's `accept` and the API's ticket types announce
# Markup or script a browser (or a viewer sniffing the content) would run: never inside an accepted file.
MARKUP = re.compile(
    rb"<\s*(?:script|html|iframe|object|embed|body|head|meta|style|!doctype|!entity)\b|<\s*svg[\s>/]"
    rb"|javascript:|vbscript:",
    re.IGNORECASE,
)
# In a text file also: XML, and an event-handler attribute ("onload=", "onerror ="), markup read as a page.
TEXT_MARKUP = re.compile(r"<\?xml|<!\[CDATA\[|\bon[a-z]{3,20}\s*=", re.IGNORECASE)
# A GIF whose header is also a JavaScript statement ("GIF89a/*…*/=alert(1)"): the classic image/script polyglot.
GIF_SCRIPT = re.compile(rb"GIF8[79]a\s*(?:/\*|=|//)")
# PDF dictionary keys that run something or carry other files.
# Links (/URI) are allowed: statements and receipts have them, and a download runs nothing.
PDF_DANGERS = {"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA",
               "/SubmitForm", "/ImportData", "/GoToE"}  # fmt: skip
# Also searched in the raw bytes (objects a viewer may find that the trailer does not reach); long names only, so
# compressed data does not match by chance.
PDF_RAW_DANGERS = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)\b")
PDF_MAX_OBJECTS = 50_000
# Control characters that do not belong in a text file (tab, newline, carriage return and form feed do).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Upload:
    """A file `accept` found acceptable, cleaned: its bytes as they will be stored and served."""

    name: str
    content_type: str
    data: bytes
    secrets_removed: tuple[str, ...] = ()

    @property
    def size(self):
        return len(self.data)

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()


def digest(uploaded):
    """The SHA-256 of an uploaded file as sent, read in chunks; the upload's read position is left where it was."""
    position = uploaded.tell()
    sha = hashlib.sha256()
    for chunk in uploaded.chunks():
        sha.update(chunk)
    uploaded.seek(position)
    return sha.hexdigest()


def required_error(problem_type, language=None):
    """The error for a ticket of `problem_type` sent without a file although the type requires one."""
    hint = pick(problem_type.attachment_hints, language).rstrip(".。 ")
    if hint:
        return ValidationError(_("Attach %(hint)s."), code="required", params={"hint": hint})
    return ValidationError(_("Attach at least one file."), code="required")


def check_required(problem_type, uploads, language=None):
    """Refuse a ticket without files when its problem type requires one (the form and the API alike)."""
    if problem_type.attachment_required and not uploads:
        raise required_error(problem_type, language)


def _refused(message, code, name, **params):
    return ValidationError(message, code=code, params={"name": name, **params})


def accept(uploaded_files):
    """The cleaned Upload of each uploaded file, or a ValidationError listing every refusal (with a code each).

    1. At most MAX_FILES files, each at most MAX_FILE_SIZE and together at most MAX_TOTAL_SIZE (checked on the
       sizes the upload reports, before reading anything).
    2. Each file's content decides what it is: an image, a PDF or plain text; anything else is refused.
    3. Images are re-encoded, PDFs checked for active content, text passed through the secrets guard.
    """
    files = [f for f in uploaded_files if f is not None]
    if len(files) > MAX_FILES:
        raise ValidationError(
            ngettext_lazy(
                "Attach at most %(limit)d file to one message.", "Attach at most %(limit)d files to one message.",
                "limit",
            ),
            code="too_many",
            params={"limit": MAX_FILES},
        )  # fmt: skip
    errors, uploads = [], []
    if sum(f.size or 0 for f in files) > MAX_TOTAL_SIZE:
        raise ValidationError(
            _("Your files add up to more than %(limit)s MB: send fewer or smaller files."),
            code="total_too_large",
            params={"limit": MAX_TOTAL_SIZE // (1024 * 1024)},
        )
    for uploaded in files:
        # The name is customer text too: a secret typed into it is redacted like one in the file.
        guarded = secretguard.redact(display_name(getattr(uploaded, "name", "") or ""))
        name = display_name(guarded.text)
        try:
            accepted = _accept_one(uploaded, name)
        except ValidationError as error:
            errors.extend(error.error_list)
            continue
        if guarded:
            kinds = tuple(secretguard.ordered([*accepted.secrets_removed, *guarded.kinds]))
            accepted = replace(accepted, secrets_removed=kinds)
        uploads.append(accepted)
    if errors:
        raise ValidationError(errors)
    return uploads


def _read(uploaded, name):
    size = uploaded.size or 0
    if size > MAX_FILE_SIZE:
        raise _refused(
            _("%(name)s is larger than %(limit)s MB."), "too_large", name, limit=MAX_FILE_SIZE // (1024 * 1024)
        )
    uploaded.seek(0)
    data = uploaded.read(MAX_FILE_SIZE + 1)
    if len(data) > MAX_FILE_SIZE:  # the reported size was wrong
        raise _refused(
            _("%(name)s is larger than %(limit)s MB."), "too_large", name, limit=MAX_FILE_SIZE // (1024 * 1024)
        )
    if not data:
        raise _refused(_("%(name)s is empty."), "empty", name)
    return data


def _accept_one(uploaded, name):
    data = _read(uploaded, name)
    if data.startswith(b"%PDF-"):
        return _pdf(data, name)
    if image := _image(data, name):
        return image
    return _text(data, name)


def _unsupported(name):
    return _refused(
        _("%(name)s is not a file type we accept. Send a PNG, JPEG, WebP or GIF image, a PDF, or a plain text file."),
        "unsupported",
        name,
    )


def _markup(name):
    return _refused(
        _("%(name)s contains web page code (HTML, SVG or script) and cannot be accepted. Send a screenshot instead."),
        "markup",
        name,
    )


def _image(data, name):
    """The re-encoded image, None when `data` is no image format we accept, or a ValidationError.

    Pillow reads only the header on open; the pixel limit is checked before `load()` decodes anything. Only the first
    frame of an animation is kept, and no metadata (EXIF, GPS, XMP, comments, ICC profile) is copied.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except UnidentifiedImageError:
        return None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:  # a malformed header may raise anything from a plugin: damaged, never a server error
        raise _refused(_("%(name)s is damaged or not a complete image."), "damaged", name) from None
    with image:
        if image.width * image.height > MAX_PIXELS or image.width < 1 or image.height < 1:
            raise _too_many_pixels(name)
        if GIF_SCRIPT.match(data) or MARKUP.search(data):
            raise _markup(name)
        # A phone's multi-picture JPEG (MPO) is a JPEG whose first picture is the photo.
        fmt = "JPEG" if image.format == "MPO" else image.format
        if fmt not in IMAGE_FORMATS:
            raise _unsupported(name)
        content_type = IMAGE_FORMATS[fmt]
        try:
            image.seek(0)
            image.load()
            frame = ImageOps.exif_transpose(image) if fmt == "JPEG" else image.copy()
            out = io.BytesIO()
            _save(frame, fmt, out)
        except Exception:  # likewise for a decoder meeting damaged data
            raise _refused(_("%(name)s is damaged or not a complete image."), "damaged", name) from None
    return Upload(_with_extension(name, content_type), content_type, out.getvalue())


def _too_many_pixels(name):
    return _refused(
        _("%(name)s has more than %(limit)s million pixels: send a screenshot or a smaller picture."),
        "too_many_pixels",
        name,
        limit=MAX_PIXELS // 1_000_000,
    )


def _save(frame, fmt, out):
    """Write `frame` afresh in its own format, without any of the original's metadata."""
    frame.info = {key: value for key, value in frame.info.items() if key in ("transparency",)}
    if fmt == "JPEG":
        if frame.mode not in ("RGB", "L", "CMYK"):
            frame = frame.convert("RGB")
        frame.save(out, "JPEG", quality=90, exif=b"", icc_profile=None)
    elif fmt == "PNG":
        frame.save(out, "PNG", exif=b"", icc_profile=None)
    elif fmt == "WEBP":
        if frame.mode not in ("RGB", "RGBA"):
            frame = frame.convert("RGBA" if "A" in frame.getbands() else "RGB")
        frame.save(out, "WEBP", quality=90, exif=b"", icc_profile=None, xmp=b"")
    else:
        frame.save(out, "GIF", save_all=False)


def _pdf(data, name):
    """The PDF as sent, if it parses and holds no JavaScript, launch or submit actions, or embedded files."""
    if MARKUP.search(data):
        raise _markup(name)
    if PDF_RAW_DANGERS.search(data):
        raise _active_pdf(name)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refused(_("%(name)s is password-protected: send it without a password."), "encrypted", name)
        if len(reader.pages) < 1:
            raise _damaged_pdf(name)
        # Walk every object reachable from the trailer: keys hidden in compressed object streams are found too.
        seen, stack = set(), [reader.trailer]
        while stack:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                if len(seen) > PDF_MAX_OBJECTS:
                    raise _damaged_pdf(name)
                item = item.get_object()
            if isinstance(item, DictionaryObject):
                if PDF_DANGERS & set(item.keys()) or item.get("/S") in PDF_DANGERS:
                    raise _active_pdf(name)
                stack.extend(item.values())
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    except ValidationError:
        raise
    except Exception:  # pypdf meeting a malformed file may raise anything: damaged, never a server error
        raise _damaged_pdf(name) from None
    return Upload(_with_extension(name, "application/pdf"), "application/pdf", data)


def _damaged_pdf(name):
    return _refused(_("%(name)s is damaged or not a complete PDF."), "damaged", name)


def _active_pdf(name):
    return _refused(
        _("%(name)s contains scripts, links that open other programs or embedded files. Send a screenshot instead."),
        "active_pdf",
        name,
    )


def _text(data, name):
    """Plain text in UTF-8 (with or without BOM) or GB18030, redacted by the secrets guard, stored as UTF-8."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unsupported(name)
    if CONTROL.search(text):
        raise _unsupported(name)
    if len(data) > MAX_TEXT_SIZE:
        raise _refused(
            _("%(name)s is a text file larger than %(limit)s KB."), "too_large", name, limit=MAX_TEXT_SIZE // 1024
        )
    if MARKUP.search(text.encode()) or TEXT_MARKUP.search(text):
        raise _markup(name)
    result = secretguard.redact(text)
    return Upload(_with_extension(name, "text/plain"), "text/plain", result.text.encode(), result.kinds)


def display_name(name):
    """The client's file name made safe to show and to offer as a download name: no path, no controls, short."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ").strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:10] if dot and stem else ""
        name = name[: MAX_NAME_LENGTH - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return name or "file"


def _with_extension(name, content_type):
    """The display name ending in the extension of what the file really is (a `.html` sent as PNG ends `.png`)."""
    extension = EXTENSIONS[content_type]
    stem, dot, current = name.rpartition(".")
    if dot and stem and "." + current.lower() in {extension, ".jpeg"} and content_type != "text/plain":
        return name
    if content_type == "text/plain" and dot and stem and current.lower() in {"txt", "log", "csv", "md", "json"}:
        return name[: -len(current)] + "txt" if current.lower() != "txt" else name
    return (stem if dot and stem else name)[: MAX_NAME_LENGTH - len(extension)] + extension


# Storage ---------------------------------------------------------------------------------------------------------


def storage():
    return storages["attachments"]


def new_stored_name():
    """A random name for a stored file, two directory levels deep (no directory grows past a few thousand files)."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}"


_written = ContextVar("attachments_written", default=None)


def files_follow_transaction(action):
    """Decorate an action (outside its @transaction.atomic) so files it stored are deleted when it fails.

    Files written by a call that raises (its transaction rolled back) are removed at once; an action decorated so
    around it hands its files on, to be removed if the outer one fails. A rollback further out, after the outermost
    action returned, leaves files without rows, which `remove_orphans` deletes after ORPHAN_AGE.
    """

    @functools.wraps(action)
    def run(*args, **kwargs):
        outer, written = _written.get(), []
        token = _written.set(written)
        try:
            result = action(*args, **kwargs)
        except BaseException:
            for name in written:
                storage().delete(name)
            raise
        finally:
            _written.reset(token)
        if outer is not None:
            outer.extend(written)
        return result

    return run


def store(*, ticket, message, uploads):
    """Write each upload's file and create its Attachment row on `message` (inside the calling action)."""
    from tickets.models import Attachment

    rows = []
    for upload in uploads:
        name = storage().save(new_stored_name(), ContentFile(upload.data))
        if (written := _written.get()) is not None:
            written.append(name)
        rows.append(
            Attachment(
                ticket=ticket,
                message=message,
                stored_name=name,
                original_name=upload.name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                secrets_removed=list(upload.secrets_removed),
            )
        )
    return Attachment.objects.bulk_create(rows)


def secrets_in(uploads):
    """The kinds of secret the guard removed from any of the uploads, in the guard's order."""
    return secretguard.ordered(kind for upload in uploads for kind in upload.secrets_removed)


def _stored_names(top=""):
    try:
        directories, files = storage().listdir(top)
    except FileNotFoundError:  # nothing stored yet
        return
    for name in files:
        yield f"{top}/{name}" if top else name
    for directory in directories:
        yield from _stored_names(f"{top}/{directory}" if top else directory)


def remove_orphans(*, now=None, older_than=ORPHAN_AGE):
    """Delete stored files that no Attachment row names and that are older than `older_than`; returns how many.

    Younger files may belong to a transaction still running. Rows are looked up a thousand names at a time.
    """
    from tickets.models import Attachment

    cutoff = (now or timezone.now()) - older_than
    removed, batch = 0, []

    def flush():
        nonlocal removed
        known = set(Attachment.objects.filter(stored_name__in=batch).values_list("stored_name", flat=True))
        for name in batch:
            if name not in known:
                storage().delete(name)
                removed += 1
        batch.clear()

    for name in _stored_names():
        try:
            if storage().get_modified_time(name) >= cutoff:
                continue
        except FileNotFoundError:
            continue
        batch.append(name)
        if len(batch) >= 1000:
            flush()
    if batch:
        flush()
    return removed


# Serving ---------------------------------------------------------------------------------------------------------

DOWNLOAD_CSP = "default-src 'none'; sandbox"


def download_response(attachment):
    """The attachment as a download: RFC 6266 file name, no sniffing, a sandboxing CSP, never cached by others.

    A row whose file is missing is the same 404 as no row.
    """
    try:
        handle = storage().open(attachment.stored_name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404(_("No such file.")) from None
    content_type = attachment.content_type
    if content_type == "text/plain":
        content_type += "; charset=utf-8"  # text is stored as UTF-8 whatever it was sent in
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, no_store=True)
    return response
