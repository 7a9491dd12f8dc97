//! Every mail Gatehouse sends, in plain words: one layout (text and HTML,
//! `templates/mail/`), the organisation's name, no remote images or
//! tracking, and a last line saying why the person got it.

use askama::Template;

use super::MailOrg;
use crate::domain::mail::Letter;
use crate::domain::{User, UserId};

/// Who a mail is for.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub user: UserId,
    /// The name to greet them by.
    pub name: &'a str,
    pub email: &'a str,
}

impl<'a> Recipient<'a> {
    /// `user`, at their address.
    pub fn of(user: &'a User) -> Recipient<'a> {
        Recipient {
            user: user.id,
            name: &user.full_name,
            email: &user.email,
        }
    }
}

/// The button of a mail, and the address behind it.
pub struct Action {
    pub label: &'static str,
    pub url: String,
}

/// A mail's words, filled into the layout.
pub struct Content {
    pub subject: String,
    /// Who sends it: the organisation's name.
    pub organisation: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub action: Option<Action>,
    /// Paragraphs after the button.
    pub after: Vec<String>,
    pub why: String,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct TextMail<'a> {
    m: &'a Content,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct HtmlMail<'a> {
    m: &'a Content,
}

impl Content {
    fn new(organisation: &str, to: Recipient<'_>, subject: String) -> Content {
        Content {
            subject,
            organisation: organisation.to_owned(),
            greeting: format!("Hello {},", to.name),
            paragraphs: Vec::new(),
            action: None,
            after: Vec::new(),
            why: String::new(),
        }
    }

    fn says(mut self, paragraph: impl Into<String>) -> Content {
        self.paragraphs.push(paragraph.into());
        self
    }

    fn button(mut self, label: &'static str, url: String) -> Content {
        self.action = Some(Action { label, url });
        self
    }

    fn then(mut self, paragraph: impl Into<String>) -> Content {
        self.after.push(paragraph.into());
        self
    }

    fn because(mut self, why: impl Into<String>) -> Content {
        self.why = why.into();
        self
    }

    /// The text and HTML bodies, for `to`.
    fn render(self, kind: &'static str, to: Recipient<'_>) -> anyhow::Result<Letter> {
        let text = TextMail { m: &self }.render()?;
        let html = HtmlMail { m: &self }.render()?;
        Ok(Letter {
            kind,
            to: to.email.to_owned(),
            user: Some(to.user),
            subject: self.subject,
            text,
            html,
        })
    }
}

/// A link to set a new password: asked for on the sign-in page, or sent by
/// an administrator.
pub fn password_reset(
    org: &MailOrg,
    to: Recipient<'_>,
    url: String,
    lifetime: &str,
    by_admin: bool,
) -> anyhow::Result<Letter> {
    let asked = match by_admin {
        true => "An administrator sent you a link to choose a new password for your account.",
        false => "Someone, probably you, asked to reset the password of your account.",
    };
    let name = &org.name;
    Content::new(name, to, format!("Reset your {name} password"))
        .says(asked)
        .says(format!(
            "The link works once, for {lifetime}. Signing in with your current password cancels it."
        ))
        .button("Choose a new password", url)
        .then(
            "If you did not ask for this, you can ignore this mail: your password stays as it is.",
        )
        .because(format!(
            "You got this mail because a password reset was asked for your {name} account ({}).",
            to.email
        ))
        .render("password_reset", to)
}

/// The notice that a password changed; `how` says by what ("from a reset
/// link", "on your account page").
pub fn password_changed(
    org: &MailOrg,
    to: Recipient<'_>,
    how: &str,
    every_session: bool,
) -> anyhow::Result<Letter> {
    let ended = match every_session {
        true => "Every signed-in session of your account was ended.",
        false => {
            "Every signed-in session of your account was ended, except the one that made the change."
        }
    };
    let name = &org.name;
    Content::new(name, to, format!("Your {name} password was changed"))
        .says(format!("The password of your account was changed {how}."))
        .says(ended)
        .then("If this was not you, ask an administrator to lock your account and send you a reset link at once.")
        .because(format!(
            "You got this security notice because the password of your {name} account ({}) changed. \
             Security notices cannot be turned off.",
            to.email
        ))
        .render("password_changed", to)
}

/// Why an address is being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verifying {
    /// The address given at registration.
    Registration,
    /// A new address the user gave on their profile.
    NewAddress,
}

/// The link that proves the person reads mail at `to.email`.
pub fn verify_email(
    org: &MailOrg,
    to: Recipient<'_>,
    url: String,
    lifetime: &str,
    why: Verifying,
) -> anyhow::Result<Letter> {
    let name = &org.name;
    let content = match why {
        Verifying::Registration => Content::new(name, to, format!("Confirm your email address for {name}"))
            .says(format!("Thank you for registering with {name}. Please confirm that this is your address."))
            .says("An administrator still has to approve your account; we will mail you when they have."),
        Verifying::NewAddress => Content::new(name, to, format!("Confirm your new email address for {name}"))
            .says(format!("You asked to use this address for your {name} account. Your old address stays in use until you open this link.")),
    };
    content
        .button("Confirm this address", url)
        .then(format!("The link works for {lifetime}. If you did not ask for this, ignore this mail: nothing changes."))
        .because(format!("You got this mail because this address was given for a {name} account."))
        .render("email_verify", to)
}

/// The notice to the old address that the account's address is changing.
pub fn email_change_notice(
    org: &MailOrg,
    to: Recipient<'_>,
    new_email: &str,
) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("The email address of your {name} account is changing"))
        .says(format!("Someone signed in to your account asked to use {new_email} instead of this address. It changes when the link sent there is opened."))
        .then("If this was not you, change your password at once and tell an administrator.")
        .because(format!(
            "You got this security notice because this is the address of your {name} account. \
             Security notices cannot be turned off."
        ))
        .render("email_change_notice", to)
}

