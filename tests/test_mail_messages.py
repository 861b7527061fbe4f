"""E-mails as mail readers get them: the bytes the SMTP server on loopback received, read back with
the standard library's own parser (`email.message_from_bytes`, policy `default`), never with the
project's code — subjects exactly as typed, RFC 2047/5322-valid headers, 7-bit messages whose text
parts are quoted-printable, bodies unchanged, From, Date and Message-ID."""

from __future__ import annotations

import email
import random
import re
import string
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainadmin.services.notifications import delivery, mail_message, outbox, sending
from trainadmin.transaction import commit

from .delivery_support import due_schedule, published_session

# --- What « arrives as typed » means, and what a valid header is ---------------------------------

#: Runs of breaking white space (spaces, tabs, line breaks) become one space, none at either end;
#: non-breaking spaces (French typography: « … », « : ») stay as typed.
BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f\u2007]+")
ENCODED_WORD = re.compile(rb"=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=")


def as_typed(text: str) -> str:
    return BREAKING_SPACE.sub(" ", text).strip()


def header_section(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def header_problems(data: bytes) -> list[str]:
    """What makes the top-level headers invalid for RFC 5322 / RFC 2047 readers."""
    problems = []
    headers = header_section(data)
    for word in ENCODED_WORD.finditer(headers):
        if len(word.group(0)) > 75:
            problems.append(f"encoded word of {len(word.group(0))} characters: {word.group(0)!r}")
        if not word.group(3):
            problems.append(f"empty encoded word: {word.group(0)!r}")
        if word.group(2).lower() not in (b"q", b"b"):
            problems.append(f"unknown encoding: {word.group(0)!r}")
    for line in headers.split(b"\r\n"):
        if len(line) > 78:
            problems.append(f"header line of {len(line)} characters: {line!r}")
        if line[:1] in (b" ", b"\t") and not line.strip():
            problems.append("a folded line with only white space")
    return problems


def assert_seven_bit_with_short_lines(data: bytes) -> None:
    assert max(data) < 128, "8-bit bytes sent without 8BITMIME"
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


# --- The corpus of subjects --------------------------------------------------------------------

HAND_PICKED = [
    "Convocation : Management public— Paris",
    "Convocation : Management public — Paris",
    "Rappel : « Sécurité incendie » — salle Rhône, 12 €",
    "Invitation : Prévention des risques psychosociaux – Séquence 1",
    "Mise à jour : Gestion de projet – Atelier n°2",
    "Annulé : Œnologie et cœur de métier – Journée 1",
    "Votre formation commence lundi 15 mars 2027 à 9 h",
    "Évaluation à chaud : « Excel avancé » (INTRA)",
    "Formation « Excel avancé » : tableaux croisés dynamiques, Power Query, macros VBA et "
    "automatisation — Niveau 3",
    "Prévention des risques psychosociaux : repérer, écouter, orienter — session de printemps à Lyon "
    "(« Part-Dieu ») — 3 jours",
    "é" * 200,
    "€" * 200,
    "🎓" * 200,
    "œ" * 37 + " " + "Œ" * 37,
    "— « » — « » — « » —",
    "🎉 Fête de fin de session 🎉 — « Bravo » ✨",
    "Invitation : intergouvernementalisation" + "é" * 60,
    "anticonstitutionnellement" * 8,
    "x" * 100 + " é " + "y" * 90,
    "   Espaces au début et à la fin   ",
    "Deux  espaces,  puis\ttabulation\net retour à la ligne",
    "\n Convocation sur\r\nplusieurs lignes \n",
    "«\u00a0Sécurité\u00a0»\u00a0: espaces insécables\u202f!",
    "Coût : 1\u202f250,00\u00a0€ HT par participant",
    "=?utf-8?q?pi=C3=A8ge?= n'est pas un mot encodé",
    "Un _souligné_ et des =?= signes ?=",
    "\"Guillemets droits\" et 'apostrophes' et ’typographiques’",
    "<Balise> & entité &amp; « HTML »",
    "Ça commence : ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ àâäçéèêëîïôöùûüÿœæ",
    "1ʳᵉ séquence, 2ᵉ séquence, 3ᵉ séquence",
    "Café ☕, croissant 🥐 et drapeau 🇫🇷 — famille 👩‍👩‍👧",
    "e\u0301 combiné (e + accent aigu)",
    "ASCII only subject that is rather long and must be folded at its spaces without losing any of them",
    "Court",
    "A",
    "Île-de-France : Saint-Étienne, Besançon, Orléans, Nîmes, Angoulême, Compiègne, Châlons-en-Champagne",
    "100 % des participants — 0,5 jour — 3/4 d’heure",
    "Réunion d'équipe : Noël, août, naïve, façade, où, déjà, çà et là",
    "[2027-0042] Convocation — « Prise de parole en public » — Siège Paris, 5ᵉ étage",
    "Pré-requis : lire le « Guide du manager » (120 pages) avant le 1er juin",
    "…points de suspension… et tirets – — ‑ ‒",
    "(salle Rhône) [salle Saône] {salle Loire}".replace("{", "(").replace("}", ")"),
    "Formation; séparée, par: des signes! de? ponctuation.",
    "Sécurité     incendie",
    "Tab\tà\tl'intérieur",
]

# fmt: off
WORDS = [
    "Convocation", "Rappel", "Invitation", "Formation", "Séquence", "Sécurité", "incendie", "Management",
    "d'équipe", "Prévention", "risques", "psychosociaux", "Excel", "avancé", "Œnologie", "cœur", "métier",
    "Île-de-France", "Saint-Étienne", "à", "être", "façade", "Noël", "naïve", "août", "13€", "150,00", "n°",
    "1ʳᵉ", "2ᵉ", "—", "–", "«", "»", "…", "’", "l’équipe", "🎓", "📅", "✅", "🇫🇷",
    "anticonstitutionnellement", "ÉLÈVES", "ÇA", "Œuvre", "Paris", "Lyon", ":", "!", "?", ";", "(INTRA)",
    "[2027-0042]", "100", "%",
    "=?utf-8?q?x?=", "_souligné_", "a=b", "<b>", "&", "Ærø", "ñ", "ß", "Ÿ", "Ĳ", "€", "œ",
]
# fmt: on
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u202f", " — ", ", "]


def generated_subjects(count: int) -> list[str]:
    rng = random.Random(2027)
    subjects = []
    for _ in range(count):
        parts = [rng.choice([" ", "", ""])]
        while sum(map(len, parts)) < rng.randint(5, 230):
            parts += [rng.choice(WORDS), rng.choice(SEPARATORS)]
        subjects.append("".join(parts)[:200])
    return subjects


CORPUS = HAND_PICKED + generated_subjects(80)


def test_the_corpus_has_more_than_a_hundred_french_subjects():
    assert len({as_typed(s) for s in CORPUS}) >= 120
    assert all(len(s) <= 200 for s in CORPUS)
    assert sum(1 for s in CORPUS if any(ord(c) > 127 for c in s)) >= 100


def test_every_french_subject_arrives_exactly_as_typed(app, db, smtp):
    for typed in CORPUS:  # one rule of a kind per session: a session per subject
        due_schedule(published_session(participants=1), subject=typed, body="Bonjour,\n")

    counts = delivery.dispatch_tick(commit)

    assert counts["sent"] == len(CORPUS) and len(smtp.received) == len(CORPUS)
    arrived = []
    for item in smtp.received:
        assert header_problems(item.data) == []
        assert_seven_bit_with_short_lines(item.data)
        message = email.message_from_bytes(item.data, policy=default_policy)
        assert message["Subject"].defects == ()
        arrived.append(str(message["Subject"]))
    assert sorted(arrived) == sorted(as_typed(s) for s in CORPUS)


FRENCH = "àâäçéèêëîïôöùûüÿœæÀÂÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»—–’€…"
SUBJECT_PIECES = st.one_of(
    st.sampled_from(list(FRENCH)),
    st.sampled_from(list(string.ascii_letters + string.digits + " =?_.:,;!'\"()<>@[]%/")),
    st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u202f", "\u2028"]),
    st.sampled_from(["🎓", "🇫🇷", "👩‍👩‍👧", "e\u0301", "=?utf-8?q?", "?=", "anticonstitutionnellement"]),
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
)
SUBJECTS = st.lists(SUBJECT_PIECES, max_size=120).map(lambda pieces: "".join(pieces)[:200])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=SUBJECTS)
def test_any_subject_is_written_as_valid_headers_that_read_back_as_typed(app, typed):
    row = sending.OutgoingMessage(
        1, "key", "paul@example.com", None, typed, "Bonjour,\n", None, None, 0, None
    )
    with app.app_context():
        data = mail_message.build_message(row, "formation@example.com", {}).as_bytes()

    assert header_problems(data) == []
    assert_seven_bit_with_short_lines(data)
    message = email.message_from_bytes(data, policy=default_policy)
    assert str(message["Subject"]) == as_typed(typed)
    assert message["Subject"].defects == ()


