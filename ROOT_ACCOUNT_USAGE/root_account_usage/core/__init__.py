"""The pure core: parse, decide, word the annotation; every input is an argument."""
