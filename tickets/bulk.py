"""Set columns of many rows in one statement: UPDATE … FROM (VALUES …), for the sweep and clock recomputes.

Django's bulk_update builds a CASE expression per column and row, which costs more Python time than the database
takes to apply it (18 of 20 seconds of a 2,000-breach sweep); one VALUES list per batch is plain data.
"""

from itertools import batched

from django.db import connection


def bulk_set(model, rows, fields, *, batch_size=1000):
    """Write the `fields` of `rows` (saved instances of `model`) back to the database; returns the rows written."""
    columns = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"

    def placeholder(field):
        return f"%s::{field.cast_db_type(connection)}" if postgres else "%s"

    row_sql = "(" + ", ".join(placeholder(field) for field in [pk, *columns]) + ")"
    assignments = ", ".join(f"{quote(field.column)} = v.column{n}" for n, field in enumerate(columns, 2))
    table = quote(model._meta.db_table)
    match = f"{table}.{quote(pk.column)} = v.column1"
    written = 0
    with connection.cursor() as cursor:
        for chunk in batched(rows, batch_size):
            params = []
            for row in chunk:
                params.append(pk.get_db_prep_save(row.pk, connection))
                params.extend(field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns)
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v WHERE {match}",
                params,
            )
            written += len(chunk)
    return written
