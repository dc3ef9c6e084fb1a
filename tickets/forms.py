"""Customer ticket forms: the fixed fields plus the problem type's own, every value through the secrets guard first."""

import re
import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import pick
from kb.models import Article
from tickets import attachments, secretguard
from tickets import fields as field_kinds
from tickets.models.ratings import COMMENT_MAX, SCORE_WORDS

SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_submission_key():
    return secrets.token_urlsafe(32)


class SubmissionKeyField(forms.CharField):
    """The random key a rendered form carries, so that sending it twice makes one ticket (or reply), not two."""

    def __init__(self, **kwargs):
        super().__init__(required=False, widget=forms.HiddenInput, **kwargs)

    def clean(self, value):
        """Anything but a well-formed key counts as none (a new submission), never as an error."""
        value = super().clean(value)
        return value if SUBMISSION_KEY.match(value) else ""


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.Field):
    """Up to `attachments.MAX_FILES` files, checked and cleaned by `attachments.accept`; cleans to a list of Uploads.

    A form sent back with an error elsewhere cannot show the chosen files again (browsers never refill a file
    input): the form's `files_dropped` says so, and the page asks the customer to choose them again.
    """

    widget = MultipleFileInput

    def __init__(self, *, required_error=None, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.required_error = required_error
        self.widget.attrs.setdefault("accept", ",".join(attachments.ACCEPTED_TYPES))

    def to_python(self, data):
        if data is None:
            return []
        return [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]

    def validate(self, value):
        if self.required and not value:
            raise self.required_error or forms.ValidationError(self.error_messages["required"], code="required")

    def clean(self, value):
        value = self.to_python(value)
        self.validate(value)
        return attachments.accept(value) if value else []


class GuardedForm(forms.Form):
    """A form of customer text: every submitted value passes the secrets guard before it is validated.

    Free text keeps a marker where a secret was; a structured field (TxID, address, UID…) that held a secret is
    emptied and marked as an error. Either way the re-rendered form never shows the secret again, and `removed`
    tells the view what to warn the customer about.
    """

    free_text = frozenset()  # names of the free-text fields; the others are structured
    contexts = {}  # field name → secrets guard context ("txid", "address", "memo"); free text by default
    # The kinds removed when this form was sent before and came back with errors: the secret was exposed then, so
    # the ticket is flagged even though the text sent now is clean. Only known kind names count.
    earlier_removed = forms.CharField(required=False, widget=forms.HiddenInput)

    def full_clean(self):
        if self.is_bound and not hasattr(self, "removed"):
            self.data, self.removed = self._guarded(self.data)
        super().full_clean()
        for name, kinds in getattr(self, "removed", {}).items():
            if name in self.fields and name not in self.free_text and name != "earlier_removed":
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("We removed a %(what)s from this field: never share it with anyone. Enter %(label)s here."),
                        code="secret",
                        params={"what": secretguard.LABELS[kinds[0]], "label": self.fields[name].label},
                    ),
                )

    def _guarded(self, data):
        data, removed = data.copy(), {}
        earlier = [kind for kind in str(data.get("earlier_removed", "")).split(",") if kind in secretguard.KINDS]
        if earlier:
            removed["earlier"] = earlier
        for name in self.fields:
            if name == "earlier_removed":
                continue
            value = data.get(name)
            if not isinstance(value, str) or not value:
                continue
            result = secretguard.redact(value, field=self.contexts.get(name, "text"))
            if result:
                removed[name] = list(result.kinds)
                data[name] = result.text if name in self.free_text else ""
        data["earlier_removed"] = ",".join(secretguard.ordered(kind for kinds in removed.values() for kind in kinds))
        return data, removed

    def error_summary(self):
        """(field id, label, first message) of every field in error, in form order, for the summary at the top."""
        return [(field.auto_id, field.label, field.errors[0]) for field in self.visible_fields() if field.errors]

    @property
    def secrets_removed(self):
        """The kinds of secret removed from any field, in the guard's order."""
        return tuple(secretguard.ordered(kind for kinds in getattr(self, "removed", {}).values() for kind in kinds))

    @property
    def files_dropped(self):
        """Whether files were sent with a form that came back with errors: they must be chosen again."""
        return bool(self.is_bound and self.files.getlist("attachments") and self.errors)

    def uploads(self):
        return self.cleaned_data.get("attachments") or []


