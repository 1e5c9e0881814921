"""Every learner-facing string has its Spanish and Arabic translation, and the compiled catalogs match."""
import gettext
from pathlib import Path

import polib
import pytest

pytestmark = pytest.mark.any_database  # catalogs on disk

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = [ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("es", "ar")] + [
    ROOT / "frontend" / "locale" / lang / "LC_MESSAGES" / "djangojs.po" for lang in ("es", "ar")
]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_string_is_translated_and_compiled(path):
    po = polib.pofile(str(path))
    assert len(po) > 30
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()
    compiled = gettext.GNUTranslations(path.with_suffix(".mo").open("rb"))
    for entry in po:
        if not entry.msgid_plural:
            assert compiled.gettext(entry.msgid) == entry.msgstr, f"{path.with_suffix('.mo')} is stale: recompile"
