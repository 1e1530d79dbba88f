"""The application layer: the ``chaingrad`` command line, its training recipes and the demo.

Built on the ``chaingrad.nn`` library and apart from it: nothing in the library imports this.
"""
