"""The Chinese catalogue translates every text the code marks for translation, and its compiled file is current."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries():
    """(flags, msgid, msgstrs) of every live entry of the catalogue (the header and obsolete entries left out)."""
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        text = "\n".join(line for line in lines if not line.startswith("#"))
        parts = re.split(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?|msgctxt) ", text, flags=re.M)[1:]
        fields = {}
        for key, value in zip(parts[::2], parts[1::2], strict=True):
            fields[key] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', value))
        if fields.get("msgid"):
            yield flags, fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")]


def test_every_text_has_a_chinese_translation_that_is_not_a_guess():
    untranslated = [msgid for flags, msgid, msgstrs in entries() if "fuzzy" in flags or not all(msgstrs)]
    assert untranslated == []


def test_the_compiled_catalogue_is_the_current_one():
    sample = [msgid for _flags, msgid, _msgstrs in entries() if "%" not in msgid and "\\" not in msgid][-20:]
    with translation.override("zh-hans"):
        assert all(translation.gettext(msgid) != msgid for msgid in sample)
