# fakeapi: the fake Anthropic Messages API behind scripts/fake-anthropic.
#
# Design note: gao-dev's integration tests and its demo run with no network,
# so this package stands in for https://api.anthropic.com on loopback. It is
# deliberately strict (it rejects what the real API rejects) and plays
# scripted conversations from a scenario file, statelessly: the turn to play
# is derived from the request itself, so retries and concurrent agents work.
#
#   errors.py    ApiError and the error body shape
#   validate.py  strict request validation (400 / 404 with useful messages)
#   scenario.py  scenario file loading, conversation matching, expectations,
#                fault selection
#   tokens.py    token estimates and the server-wide prompt-cache model
#   render.py    Message objects and the server-sent event sequence
#   server.py    HTTP/1.1 server, headers, faults, recording
#   cli.py       command line, startup checks, signals
#
# Only the Python 3.11 standard library is used.