/// The account was approved: they can sign in.
pub fn account_approved(org: &MailOrg, to: Recipient<'_>) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("Your {name} account was approved"))
        .says("An administrator approved your account. You can sign in now.")
        .button("Sign in", format!("{}/login", org.pages))
        .because(format!(
            "You got this mail because you registered with {name} ({}).",
            to.email
        ))
        .render("account_approved", to)
}

/// The registration was rejected, with the reviewer's reason.
pub fn account_rejected(org: &MailOrg, to: Recipient<'_>, reason: &str) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(
        name,
        to,
        format!("Your {name} registration was not approved"),
    )
    .says("An administrator did not approve your registration, for this reason:")
    .says(reason.to_owned())
    .then("If you think this is a mistake, contact an administrator of your organisation.")
    .because(format!(
        "You got this mail because you registered with {name} ({}).",
        to.email
    ))
    .render("account_rejected", to)
}

/// The account was disabled (with the reason) or enabled again.
pub fn account_disabled(org: &MailOrg, to: Recipient<'_>, reason: &str) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("Your {name} account was disabled"))
        .says("An administrator disabled your account, for this reason:")
        .says(reason.to_owned())
        .says("You are signed out everywhere and cannot sign in until it is enabled again.")
        .because(format!(
            "You got this security notice because it concerns your {name} account ({}). \
             Security notices cannot be turned off.",
            to.email
        ))
        .render("account_disabled", to)
}

pub fn account_enabled(org: &MailOrg, to: Recipient<'_>) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("Your {name} account was enabled"))
        .says("An administrator enabled your account again. You can sign in.")
        .button("Sign in", format!("{}/login", org.pages))
        .because(format!(
            "You got this security notice because it concerns your {name} account ({}). \
             Security notices cannot be turned off.",
            to.email
        ))
        .render("account_enabled", to)
}

/// An invitation to join, from an administrator.
pub fn invitation(
    org: &MailOrg,
    to: Recipient<'_>,
    inviter: &str,
    url: String,
    lifetime: &str,
) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("You are invited to {name}"))
        .says(format!("{inviter} invited you to {name}, the sign-in for your organisation's internal tools."))
        .says("Open the link to choose your username and password; your account is ready as soon as you do.")
        .button("Accept the invitation", url)
        .then(format!("The link works once, for {lifetime}. If you did not expect this, ignore this mail."))
        .because(format!("You got this mail because an administrator of {name} invited {}.", to.email))
        .render("invitation", to)
}

/// A role request was decided, with the reviewer's note.
pub fn role_request_decided(
    org: &MailOrg,
    to: Recipient<'_>,
    role: &str,
    granted: bool,
    note: Option<&str>,
) -> anyhow::Result<Letter> {
    let name = &org.name;
    let (subject, said) = match granted {
        true => (
            format!("You have the role {role} now"),
            format!("A reviewer granted your request for the role {role}."),
        ),
        false => (
            format!("Your request for the role {role} was refused"),
            format!("A reviewer refused your request for the role {role}."),
        ),
    };
    let mut content = Content::new(name, to, subject).says(said);
    if let Some(note) = note.filter(|n| !n.is_empty()) {
        content = content.says(format!("Their note: {note}"));
    }
    content
        .button("Open Gatehouse", format!("{}/", org.public))
        .because(format!("You got this mail because you asked {name} for a role. You can turn these mails off on your notification settings page."))
        .render("role_request_decided", to)
}

/// A sign-in from a browser or network not seen for this account lately.
pub fn new_sign_in(
    org: &MailOrg,
    to: Recipient<'_>,
    browser: &str,
    network: &str,
) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("A new sign-in to your {name} account"))
        .says(format!("Your account was signed in to from {browser}, on the network {network}, which it has not used in the last 90 days."))
        .then("If this was you, there is nothing to do. If not, change your password at once and sign out your other sessions from your sessions page.")
        .button("See your sessions", format!("{}/account/sessions", org.public))
        .because(format!(
            "You got this security notice because it concerns your {name} account ({}). Security notices cannot be turned off.",
            to.email
        ))
        .render("new_sign_in", to)
}

/// The account was locked after failed sign-ins.
pub fn account_locked(org: &MailOrg, to: Recipient<'_>, minutes: i64) -> anyhow::Result<Letter> {
    let name = &org.name;
    Content::new(name, to, format!("Your {name} account was locked"))
        .says(format!(
            "After several failed sign-ins, your account waits {} before it accepts another attempt.",
            match minutes {
                1 => "1 minute".to_owned(),
                n => format!("{n} minutes"),
            }
        ))
        .then("If these attempts were not yours, someone may be guessing your password: choose a stronger one once you are back in, or ask an administrator.")
        .because(format!(
            "You got this security notice because it concerns your {name} account ({}). Security notices cannot be turned off.",
            to.email
        ))
        .render("account_locked", to)
}

/// What waits for a reviewer, at most every 15 minutes.
pub fn reviewer_digest(
    org: &MailOrg,
    to: Recipient<'_>,
    waiting: &[String],
    queue: &str,
) -> anyhow::Result<Letter> {
    let name = &org.name;
    let mut content = Content::new(name, to, format!("Waiting for you in {name}"));
    for line in waiting {
        content = content.says(line.clone());
    }
    content
        .button("Open the queue", format!("{}{queue}", org.public))
        .because(format!(
            "You got this digest because you review registrations or role requests in {name}; it comes at most every 15 minutes. You can turn it off on your notification settings page."
        ))
        .render("reviewer_digest", to)
}
