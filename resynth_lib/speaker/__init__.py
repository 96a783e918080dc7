"""TODO package docstring: speaker"""
