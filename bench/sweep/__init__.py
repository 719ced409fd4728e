"""The sweep, split by job: ``plan`` (expand, resolve, check, all before measuring), ``measure`` (one
point's warmups and repetitions through the one timing path, built whole into a ``Point``) and
``checkpoint`` (the result document written atomically after every point). ``bench.runner`` drives them.
"""
