"""Agents read the SLA policies and calendars with their rows (targets, escalation rules, working hours, holidays):
the desk's policy pages show them read-only."""

from django.db import migrations

from helpdesk import groups

ROWS = ["view_slatarget", "view_escalationrule", "view_workinghours", "view_holiday"]


def grant(apps, schema_editor):
    groups.grant(apps, "tickets", {"Agent": ROWS})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_desk_search")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
