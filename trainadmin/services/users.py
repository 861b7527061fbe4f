"""Back-office accounts."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext

from ..extensions import db
from ..models import Role, User
from .errors import DomainError

MIN_PASSWORD_LENGTH = 10


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError(gettext("Invalid e-mail address."), field="email") from None


def password_error(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return gettext("The password must be at least %(n)s characters long.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        return gettext("The password is too long.")
    return None


def set_password(user: User, password: str) -> None:
    error = password_error(password)
    if error:
        raise DomainError(error, field="password")
    user.set_password(password)


def create_user(email: str, role: Role | str, password: str, full_name: str = "", locale: str = "fr") -> User:
    address = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(
            gettext("Unknown role: choose one of %(roles)s.", roles=", ".join(r.value for r in Role)),
            field="role",
        ) from None
    if db.session.scalar(db.select(User.id).where(db.func.lower(User.email) == address)) is not None:
        raise DomainError(gettext("A user with this e-mail address already exists."), field="email")
    user = User(email=address, role=role, full_name=full_name, locale=locale)
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user