# --- Bodies, sender, date ----------------------------------------------------------------------

LONG_LINE = (
    "Nous vous rappelons que la formation « Prévention des risques psychosociaux » se déroulera au "
    "Campus Lyon — Salle Rhône, 12 rue de la Soie, 69100 Villeurbanne ; l’accueil café commence à 8 h 30 "
    "et le déjeuner (végétarien sur demande, 15,50 €) est pris en charge par l’entreprise. Œuvrez bien ! "
)
BODY = (
    "Bonjour Élodie,\n"
    "\n" + LONG_LINE * 3 + "\n"
    "Ligne avec des espaces à la fin   \n"
    "\tLigne qui commence par une tabulation\n"
    ".\n"
    "From the trainer: « à bientôt »\n"
    "=?utf-8?q?pas_un_mot_encod=C3=A9?= et des signes = au milieu =\n"
    "Coût\u00a0: 1\u202f250,00\u00a0€ — 🎓 — e\u0301\n" + "x" * 300 + "\n"
    "\n"
    "Bien cordialement,\n"
    "Le service formation\n"
)


def test_bodies_arrive_unchanged_in_quoted_printable_without_8bit(app, db, smtp):
    session = published_session(participants=0)
    outbox.queue_message(
        dedup_key="test:body",
        kind="convocation",
        recipient="elodie@example.com",
        subject="Convocation",
        body=BODY,
        session_id=session.id,
    )

    assert delivery.dispatch_tick(commit)["sent"] == 1

    [item] = smtp.received
    assert_seven_bit_with_short_lines(item.data)
    message = email.message_from_bytes(item.data, policy=default_policy)
    # An ordinary e-mail stays one text/plain part.
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content().replace("\r\n", "\n") == BODY
    assert b"\nFrom " not in item.data  # mbox mailboxes would turn it into « >From »


