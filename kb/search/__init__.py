"""Bilingual help-center search (see engine.py for the pipeline)."""
