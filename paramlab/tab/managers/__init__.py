"""The profile and series managers: named documents to list, edit, import and export."""
