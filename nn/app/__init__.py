"""The application layer: the ``chaingrad`` command line, its training recipes and the demo.

Built on the ``chaingrad.nn`` library and apart from it: nothing in the library imports this.
``cli`` parses the command line; ``runs`` holds what every recipe shares (config, result,
optimizers and schedules by name, the files a run writes); ``recipes`` trains the image models
and dispatches, ``text_models`` trains and samples the character models; ``demo`` is the
scalar ``Value`` walk-through. Imports run one way: cli → recipes → text_models → runs.
"""
