"""What the handlers of both OCPP versions share: what a handler is given and returns
(:mod:`~processors.core.decision`), the station's state and how events change it
(:mod:`~processors.core.state`), the Pipe of CSMS-initiated calls (:mod:`~processors.core.pipe`,
:mod:`~processors.core.calls`, :mod:`~processors.core.results`), and the rules of
registration, authorization, meter values and transactions."""
