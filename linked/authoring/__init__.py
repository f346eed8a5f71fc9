"""Writing editions in the console: the one writer of edition files, articles, images,
revisions, approval and state.

Edition files stay the truth (``editions/<slug>/``). :mod:`files` is the only module that
writes them (atomically, compare-and-swap on a version token); :mod:`articles` edits an
edition in the documented format; :mod:`images` cleans and stores uploads; :mod:`revisions`
keeps every save; :mod:`approval` is the four-eyes rule; :mod:`status` says what state an
edition is in.
"""
