"""Documents and applications, one concern per module (each imports only those above it):

* ``store`` — the file store and removing files no row points at;
* ``checks`` — checking a document's file and signature;
* ``uploads`` — the organization's documents: listing, adding, attaching, deleting;
* ``expiry`` — documents about to expire: notices and e-mails;
* ``applications`` — applications: built, signed by the head, submitted.

Importers name the module (``from ..documents.services.store import files_root``).
"""
