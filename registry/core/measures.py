"""The application's measurements (Prometheus collectors) that every layer may record into;
``registry.metrics`` serves them at ``/metrics``."""

from __future__ import annotations

import os

from prometheus_client import Counter, Histogram, values

if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and \
        not os.path.isdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]):
    # A command run outside the service that creates the directory (`registry db upgrade` on a
    # fresh node, with the shared environment file): nothing serves its measurements, so it
    # keeps them in this process instead of failing on the missing directory.
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]
    values.ValueClass = values.MutexValue

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUEST_SECONDS = Histogram("registry_http_request_seconds", "Request latency",
                            ["endpoint", "method", "status"],
                            buckets=(.005, .01, .025, .05, .1, .15, .25, .5, 1, 2.5, 5, 10))
SIGN_IN_EVENTS = Counter("registry_sign_in_events_total", "Sign-ins, refusals and sign-outs",
                         ["event", "reason"])
VALIDATION_SECONDS = Histogram("registry_certificate_validation_seconds",
                               "Certificate validation at sign-in",
                               buckets=(.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
SIGNATURE_SECONDS = Histogram("registry_signature_check_seconds", "Document signature checks",
                              ["mode"], buckets=(.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60))
