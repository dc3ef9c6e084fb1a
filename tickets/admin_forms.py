"""Admin forms: problem types (each field a row, labels per language, choices as lines), SLA policies, and the agent
desk's ticket page and bulk actions."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpdesk.i18n import language_codes
from helpdesk.i18n_forms import TranslatedTextsMixin, add_translated_fields
from tickets import actions
from tickets import fields as field_kinds
from tickets.forms import attachments_field
from tickets.models import ProblemField, ProblemType, Queue, SLAPolicy, Ticket

SEPARATOR = "|"


def choices_as_lines(choices):
    """[{"value": "spot", "label": {"zh-hans": "现货", "en": "Spot"}}] → "spot | 现货 | Spot" lines."""
    lines = []
    for choice in choices or []:
        labels = choice.get("label") or {}
        lines.append(
            f" {SEPARATOR} ".join([choice.get("value", ""), *(labels.get(code, "") for code in language_codes())])
        )
    return "\n".join(lines)


def lines_as_choices(text):
    """The inverse of `choices_as_lines`; a ValidationError names the line that is wrong."""
    choices = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        value, *labels = (part.strip() for part in line.split(SEPARATOR))
        if not value:
            raise forms.ValidationError(_("Line %(n)s: start with the stored value, e.g. spot."), params={"n": number})
        if len(labels) > len(language_codes()):
            raise forms.ValidationError(
                _("Line %(n)s: one value and at most one label per language, separated by |."), params={"n": number}
            )
        names = {code: label for code, label in zip(language_codes(), labels, strict=False) if label}
        choices.append({"value": value, "label": names})
    return choices


class ProblemFieldForm(TranslatedTextsMixin, forms.ModelForm):
    translated = {"labels": "label", "helps": "help"}

    choice_lines = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 36}),
    )

    class Meta:
        model = ProblemField
        fields = ("position", "name", "kind", "required")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("choice_lines", choices_as_lines(self.instance.choices))
        # Interpolated per request, so the text follows the staff member's language.
        self.fields["choice_lines"].help_text = _("Choice fields only: one per line, value | %(languages)s.") % {
            "languages": " | ".join(name for _code, name in settings.LANGUAGES)
        }

    def clean_choice_lines(self):
        return lines_as_choices(self.cleaned_data["choice_lines"])

    def clean(self):
        cleaned = super().clean()
        self.instance.choices = cleaned.get("choice_lines") or []
        return cleaned

    def _update_errors(self, errors):
        # The model reports on `choices`, which this form edits as lines.
        if hasattr(errors, "error_dict") and "choices" in errors.error_dict:
            errors.error_dict["choice_lines"] = errors.error_dict.pop("choices")
        super()._update_errors(errors)


add_translated_fields(ProblemFieldForm, "label", _("Label"), required_default=True, textarea=False)
add_translated_fields(ProblemFieldForm, "help", _("Help"), required_default=False, textarea=False, max_length=300)


class ProblemFieldFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = [
            form.instance
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if errors := field_kinds.rows_errors(rows):
            raise forms.ValidationError(errors)


class ProblemTypeForm(TranslatedTextsMixin, forms.ModelForm):
    translated = {"names": "name", "descriptions": "description", "attachment_hints": "attachment_hint"}

    class Meta:
        model = ProblemType
        fields = ("slug", "queue", "position", "active", "attachment_required")


add_translated_fields(ProblemTypeForm, "name", _("Name"), required_default=True, textarea=False)
add_translated_fields(ProblemTypeForm, "description", _("Description"), required_default=False, textarea=True)
add_translated_fields(
    ProblemTypeForm, "attachment_hint", _("Attachment hint"), required_default=False, textarea=False, max_length=200
)


# The agent desk


OPEN_STATUSES = [(value, label) for value, label in Ticket.Status.choices if value not in Ticket.DONE]


class SLAPolicyForm(forms.ModelForm):
    """A policy with its pause statuses as checkboxes (stored as a list of status values)."""

    resolution_pauses = forms.MultipleChoiceField(
        label=_("Statuses that pause resolution"),
        choices=OPEN_STATUSES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    next_response_pauses = forms.MultipleChoiceField(
        label=_("Statuses that pause next response"),
        choices=OPEN_STATUSES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "name", "position", "active", "queue", "problem_type", "priority", "customer_tier", "calendar",
            "resolution_pauses", "next_response_pauses", "warn_before_minutes", "warn_at_percent",
        ]  # fmt: skip


class CannedReplySelect(forms.Select):
    """Each option carries its reply, filled in for this ticket, for the script that inserts it."""

    def __init__(self, texts, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts = texts

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.texts:
            option["attrs"]["data-text"] = self.texts[str(value)]
        return option


def _textarea(rows):
    return forms.Textarea(attrs={"rows": rows, "cols": 80})


class WorkForm(forms.Form):
    """Everything the ticket page lets an agent do; each button uses its own boxes (admin_views.ticket_page)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    canned = forms.ChoiceField(label=_("Canned reply"), required=False)
    reply = forms.CharField(label=_("Reply to the customer"), required=False, strip=False, widget=_textarea(8))
    reply_status = forms.ChoiceField(label=_("With the reply, set the status to"), required=False)
    note = forms.CharField(label=_("Internal note"), required=False, strip=False, widget=_textarea(4))
    status = forms.ChoiceField(label=_("Status"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody"))
    escalate_reason = forms.CharField(label=_("Why escalate"), required=False, widget=_textarea(2))
    escalate_queue = forms.ModelChoiceField(
        label=_("Move to queue"), queryset=Queue.objects.all(), required=False, empty_label=_("Keep the queue")
    )
    escalate_assignee = forms.ModelChoiceField(
        label=_("Give to"), queryset=None, required=False, empty_label=_("Keep the assignee")
    )
    de_escalate_reason = forms.CharField(label=_("Why de-escalate"), required=False, widget=_textarea(2))

    FILE_FIELDS = ("reply_files", "note_files")

    def __init__(self, data=None, files=None, *, ticket, agent, canned_replies):
        super().__init__(
            data,
            files,
            initial={
                "version": ticket.version,
                "status": ticket.status,
                "priority": ticket.priority,
                "assignee": ticket.assignee_id,
            },
        )
        for name in self.FILE_FIELDS:  # built now, so their help text is in the language of this request
            self.fields[name] = attachments_field()
        self.texts = {str(reply.pk): reply.render(ticket=ticket, agent=agent) for reply in canned_replies}
        self.fields["canned"].choices = [("", _("Choose a canned reply")), *((r.pk, r.title) for r in canned_replies)]
        self.fields["canned"].widget = CannedReplySelect(self.texts, choices=self.fields["canned"].choices)
        # Fields accept every value and offer the ones that fit the ticket now: a form loaded before someone else's
        # change then reaches the action, which answers with the Conflict message instead of "not a valid choice".
        following = [s for s in Ticket.Status if ticket.can_become(s)]
        self.fields["status"].choices = Ticket.Status.choices
        self.fields["status"].widget.choices = [
            (s.value, s.label) for s in Ticket.Status if s in {ticket.status, *following}
        ]
        self.fields["reply_status"].choices = [("", ""), *Ticket.Status.choices]
        self.fields["reply_status"].widget.choices = [("", _("as it is (a new ticket becomes open)"))] + [
            (s.value, s.label) for s in following if s != Ticket.Status.CLOSED
        ]
        workers = actions.workers([ticket.queue_id])
        if ticket.assignee_id:  # someone who has left the queue still shows as the current assignee
            workers = workers.model.objects.filter(Q(pk__in=workers.values("pk")) | Q(pk=ticket.assignee_id))
        self.fields["assignee"].queryset = workers.model.objects.filter(is_active=True, is_staff=True)
        self.fields["assignee"].widget.choices = [
            ("", _("Nobody")),
            *((u.pk, str(u)) for u in workers.order_by("username")),
        ]
        self.fields["escalate_assignee"].queryset = actions.workers(Queue.objects.values("pk"))

    def files_dropped(self):
        """Whether files were chosen on a form that came back with errors: a browser never refills a file input."""
        return bool(self.is_bound and self.errors and any(self.files.getlist(name) for name in self.FILE_FIELDS))

    def canned_text(self):
        """The chosen canned reply's text, or None."""
        return self.texts.get(self.cleaned_data.get("canned") or "")


class BulkAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=None, required=False, empty_label=_("Nobody (unassign)")
    )

    def __init__(self, data=None, *, queue_ids):
        super().__init__(data)
        self.fields["assignee"].queryset = actions.workers(queue_ids)


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Ticket.Status.choices)


class BulkPriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("New priority"), choices=Ticket.Priority.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500, widget=_textarea(2))


class BulkEscalateForm(forms.Form):
    reason = forms.CharField(label=_("Why escalate"), max_length=2000, widget=_textarea(3))
    queue = forms.ModelChoiceField(
        label=_("Move to queue"), queryset=Queue.objects.all(), required=False, empty_label=_("Keep the queue")
    )


class MergeForm(forms.Form):
    keep = forms.TypedChoiceField(label=_("Ticket to keep"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, data=None, *, tickets):
        super().__init__(data)
        self.fields["keep"].choices = [(t.pk, f"{t.reference} · {t.subject}") for t in tickets]
