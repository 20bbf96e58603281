"""Health declarations: what returning travellers declare (residence abroad, employer, trip,
evidence, health answers) for a consulate to review, and the automatic pre-check of it."""
