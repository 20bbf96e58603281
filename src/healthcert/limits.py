"""Limits on every input, in one place, so that every format enforces the same bounds."""

# A QR code holds at most ~4.3 kB; 8 KiB leaves room for a JSON seal and a chunked card.
MAX_INPUT_BYTES = 8 * 1024
# A certificate's payload is a few hundred bytes; anything larger after inflating is an attack.
MAX_DECOMPRESSED_BYTES = 64 * 1024
# DCCs nest four levels deep; sixteen allows every legitimate payload and stops stack abuse.
MAX_NESTING_DEPTH = 16
# The deprecated chunked SMART Health Card form; the framework never needs more than a few.
MAX_QR_CHUNKS = 16
# A batch line or an image file to read a payload from.
MAX_IMAGE_BYTES = 16 * 1024 * 1024
