"""Problem-type fields become rows (ProblemField); the JSON definitions are kept as `legacy_fields` until 0004."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_starter_problem_types")]

    operations = [
        migrations.RenameField("problemtype", "fields", "legacy_fields"),
        migrations.CreateModel(
            name="ProblemField",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="Key the value is stored under, e.g. txid (lowercase, digits, _).", max_length=40, verbose_name="name")),
                ("kind", models.CharField(choices=[("text", "Short text"), ("textarea", "Long text"), ("choice", "Choice"), ("coin", "Coin"), ("network", "Network"), ("amount", "Amount"), ("txid", "Transaction ID (TxID)"), ("address", "Address"), ("memo", "Memo / tag"), ("uid", "Account UID"), ("email", "Email"), ("datetime", "Date and time")], max_length=20, verbose_name="kind")),
                ("required", models.BooleanField(default=False, verbose_name="required")),
                ("position", models.PositiveIntegerField(default=0, verbose_name="position")),
                ("labels", models.JSONField(default=dict, help_text="Label per language code.", verbose_name="labels")),
                ("helps", models.JSONField(blank=True, default=dict, verbose_name="help texts")),
                ("choices", models.JSONField(blank=True, default=list, help_text='For choice fields: [{"value": …, "label": {…}}].', verbose_name="choices")),
                ("problem_type", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="fields", to="tickets.problemtype", verbose_name="problem type")),
            ],
            options={
                "verbose_name": "field",
                "verbose_name_plural": "fields",
                "ordering": ["position", "id"],
                "constraints": [models.UniqueConstraint(fields=("problem_type", "name"), name="tickets_field_unique_name")],
            },
        ),
    ]
