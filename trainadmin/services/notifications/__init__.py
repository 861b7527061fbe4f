"""E-mail notifications and calendar invitations.

- rules.py               the global templates (« Modèles d'e-mails ») and each session's own rules
- defaults.py            the default e-mails' settings; their texts are in templates/emails/defaults/
- schedule.py            when each rule is due for each sequence (EmailSchedule rows), kept up to date
- compose.py             what a due schedule says and to whom (drafts), rendered from the rule's templates
- variables.py           the variables a template sees, built from the planning
- render.py              the sandboxed rendering of a template, and its checks before it is saved
- outbox.py              the ledger: one row per message and recipient, written before sending (never twice)
- delivery.py            the dispatcher tick: due schedules to the outbox, pending messages to the senders
- sending.py             the SMTP sending of outbox rows (claims, one connection per batch, retries)
- calendar.py            calendar invitations per sequence and participant (REQUEST / CANCEL)
- invitation_content.py  what an invitation says: days, places, iCalendar content, the e-mails' wording
- ics.py                 the iCalendar text of one invitation (a recurring series, a VTIMEZONE Outlook reads)
- events.py              what enrolments, cancellations and slot changes trigger
"""
