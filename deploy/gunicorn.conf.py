"""gunicorn settings for the registry behind nginx (deploy/nginx/registry.conf).

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

gunicorn listens on a unix socket that only nginx can open: the socket is created mode 0660
(umask below) and owned by the registry's user and group, and nginx's user is the one other
member of that group (`usermod -a -G registry www-data`). The application believes the
certificate header only on this channel (REGISTRY_TRUSTED_PROXIES=unix); a process that is
neither the registry nor nginx cannot connect at all, and a header arriving by any other route
is ignored and logged. deploy/gunicorn.service creates the socket's directory.

Configuration of the application itself comes from the environment (DATABASE_URL, SECRET_KEY,
REGISTRY_*); see README.md.
"""

import multiprocessing
import os

bind = os.environ.get("REGISTRY_BIND", "unix:/run/registry/gunicorn.sock")
# Socket file mode 0660: the owner (the registry) and its group (which nginx joins) only.
umask = 0o117
# One process per core: a request is mostly Python (templates, the ORM), which one process runs
# on one core at a time, and nginx needs its share of the cores too. On 2 cores `bench.http`
# measured 2 workers x 4 threads at least as fast as 5 x 4 or 3 x 2, with a lower p99 (a busy
# machine; re-run `python -m bench.http --workers N --threads M` on yours).
workers = int(os.environ.get("REGISTRY_WORKERS", max(2, multiprocessing.cpu_count())))
# Threaded workers: nginx buffers slow clients, and a thread waiting on the database, an upload
# or a signature check no longer leaves /healthz and every other page queued behind it (with two
# sync workers, two slow requests stopped the node; tests/deploy/test_large_uploads.py). Long
# checks run in the job queue. Four threads cover the database waits on PostgreSQL; more only
# add contention for the interpreter lock.
worker_class = os.environ.get("REGISTRY_WORKER_CLASS", "gthread")
threads = int(os.environ.get("REGISTRY_THREADS", "4"))
timeout = 30
graceful_timeout = 20
max_requests = 10000
max_requests_jitter = 1000

# The application alone decides which proxy headers to believe (REGISTRY_TRUSTED_PROXIES):
# gunicorn must not rewrite the URL scheme from headers on its own.
secure_scheme_headers = {}
forwarded_allow_ips = ""
# Drop headers whose names contain underscores, so X_SSL_Client_Cert cannot pose as
# X-SSL-Client-Cert.
header_map = "drop"
# nginx's URL-escaped client certificate grows with RSA keys and long subjects.
limit_request_field_size = 16384

# When nginx runs on another host, gunicorn listens on TCP with mutual TLS: it accepts only
# connections presenting a certificate of REGISTRY_PROXY_CA (nginx's proxy_ssl_certificate),
# and nginx adds X-Registry-Proxy-Secret (REGISTRY_PROXY_SECRET). See deploy/README.md.
if os.environ.get("REGISTRY_PROXY_TLS_CERT"):
    certfile = os.environ["REGISTRY_PROXY_TLS_CERT"]
    keyfile = os.environ["REGISTRY_PROXY_TLS_KEY"]
    ca_certs = os.environ["REGISTRY_PROXY_CA"]
    cert_reqs = 2  # ssl.CERT_REQUIRED

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("REGISTRY_LOG_LEVEL", "info").lower()


def child_exit(server, worker):
    # /metrics under gunicorn: with PROMETHEUS_MULTIPROC_DIR set, drop a dead worker's gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
