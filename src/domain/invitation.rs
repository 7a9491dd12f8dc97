//! Invitations: the addresses an administrator invites at once, one per
//! line, each as `address` or `Full Name <address>`.

use super::email::Email;
use super::full_name::FullName;

/// Addresses invited in one go, at most.
pub const BATCH_LIMIT: usize = 100;

/// An invitation link works this long (and is voided by a newer one).
pub const LIFETIME_WORDS: &str = "7 days";

/// One line of the batch, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub email: Email,
    /// The name given on the line, or the address's local part: the
    /// invitee can change it when they accept.
    pub full_name: FullName,
}

/// Reads the batch. Every line is checked; any bad line refuses the whole
/// batch, with one message per bad line ("Line 3: …").
pub fn parse_batch(text: &str) -> Result<Vec<Invitee>, Vec<String>> {
    let (invitees, errors) = read_lines(text);
    match errors.is_empty() {
        true => Ok(invitees.into_iter().map(|(_, i)| i).collect()),
        false => Err(errors),
    }
}

/// The batch's good lines with their numbers, and a message per bad line,
/// so that a caller can add its own findings (an address in use) to the
/// same answer.
pub fn read_lines(text: &str) -> (Vec<(usize, Invitee)>, Vec<String>) {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    if lines.is_empty() {
        return (Vec::new(), vec!["Enter at least one email address.".into()]);
    }
    if lines.len() > BATCH_LIMIT {
        let message = format!(
            "Invite at most {BATCH_LIMIT} addresses at once ({} given).",
            lines.len()
        );
        return (Vec::new(), vec![message]);
    }
    let mut invitees: Vec<(usize, Invitee)> = Vec::with_capacity(lines.len());
    let mut errors = Vec::new();
    for (number, line) in lines {
        match parse_line(line) {
            Ok(invitee)
                if invitees
                    .iter()
                    .any(|(_, i)| i.email.key() == invitee.email.key()) =>
            {
                errors.push(format!(
                    "Line {number}: {} is on an earlier line already.",
                    invitee.email.as_str()
                ));
            }
            Ok(invitee) => invitees.push((number, invitee)),
            Err(message) => errors.push(format!("Line {number}: {message}")),
        }
    }
    (invitees, errors)
}

fn parse_line(line: &str) -> Result<Invitee, String> {
    let (name, address) = match (line.rfind('<'), line.ends_with('>')) {
        (Some(open), true) => (Some(line[..open].trim()), &line[open + 1..line.len() - 1]),
        _ => (None, line),
    };
    let email = Email::parse(address.trim()).map_err(|e| e.0)?;
    let name = match name.filter(|n| !n.is_empty()) {
        Some(name) => name.trim_matches('"').to_owned(),
        None => email.local_part().to_owned(),
    };
    let full_name = FullName::parse(&name).map_err(|e| e.0)?;
    Ok(Invitee { email, full_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_an_address_or_a_name_and_an_address() {
        let batch =
            parse_batch("ada@example.com\n\n  Grace Hopper <grace@example.com>  \n").unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[0].email.as_str(), "ada@example.com");
        assert_eq!(batch[0].full_name.as_str(), "ada");
        assert_eq!(batch[1].email.as_str(), "grace@example.com");
        assert_eq!(batch[1].full_name.as_str(), "Grace Hopper");
    }

    #[test]
    fn one_bad_line_refuses_the_batch_with_a_message_per_bad_line() {
        let errors = parse_batch("ok@example.com\nnot an address\nok@example.com\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("Line 2: "), "{errors:?}");
        assert_eq!(
            errors[1],
            "Line 3: ok@example.com is on an earlier line already."
        );
    }

    #[test]
    fn an_empty_or_oversized_batch_is_refused() {
        assert!(parse_batch(" \n ").is_err());
        let many: String = (0..=BATCH_LIMIT)
            .map(|n| format!("u{n}@example.com\n"))
            .collect();
        assert!(parse_batch(&many).unwrap_err()[0].contains("at most"));
    }
}
