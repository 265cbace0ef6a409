"""The command line's building blocks (layer 7): output, live fetching, recording,
cassettes, timing, the HTML report and batch checks.  The public import paths
stay :mod:`sseproto.cli`, :mod:`sseproto.check` and :mod:`sseproto.transcript`.
"""