def test_from_is_the_configured_sender_with_its_name_and_the_date_is_now(app, db, smtp, monkeypatch):
    name = "Service Formation — Groupe Rhône-Alpes Énergie & Cie (RH), « Lyon »"
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", f"{name} <formation@example.com>")
    session = published_session(participants=0)
    for n, recipient in enumerate(("paul@example.com", "anne@example.com")):
        outbox.queue_message(
            dedup_key=f"test:from:{n}",
            kind="convocation",
            recipient=recipient,
            subject="Convocation",
            body="Bonjour,\n",
            session_id=session.id,
        )
    before = datetime.now(UTC).replace(microsecond=0)

    assert delivery.dispatch_tick(commit)["sent"] == 2

    for item in smtp.received:
        assert item.mail_from == "formation@example.com"
        assert header_problems(item.data) == []
        message = email.message_from_bytes(item.data, policy=default_policy)
        [sender] = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (name, "formation@example.com")
        assert message["From"].defects == ()
        [to] = message["To"].addresses
        assert to.addr_spec in item.rcpt_tos
        sent_at = parsedate_to_datetime(message["Date"])
        assert sent_at.tzinfo is not None
        assert before - timedelta(seconds=1) <= sent_at <= datetime.now(UTC) + timedelta(seconds=1)
        assert re.fullmatch(r"<trainadmin\.\d+\.[0-9a-f]{16}@example\.com>", message["Message-ID"])
    assert len({item.message["Message-ID"] for item in smtp.received}) == 2


