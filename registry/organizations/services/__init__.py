"""Registering an organization and editing its profile, one concern per module (each imports
only those above it):

* ``rules`` — the profile's rules that need the classifier or span fields;
* ``egrul_check`` — what ЕГРЮЛ says: the head, an ended organization, warnings, units;
* ``wizard`` — the draft: steps, what was typed, saving, navigation, the final review;
* ``queries`` — reading organizations for pages and other domains;
* ``history`` — differences between profile versions;
* ``search`` — the first step: finding the organization and starting a draft;
* ``operations`` — registering an organization and applying an edit.

Importers name the module (``from ..organizations.services.queries import ...``).
"""
