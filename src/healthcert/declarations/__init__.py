"""Health declarations: a traveller abroad files one before travelling home, and the post that
covers their country of residence reviews it (``intake``: a declaration's body, evidence
and documents, validated and stored; ``filing``: stored, then reviewed by the system;
``review``: the consular queue and decisions; ``status``: the status model and history;
``precheck``: the automatic check of the evidence against the destination's policy, pure: it
reads no database and no service)."""
