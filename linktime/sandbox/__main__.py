"""``python -m linktime.sandbox``: serve the sandbox on its own port (manage.py run starts it)."""
from __future__ import annotations

import argparse
from pathlib import Path

from werkzeug.serving import run_simple

from linktime.config import sandbox_secrets
from linktime.logs import redact_secrets_in_logs
from linktime.sandbox import create_sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the sandbox (Zoom, Google Calendar and Meet, Outlook).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--webhook-url", default="http://127.0.0.1:5000/integrations/zoom/webhook")
    parser.add_argument("--instance", required=True,
                        help="LinkTime's instance folder: the sandbox's secrets are read (or made) there")
    args = parser.parse_args()
    redact_secrets_in_logs()  # its log shows OAuth states and codes too
    client_secret, webhook_secret = sandbox_secrets(Path(args.instance))
    print(f"Sandbox on http://{args.host}:{args.port}/sandbox", flush=True)
    app = create_sandbox(client_secret=client_secret, webhook_secret=webhook_secret, webhook_url=args.webhook_url)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