def test_an_ascii_sender_name_that_needs_quotes_reads_back_as_written(app, db, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", '"Formation (RH), Lyon" <formation@example.com>')
    session = published_session(participants=0)
    outbox.queue_message(
        dedup_key="test:from",
        kind="convocation",
        recipient="paul@example.com",
        subject="Convocation",
        body="Bonjour,\n",
        session_id=session.id,
    )

    assert delivery.dispatch_tick(commit)["sent"] == 1

    message = smtp.received[0].message
    [sender] = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Formation (RH), Lyon", "formation@example.com")


def test_an_address_smtp_cannot_carry_fails_its_message_with_a_reason_and_the_others_go(app, db, smtp):
    session = published_session(participants=0)
    rows = {
        recipient: outbox.queue_message(
            dedup_key=f"test:{recipient}",
            kind="convocation",
            recipient=recipient,
            subject="Convocation",
            body="Bonjour,\n",
            session_id=session.id,
        )
        for recipient in ("élodie@example.com", "paul@côte-formation.fr", "anne@example.com")
    }

    counts = delivery.dispatch_tick(commit)

    assert counts["sent"] == 2 and counts["failed"] == 1
    refused = rows["élodie@example.com"]
    db.session.refresh(refused)
    assert refused.error == "L'adresse « élodie@example.com » ne peut pas être utilisée dans un e-mail."
    # A domain in its Unicode form goes in its ASCII (IDNA) form, in the envelope and in To.
    assert sorted(address for item in smtp.received for address in item.rcpt_tos) == [
        "anne@example.com",
        "paul@xn--cte-formation-plb.fr",
    ]
    for item in smtp.received:
        assert_seven_bit_with_short_lines(item.data)
        assert item.message["To"].addresses[0].addr_spec in item.rcpt_tos


# --- The bytes sent: an ordinary e-mail written directly, as EmailMessage writes it ---------------

BODY_PIECES = st.one_of(
    st.sampled_from(
        ["\n", "\r\n", "\r", " ", "\t", "From ", ".", "=", "=?utf-8?q?x?=", "é", "€", "🎓", "\u00a0"]
    ),
    st.text(min_size=1, max_size=90),
)
BODIES = st.lists(BODY_PIECES, max_size=60).map("".join)
SENDERS = st.sampled_from(
    [
        "formation@example.com",
        "Service formation <formation@example.com>",
        '"Dupont, RH" <rh@example.com>',
        "Équipe Formation Île-de-France <formation@exämple.fr>",
    ]
)


def without_date(data: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\n", data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, subject=SUBJECTS, sender=SENDERS)
def test_an_ordinary_e_mail_is_sent_as_the_very_bytes_emailmessage_writes(app, body, subject, sender):
    """The sending writes a one-part e-mail straight to its bytes (five times faster): the bytes must
    be those of `build_message(...).as_bytes()`, whatever the body, the subject and the sender."""
    row = sending.OutgoingMessage(7, "key", "paul@exämple.fr", None, subject, body, None, None, 0, None)
    with app.app_context():
        expected = mail_message.build_message(row, sender, {}).as_bytes()
        sent = mail_message.message_bytes(row, sender, {})

    assert without_date(sent) == without_date(expected)
    assert re.search(rb"\r\nDate: [^\r]+ \+0000\r\n", sent)
