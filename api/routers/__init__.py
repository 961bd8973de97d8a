"""One module per resource, each a ninja `router`; mounted in api/api.py with one line."""
