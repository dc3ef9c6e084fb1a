"""PostgreSQL: keep article rows narrow (large text out of line) and the title vector in line.

Search and listings walk many rows reading a few small columns; with bodies, HTML and token text stored out of line
a page holds several times more rows. Bodies are still read whole when an article page is rendered.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE kb_article SET (toast_tuple_target = 256)",
    "ALTER TABLE kb_article ALTER COLUMN title_vector SET STORAGE MAIN",
]
BACKWARD = [
    "ALTER TABLE kb_article RESET (toast_tuple_target)",
    "ALTER TABLE kb_article ALTER COLUMN title_vector SET STORAGE EXTENDED",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("kb", "0007_listing_indexes")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