def attachments_field(problem_type=None, language=None):
    """The files field: required, with the type's hint, when the problem type asks for a file."""
    limits = _("Up to %(count)s files (PNG, JPEG, WebP or GIF images, PDF, or plain text), %(size)s MB each.") % {
        "count": attachments.MAX_FILES,
        "size": attachments.MAX_FILE_SIZE // (1024 * 1024),
    }
    hint = pick(problem_type.attachment_hints, language) if problem_type else ""
    required = bool(problem_type and problem_type.attachment_required)
    return AttachmentsField(
        label=_("Attachments"),
        required=required,
        help_text=_("%(hint)s. %(limits)s") % {"hint": hint[:1].upper() + hint[1:].rstrip(".。 "), "limits": limits}
        if hint
        else limits,
        required_error=attachments.required_error(problem_type, language) if required else None,
    )


class TicketForm(GuardedForm):
    submission = SubmissionKeyField()
    name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        max_length=100,
        help_text=_("How our team should address you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email"),
        help_text=_("We reply to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    uid = forms.CharField(
        label=_("Your UID (optional)"),
        required=False,
        max_length=20,
        validators=[field_kinds.UID],
        help_text=_("The numeric ID on your account page. Never send your password."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-ticket-suggest": ""}),
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=10_000,
        help_text=_("What happened, when, and what you have tried. Do not include passwords, keys or 2FA codes."),
        widget=forms.Textarea(attrs={"rows": 7, "maxlength": 10_000}),
    )

    def __init__(self, problem_type, language, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.problem_type = problem_type
        self.rows = list(problem_type.fields.all())
        self.free_text = {"name", "subject", "description"}
        self.contexts = {}
        for row in self.rows:
            self.fields[row.name] = field_kinds.build_field(row, language)
            if row.kind in field_kinds.FREE_TEXT:
                self.free_text.add(row.name)
            elif row.kind in field_kinds.SECRET_CONTEXT:
                self.contexts[row.name] = field_kinds.SECRET_CONTEXT[row.kind]
        self.fields["attachments"] = attachments_field(problem_type, language)
        if not self.is_bound:
            self.initial["submission"] = new_submission_key()

    def clean(self):
        cleaned = super().clean()
        for name, error in field_kinds.check_transfer(self.rows, cleaned).items():
            self.add_error(name, error)
        return cleaned

    def type_values(self):
        """The problem type's submitted values as strings; empty optional fields are left out."""
        values = {}
        for row in self.rows:
            if row.name == "uid":
                continue
            value = self.cleaned_data.get(row.name)
            if value not in (None, ""):
                values[row.name] = field_kinds.as_text(value)
        return values


class ReplyForm(GuardedForm):
    submission = SubmissionKeyField()
    body = forms.CharField(
        label=_("Your reply"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 10_000}),
    )
    free_text = frozenset({"body"})

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["attachments"] = attachments_field()
        if not self.is_bound:
            self.initial["submission"] = new_submission_key()


class LookupForm(GuardedForm):
    """The address whose tickets to look up. A value far too long to be an address is dropped, not shown again."""

    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_("The address you entered on your tickets."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254}),
    )
    TOO_LONG = 1000

    def full_clean(self):
        too_long = self.is_bound and len(str(self.data.get("email", ""))) > self.TOO_LONG
        if too_long:
            self.data = self.data.copy()
            self.data["email"] = ""
        super().full_clean()
        if too_long:
            self._errors["email"] = self.error_class([_("This is too long to be an email address.")])


class RatingForm(GuardedForm):
    """The satisfaction rating: a score of 1-5 (required) and an optional comment."""

    score = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=list(SCORE_WORDS.items()),
        widget=forms.RadioSelect(attrs={"class": "rating-choice"}),
        error_messages={
            "required": _("Choose a score from 1 to 5."),
            "invalid_choice": _("Choose a score from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        help_text=_("What went well, or what should we do better? Do not include passwords, keys or 2FA codes."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
    )
    free_text = frozenset({"comment"})


class SolvedForm(forms.Form):
    """ "This solved my problem" under an article shown on the confirmation page."""

    article = forms.ModelChoiceField(
        queryset=Article.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose one of the articles shown."),
            "invalid_choice": _("That article is not available. Choose one of the articles shown."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = Article.objects.published()  # published as of now, not of start-up
