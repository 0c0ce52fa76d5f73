"""Reference data has no forms of its own; the wizard's forms use its validators."""
