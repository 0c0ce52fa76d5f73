"""Organization documents: uploads, storage, signature verification, the application."""
