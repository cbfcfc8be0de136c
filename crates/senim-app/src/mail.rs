//! Notices by e-mail: every notice that lands in an inbox is also mailed to
//! the accounts it reaches, when `smtp` is configured.
//!
//! The client speaks plain SMTP (RFC 5321: EHLO, MAIL, RCPT, DATA) to one
//! relay, without TLS or authentication: point it at the local relay
//! (postfix, OpenSMTPD, msmtpd) that delivers onwards. Mail leaves after the
//! change has committed and is best effort: the inbox is the record, and a
//! failed delivery is logged, not retried.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use senim_domain::case::Notice;
use senim_domain::classification::Lang;

use crate::i18n::Tr;
use crate::state::AppState;

/// How long one conversation with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Mails `notices` to their recipients in the background. `reference`
/// names what they are about (a case number) in the subject; `path`, when
/// given, is the page to open, linked when `public_url` is set.
pub fn deliver(state: &AppState, notices: Vec<Notice>, reference: String, path: Option<String>) {
    let Some(relay) = state.config.smtp.clone() else {
        return;
    };
    if notices.is_empty() {
        return;
    }
    let state = state.clone();
    let link = match (&state.config.public_url, path) {
        (Some(base), Some(path)) => Some(format!("{}{path}", base.trim_end_matches('/'))),
        _ => None,
    };
    let subject = Tr::new(Lang::Kk).t1("mail-subject", "reference", &reference);
    tokio::spawn(async move {
        for notice in notices {
            let addresses = match state.store.addresses(&notice.recipient).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "mail: cannot resolve recipients");
                    continue;
                }
            };
            let body = body(&notice, link.as_deref());
            for to in addresses {
                let sent = tokio::time::timeout(
                    TIMEOUT,
                    send(&relay, &state.config.mail_from, &to, &subject, &body),
                )
                .await;
                match sent {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, to = %to, "mail not sent"),
                    Err(_) => tracing::warn!(to = %to, "mail not sent: the relay timed out"),
                }
            }
        }
    });
}

/// A notice's mail: the message in Kazakh, Russian and English (an account
/// keeps no language of its own, and the state's two languages come first),
/// each with the link, then the footer in the three.
pub fn body(notice: &Notice, link: Option<&str>) -> String {
    let mut body = String::new();
    for lang in [Lang::Kk, Lang::Ru, Lang::En] {
        let tr = Tr::new(lang);
        body.push_str(&tr.notice(&notice.key, &notice.args, &notice.text));
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
        body.push_str(&Tr::new(lang).t("mail-footer"));
        body.push('\n');
    }
    body
}

/// Reads one reply (all its lines) and checks its code class.
async fn expect(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    class: u8,
) -> std::io::Result<()> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::other("the relay closed the connection"));
        }
        let bytes = line.as_bytes();
        if bytes.len() < 4 || bytes[0] != class {
            return Err(std::io::Error::other(format!(
                "the relay answered `{}`",
                line.trim_end()
            )));
        }
        if bytes[3] == b' ' {
            return Ok(());
        }
    }
}

/// A header value as RFC 2047 encoded words when it is not plain ASCII
/// (names of systems are in Kazakh and Russian): each word at most 75
/// characters, split between characters.
fn encoded_header(text: &str) -> String {
    use base64::Engine;
    let text = one_line(text);
    if text.is_ascii() {
        return text;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        // 45 bytes of UTF-8 are 60 of base64: 72 with the word's frame.
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Keeps header values on one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Sends one message through the relay at `relay` (`host:port`).
pub async fn send(
    relay: &str,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> std::io::Result<()> {
    let (read, mut write) = TcpStream::connect(relay).await?.into_split();
    let mut reader = BufReader::new(read);
    expect(&mut reader, b'2').await?;
    for (command, class) in [
        ("EHLO senim\r\n".to_string(), b'2'),
        (format!("MAIL FROM:<{}>\r\n", one_line(from)), b'2'),
        (format!("RCPT TO:<{}>\r\n", one_line(to)), b'2'),
        ("DATA\r\n".to_string(), b'3'),
    ] {
        write.write_all(command.as_bytes()).await?;
        expect(&mut reader, class).await?;
    }
    let mut message = format!(
        "From: Senim <{}>\r\nTo: <{}>\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        one_line(from),
        one_line(to),
        encoded_header(subject)
    );
    for line in body.lines() {
        // Dot-stuffing (RFC 5321 4.5.2).
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push_str(".\r\n");
    write.write_all(message.as_bytes()).await?;
    expect(&mut reader, b'2').await?;
    write.write_all(b"QUIT\r\n").await?;
    let _ = expect(&mut reader, b'2').await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use senim_domain::case::Recipient;
    use senim_domain::Role;

    #[test]
    fn a_mail_says_its_notice_in_three_languages() {
        let notice = Notice::new(
            Recipient::Role(Role::Supervisor),
            "notice-violation-decided",
            &[("sanction", "fine".into()), ("due", "2026-03-20".into())],
            "A violation was decided with a fine; you may appeal until 2026-03-20.".into(),
        );
        let mail = body(&notice, Some("https://senim.example/desk/cases/1"));
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
        assert!(body_has_text(&body(&old, None), &old.text));
    }

    #[test]
    fn subjects_in_kazakh_are_encoded_words() {
        assert_eq!(
            encoded_header("Senim: REG-2026-000001"),
            "Senim: REG-2026-000001"
        );
        let subject = "Senim: Науқастарды сұрыптау жүйесі, жедел жәрдем бөлімі";
        let encoded = encoded_header(subject);
        assert!(encoded.is_ascii());
        let mut decoded = Vec::new();
        for line in encoded.split("\r\n ") {
            assert!(line.len() <= 75, "{line}");
            let b64 = line
                .strip_prefix("=?UTF-8?B?")
                .and_then(|l| l.strip_suffix("?="))
                .unwrap();
            use base64::Engine;
            decoded.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            );
        }
        assert_eq!(String::from_utf8(decoded).unwrap(), subject);
    }

    fn body_has_text(body: &str, text: &str) -> bool {
        body.matches(text).count() == 3
    }
}
