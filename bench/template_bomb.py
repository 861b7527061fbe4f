"""Time the check of an e-mail template before it is saved, for ordinary templates and for bombs.

    python bench/template_bomb.py [--runs 5]

Each template goes through `render.check_template` (what the « E-mails » tab and « Modèles
d'e-mails » call for each subject and body) in an app on a throwaway SQLite database, `--runs` times;
prints the median and the slowest run in milliseconds and the message (nothing is written anywhere).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from flask_babel import force_locale

from trainadmin import create_app
from trainadmin.models import EmailAnchor, EmailKind
from trainadmin.services.notifications.render import check_template

LOOPS = "{% for a in session.code * 999 %}{% for b in session.code * 999 %}{% for c in session.code * 999 %}"
NESTED = LOOPS + "{% endfor %}{% endfor %}{% endfor %}"
CASES = {
    "ordinary convocation": "Bonjour {{ participant.first_name }},\n{% for s in sequences %}"
    "{{ s.label }} : {{ s.dates|join(', ') }} — {{ s.place }}\n{% endfor %}",
    "three nested loops": NESTED,
    "three nested loops writing text": LOOPS + "x{% endfor %}{% endfor %}{% endfor %}",
    "the same behind an if false for the sample": "{% if session.code == 'ZZZ' %}" + NESTED + "{% endif %}",
    "('a'*9999*9999*9999)|length": "{{ ('a'*9999*9999*9999)|length }}",
    "'x'.ljust(10**9)": "{{ 'x'.ljust(10**9) }}",
    "'%999999999s' % 'x'": "{{ '%999999999s' % 'x' }}",
    "'{:>1000000000}'.format('x')": "{{ '{:>1000000000}'.format('x') }}",
    "macro doubling 2**40 calls": "{% macro m(n) %}{% if n %}{{ m(n-1) }}{{ m(n-1) }}{% endif %}"
    "{% endmacro %}"
    "{{ m(40) }}",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                "SECRET_KEY": "bench",
                "TRAINADMIN_STORAGE": folder,
            }
        )
        with app.app_context(), force_locale("fr"):
            print(f"{'template':48} {'median ms':>10} {'max ms':>8}  message")
            for name, body in CASES.items():
                times, errors = [], {}
                for _ in range(args.runs):
                    started = time.perf_counter()
                    errors = check_template(EmailKind.CONVOCATION, EmailAnchor.SEQUENCE_START, "Objet", body)
                    times.append((time.perf_counter() - started) * 1000)
                message = errors.get("body", "accepted")
                print(f"{name:48} {statistics.median(times):10.0f} {max(times):8.0f}  {message}")


if __name__ == "__main__":
    main()
