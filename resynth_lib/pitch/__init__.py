"""TODO package docstring: pitch"""
