"""Fill English translations into the catalogue from a JSON file {msgid: msgstr}: `make i18n` adds new
msgids with empty strings, and this writes the ones a person (or a reviewer) has translated."""

from __future__ import annotations

import json
import sys

from babel.messages.pofile import read_po, write_po

PO = "app/locale/en/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        strings = json.load(fh)
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="en")
    for msgid, msgstr in strings.items():
        message = catalog.get(msgid)
        if message is None:
            continue
        # plural entries: {"singular": [one, many]}; a plain string there would be split into characters
        if message.pluralizable and not isinstance(msgstr, list):
            raise SystemExit(f"{msgid!r} has a plural: give [one, many], not a string")
        message.string = tuple(msgstr) if isinstance(msgstr, list) else msgstr
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=76, sort_output=True, omit_header=False)


if __name__ == "__main__":
    main(sys.argv[1])
