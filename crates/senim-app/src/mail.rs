//! Notices by e-mail (issue 19: reliable mail). Every notice a change
//! writes also leaves, in the same transaction, a row per address in the
//! store's outbox (`senim_store::mail`); this worker claims due rows, sends
//! them through the relay configured in `smtp` and reports back: sent
//! (the row goes), failed (tried again after a back-off that doubles from
//! `mail_retry_seconds`, up to six hours) or failed for good (a permanent
//! refusal by the relay, a malformed address, or `mail_attempts` failures):
//! a dead letter that administrators see on `/admin` and retry there or with
//! `senim admin mail`.
//!
//! The relay is spoken to with `lettre`: STARTTLS when the relay offers it
//! (`smtp_tls = "opportunistic"`, the default), STARTTLS required
//! (`"starttls"`), TLS from the first byte (`"tls"`, port 465) or plain SMTP
//! (`"none"`, a relay on the same machine), with `smtp_username` and the
//! password in `smtp_password_file` when the relay asks for them (only over
//! TLS: a password is never sent in the clear).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use senim_domain::classification::Lang;
use senim_store::mail::{MailOutcome, OutgoingMail};
use senim_store::{Actor, Applied, Command};

use crate::config::{Config, SmtpTls};
use crate::i18n::Tr;
use crate::state::AppState;

/// How long one conversation with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Mails claimed at a time.
const BATCH: u32 = 20;
/// How long a claimed mail is the worker's before another may take it.
const LEASE_SECONDS: i64 = 120;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 6 * 3600;

