"""Shared fixtures. Settings: pubcredit.settings_test (PostgreSQL found by pubcredit.devdb)."""
