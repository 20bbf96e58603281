"""Light certificates (``HCL1:``): who the holder is and until when a certificate of theirs
holds, with no health data, for domestic use."""
