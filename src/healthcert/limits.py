"""Limits on every input, in one place, so that every format enforces the same bounds."""

# A QR code holds at most ~4.3 kB; 8 KiB leaves room for a JSON seal and a chunked card.
MAX_INPUT_BYTES = 8 * 1024
# A certificate's payload is a few hundred bytes; anything larger after inflating is an attack.
MAX_DECOMPRESSED_BYTES = 64 * 1024
# DCCs nest four levels deep; sixteen allows every legitimate payload and stops stack abuse.
MAX_NESTING_DEPTH = 16
# The deprecated chunked SMART Health Card form. Issuers no longer chunk, but legacy cards in
# many small chunks exist: the bound is the most chunks that fit in MAX_INPUT_BYTES. Chunk i of
# n >= 100 is at least "shc:/" + i + "/" + n + "/" + one digit pair + one separator, that is
# 13 + len(str(i)) bytes: 9 * 14 + 90 * 15 + (n - 99) * 16 - 1 (no separator after the last)
# is 8179 bytes for n = 518 and 8195, over 8192, for n = 519.
MAX_QR_CHUNKS = 518
# A batch line or an image file to read a payload from.
MAX_IMAGE_BYTES = 16 * 1024 * 1024
# A database row id: PostgreSQL's integer ends at 2^31 - 1 (SQLite's at 2^63 - 1); an id past
# it names no row, and is refused before a query would fail on it.
MAX_ROW_ID = 2**31 - 1
