"""The CSMS composition root: settings, logging and the ``csms`` command line."""
