"""The e-mail channel: one message per delivery over SMTP, always upgraded with STARTTLS (a
server that does not offer it is refused, never sent to in the clear), then AUTH when a user
name is set. SMTP 4xx replies and lost connections are retried; 5xx replies, a refused login
and a certificate that does not verify are not. Any thread (the queue's worker)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from workstation.account.secrets import Secret
from workstation.notify.delivery import Delivery, Outcome


class EmailChannel:
    """``ca_file``: the CA bundle that signs the server's certificate (default: the system's)."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        to: tuple[str, ...],
        *,
        username: str | None = None,
        password: Secret | None = None,
        ca_file: str | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self.host, self.port, self.sender, self.to = host, port, sender, to
        self.username = username
        self._password = password
        self.ca_file = ca_file
        self.timeout_s = timeout_s

    def secrets(self) -> tuple[str, ...]:
        return (self._password.reveal(),) if self._password else ()

    def message(self, delivery: Delivery) -> EmailMessage:
        top = delivery.top
        more = f" (+{len(delivery.alerts) - 1} more)" if len(delivery.alerts) > 1 else ""
        msg = EmailMessage()
        msg["Subject"] = (
            f"workstation {top['severity'].upper()} {top['rule']} {top['symbol']}{more}"
        )
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Message-ID"] = f"<{delivery.id}@workstation>"  # the same on every retry
        msg.set_content(delivery.text() + "\n")
        return msg

    def send(self, delivery: Delivery) -> Outcome:
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                smtp.starttls(context=context)
                if self.username:
                    password = self._password.reveal() if self._password else ""
                    smtp.login(self.username, password)
                smtp.send_message(self.message(delivery))
        except smtplib.SMTPNotSupportedError:
            return Outcome(error="the server does not offer STARTTLS: not sent in the clear")
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return Outcome(status=max(codes), retry=all(400 <= c < 500 for c in codes))
        except smtplib.SMTPResponseException as exc:  # includes a refused login (535)
            return Outcome(status=exc.smtp_code, retry=400 <= exc.smtp_code < 500)
        except ssl.SSLError as exc:
            return Outcome(error=f"TLS: {exc.reason or type(exc).__name__}")
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, disconnected
            return Outcome(error=type(exc).__name__, retry=True)
        return Outcome(status=250)
