"""FastAPI apps: the admin API (and later OCPI and billing) over the read models.

Built from its own configuration (:class:`api.app.ApiConfig`), never from the CLI's
settings. Reads come from the read store; writes are admin events and commands on Kafka.

Exception tree::

    AdminLogError (api.admin_log)
     ├── LogUnavailable      Kafka refused the event or command (nothing was written): 503
     └── ProjectionTimeout   on the log, but the read model has not shown it yet: 504
    NotApplicable (ValueError, api.commands)
                             a typed command with no message in the station's version: 409
"""