/// The relay as configured, ready to send through.
pub struct Relay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Relay {
    /// The relay `config` names, if any; a configuration that would send a
    /// password in the clear, or names no port, is refused.
    pub fn from_config(config: &Config) -> Result<Option<Relay>, String> {
        let Some(relay) = &config.smtp else {
            return Ok(None);
        };
        let (host, port) = relay
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
            .ok_or_else(|| format!("smtp: `{relay}` is not host:port"))?;
        let tls = || {
            TlsParameters::new(host.to_string()).map_err(|e| format!("smtp: TLS for `{host}`: {e}"))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(TIMEOUT))
            .hello_name(ClientId::Domain("senim".into()));
        builder = match config.smtp_tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::Opportunistic => builder.tls(Tls::Opportunistic(tls()?)),
            SmtpTls::Starttls => builder.tls(Tls::Required(tls()?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        if let Some(user) = &config.smtp_username {
            if matches!(config.smtp_tls, SmtpTls::None | SmtpTls::Opportunistic) {
                return Err(
                    "smtp_username needs smtp_tls = \"starttls\" or \"tls\": a password is never sent over a connection that may be unencrypted".into(),
                );
            }
            let file = config.smtp_password_file.as_ref().ok_or(
                "smtp_username needs smtp_password_file (a file holding the relay's password)",
            )?;
            let password = std::fs::read_to_string(file)
                .map_err(|e| format!("smtp_password_file {}: {e}", file.display()))?;
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.trim_end_matches(['\n', '\r']).to_string(),
            ));
        }
        let from = format!("Senim <{}>", config.mail_from)
            .parse::<Mailbox>()
            .map_err(|e| format!("mail_from `{}`: {e}", config.mail_from))?;
        Ok(Some(Relay {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends one mail; `Err(true)` for a failure worth no retry.
    async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), (bool, String)> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| (true, format!("the address `{to}`: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| (true, format!("the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err((e.is_permanent(), e.to_string())),
        }
    }
}

/// The wait before attempt `attempts + 1`: `base`, doubling, capped.
pub fn backoff(base: u64, attempts: i64) -> i64 {
    let base = i64::try_from(base.max(1)).unwrap_or(i64::MAX);
    base.saturating_mul(1_i64 << attempts.clamp(0, 20))
        .min(MAX_BACKOFF_SECONDS)
}

/// Sends the mails that are due, once; returns how many were claimed.
pub async fn deliver_due(
    state: &AppState,
    relay: &Relay,
) -> Result<usize, senim_store::StoreError> {
    // A read first: an idle outbox costs no write transaction.
    if state.store.mail_waiting().await? == 0 {
        return Ok(0);
    }
    let claimed = state
        .store
        .execute(
            Actor::operator(),
            Command::ClaimMail {
                limit: BATCH,
                lease_seconds: LEASE_SECONDS,
            },
        )
        .await?;
    let Applied::Mail(mails) = claimed else {
        return Ok(0);
    };
    let count = mails.len();
    for mail in mails {
        let outcome = attempt(state, relay, &mail).await;
        state
            .store
            .execute(
                Actor::operator(),
                Command::ReportMail {
                    id: mail.id.clone(),
                    outcome,
                },
            )
            .await?;
    }
    Ok(count)
}

async fn attempt(state: &AppState, relay: &Relay, mail: &OutgoingMail) -> MailOutcome {
    let tr = Tr::new(Lang::Kk);
    let subject = match &mail.reference {
        Some(r) => tr.t1("mail-subject", "reference", r),
        None => tr.t1("mail-subject", "reference", "Senim"),
    };
    // A direct mail's link is the point of it (a password link, the report
    // status page): without a public address configured, its path at least.
    let link = match &state.config.public_url {
        Some(base) => Some(format!("{}{}", base.trim_end_matches('/'), mail.path)),
        None if mail.direct => Some(mail.path.clone()),
        None => None,
    };
    let text = body(
        &mail.key,
        &mail.args,
        &mail.text,
        link.as_deref(),
        mail.direct,
    );
    match relay.send(&mail.address, &subject, text).await {
        Ok(()) => MailOutcome::Sent,
        Err((permanent, error)) => {
            let tried = mail.attempts + 1;
            if permanent || tried >= i64::from(state.config.mail_attempts.max(1)) {
                tracing::warn!(to = %mail.address, error = %error, "mail not sent: a dead letter");
                MailOutcome::Dead { error }
            } else {
                let wait = backoff(state.config.mail_retry_seconds, mail.attempts);
                tracing::info!(to = %mail.address, error = %error, retry_in = wait, "mail not sent yet");
                MailOutcome::Retry {
                    error,
                    at: state.clock.now().plus_seconds(wait),
                }
            }
        }
    }
}

/// Runs the worker: every `mail_poll_ms`, the due mails; with no relay
/// configured, the outbox is emptied now and then (the inbox is the record).
pub fn start(state: AppState) -> Result<(), String> {
    let relay = Relay::from_config(&state.config)?;
    let every = Duration::from_millis(state.config.mail_poll_ms.max(10));
    tokio::spawn(async move {
        loop {
            match &relay {
                Some(relay) => loop {
                    match deliver_due(&state, relay).await {
                        // A full batch: more may be due at once.
                        Ok(n) if n == BATCH as usize => continue,
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "the mail outbox cannot be read");
                            break;
                        }
                    }
                },
                None => {
                    if let Err(e) = state
                        .store
                        .execute(Actor::operator(), Command::DiscardMail)
                        .await
                    {
                        tracing::warn!(error = %e, "the mail outbox cannot be emptied");
                    }
                }
            }
            tokio::time::sleep(if relay.is_some() { every } else { every * 30 }).await;
        }
    });
    Ok(())
}

/// A mail's body: the message (`key` with `args`, or `text` where a notice
/// has no message id) in Kazakh, Russian and English (an account keeps no
/// language of its own, and the state's two languages come first), each
/// with the link, then the footer in the three (a direct mail's says no
/// inbox keeps it: its reader may have none).
pub fn body(
    key: &str,
    args: &std::collections::BTreeMap<String, String>,
    text: &str,
    link: Option<&str>,
    direct: bool,
) -> String {
    let mut body = String::new();
    for lang in [Lang::Kk, Lang::Ru, Lang::En] {
        let tr = Tr::new(lang);
        body.push_str(&tr.notice(key, args, text));
        body.push('\n');
        if let Some(link) = link {
            body.push_str(&tr.t("mail-open"));
            body.push(' ');
            body.push_str(link);
            body.push('\n');
        }
        body.push('\n');
    }
    body.push_str("-- \n");
    for lang in [Lang::Kk, Lang::Ru, Lang::En] {
        body.push_str(&Tr::new(lang).t(if direct {
            "mail-footer-direct"
        } else {
            "mail-footer"
        }));
        body.push('\n');
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use senim_domain::case::{Notice, Recipient};
    use senim_domain::Role;

    #[test]
    fn a_mail_says_its_notice_in_three_languages() {
        let notice = Notice::new(
            Recipient::Role(Role::Supervisor),
            "notice-violation-decided",
            &[("sanction", "fine".into()), ("due", "2026-03-20".into())],
            "A violation was decided with a fine; you may appeal until 2026-03-20.".into(),
        );
        let mail = body(
            &notice.key,
            &notice.args,
            &notice.text,
            Some("https://senim.example/desk/cases/1"),
            false,
        );
        for words in [
            "санкция: Айыппұл",
            "санкция: Штраф. Обжаловать можно до 2026-03-20.",
            "sanction: Fine. You may appeal until 2026-03-20.",
            "Open it in Senim: https://senim.example/desk/cases/1",
        ] {
            assert!(mail.contains(words), "{words} not in {mail}");
        }
        // A notice without a message id keeps its English.
        let old = Notice {
            key: String::new(),
            ..notice
        };
        assert!(body_has_text(
            &body(&old.key, &old.args, &old.text, None, false),
            &old.text
        ));
    }

    /// Issue 20, finding 8: the tracking code was shown once and never
    /// mailed. A report with an address is answered by mail, in the three
    /// languages, with the code.
    #[test]
    fn a_reporter_is_mailed_the_tracking_code() {
        let args = [
            ("number".to_string(), "RPT-2026-000001".to_string()),
            ("code".to_string(), "ABCD-EFGH-JKLM".to_string()),
        ]
        .into();
        let mail = body(
            "mail-report-code",
            &args,
            "",
            Some("https://s.example/report/status"),
            true,
        );
        assert_eq!(mail.matches("ABCD-EFGH-JKLM").count(), 3, "{mail}");
        for words in [
            "Бақылау кодыңыз",
            "Ваш код отслеживания",
            "Your tracking code",
        ] {
            assert!(mail.contains(words), "{words} not in {mail}");
        }
    }

    #[test]
    fn a_password_is_never_sent_in_the_clear() {
        let mut config = Config {
            smtp: Some("mail.example.kz:587".into()),
            smtp_username: Some("senim".into()),
            smtp_password_file: Some("/nonexistent".into()),
            ..Config::default()
        };
        for tls in [SmtpTls::None, SmtpTls::Opportunistic] {
            config.smtp_tls = tls;
            let refused = Relay::from_config(&config).err().unwrap_or_default();
            assert!(refused.contains("smtp_tls"), "{refused}");
        }
        config.smtp_tls = SmtpTls::Starttls;
        let refused = Relay::from_config(&config).err().unwrap_or_default();
        assert!(refused.contains("smtp_password_file"), "{refused}");
        config.smtp_username = None;
        assert!(Relay::from_config(&config).unwrap().is_some());
        config.smtp = Some("no port".into());
        assert!(Relay::from_config(&config).is_err());
    }

    #[test]
    fn the_wait_doubles_and_stops_at_six_hours() {
        assert_eq!(backoff(60, 0), 60);
        assert_eq!(backoff(60, 1), 120);
        assert_eq!(backoff(60, 3), 480);
        assert_eq!(backoff(60, 30), MAX_BACKOFF_SECONDS);
        assert_eq!(backoff(0, 0), 1);
    }

    fn body_has_text(body: &str, text: &str) -> bool {
        body.matches(text).count() == 3
    }
}
