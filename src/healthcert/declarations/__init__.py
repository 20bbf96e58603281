"""Health declarations: a traveller abroad files one before travelling home, and the post that
covers their country of residence reviews it (``intake``: filing, evidence, documents;
``review``: the consular queue and decisions; ``status``: the status model and history;
``precheck``: the automatic check of the evidence against the destination's policy)."""
