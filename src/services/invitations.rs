//! Invitations (`/admin/invitations`, `users.manage`): an administrator
//! invites colleagues by email with a role, groups and custom field values.
//! Each account is created Invited (no password; it cannot sign in) with a
//! link, valid 7 days, single use and resendable, to a page where the
//! invitee picks a username (unless the administrator did) and a password;
//! the account is then Active at once, since an administrator vouched for
//! it. Revoking an invitation deletes its account. With mail off the links
//! are shown once to hand over.

use secrecy::{ExposeSecret, SecretString};

use super::accounts::check_new_password;
use super::auth_settings::AuthSettings;
use super::mail::letters::{self, Recipient};
use super::work::Work;
use super::{Authorized, FieldErrors, RequestMeta, ServiceError, user_target};
use crate::auth::token;
use crate::db::invitations::{self as stored, Acceptance, NewInvitation, OpenInvitation};
use crate::db::one_time_links::{self, NewLink};
use crate::db::{self, Db, Scope};
use crate::domain::invitation::{Invitee, read_lines};
use crate::domain::link::LinkPurpose;
use crate::domain::permission::perm;
use crate::domain::{
    AuditAction, FullName, GroupId, Metadata, OrgId, Permission, RoleId, Timestamp, User, UserId,
    UserStatus, Username, Writer, passwords_match,
};

const INVITE: LinkPurpose = LinkPurpose::Invitation;

/// What the invitation form sends.
#[derive(Debug, Clone, Default)]
pub struct InviteForm {
    /// One address per line: `address` or `Full Name <address>`.
    pub addresses: String,
    pub role: Option<RoleId>,
    pub groups: Vec<GroupId>,
    /// Only with a single address: the username the invitee gets.
    pub username: String,
    /// Custom field values by key.
    pub fields: Vec<(String, String)>,
}

/// Where each invitation went.
pub enum Delivery {
    /// Mailed to these addresses.
    Mailed(Vec<String>),
    /// Mail is off: each address with its link to hand over, shown once.
    HandOver(Vec<(String, String)>),
}

/// Invites every address of the form, all or none: one bad line (a
/// malformed or taken address) refuses the batch with a message per line.
pub async fn invite(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    form: &InviteForm,
    meta: &RequestMeta,
) -> Result<Delivery, ServiceError> {
    let (lines, mut errors) = read_lines(&form.addresses);
    let chosen = chosen_username(form, lines.len())?;
    // Memberships are groups.manage's to give, here as on the group page.
    if !form.groups.is_empty() && !actor.permissions.contains(Permission::GroupsManage) {
        return Err(invalid(
            "groups",
            vec!["Putting people in groups needs the groups.manage permission.".into()],
        ));
    }
    let definitions = super::fields::list(db, &actor.scope).await?;
    let metadata = Metadata::default()
        .apply(&definitions, &form.fields, Writer::Administrator)
        .map_err(|wrong| {
            ServiceError::Invalid(wrong.into_iter().map(|(f, m)| (f.into(), m)).collect())
        })?;
    let mut work = Work::begin(db, actor, meta).await?;
    let role = match form.role {
        Some(role) => db::roles::find(work.tx(), role).await?,
        None => None,
    }
    .ok_or_else(|| invalid("role_id", vec!["Choose the role the invitees get.".into()]))?;
    for group in &form.groups {
        if db::groups::find(work.tx(), *group).await?.is_none() {
            return Err(invalid("groups", vec!["That group does not exist.".into()]));
        }
    }
    for (number, invitee) in &lines {
        if db::users::email_taken(work.tx(), &invitee.email, UserId(0)).await? {
            errors.push(format!(
                "Line {number}: an account with {} exists already.",
                invitee.email.as_str()
            ));
        }
    }
    if let Some(username) = &chosen
        && db::users::username_taken(work.tx(), username).await?
    {
        return Err(invalid(
            "username",
            vec!["This username is already taken.".into()],
        ));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|message| line_number(message));
        return Err(invalid("addresses", errors));
    }
    let invitees: Vec<Invitee> = lines.into_iter().map(|(_, i)| i).collect();
    let now = Timestamp::now();
    let mut mailed = Vec::new();
    let mut handed = Vec::new();
    for invitee in &invitees {
        let user = create_invited(&mut work, invitee, chosen.as_ref(), role.id, now).await?;
        if !metadata.is_empty() {
            db::custom_fields::set_metadata(work.tx(), user.id, &metadata, now).await?;
        }
        for group in &form.groups {
            db::groups::add_member(work.tx(), *group, user.id, now).await?;
        }
        stored::insert(
            work.tx(),
            &NewInvitation {
                user: user.id,
                invited_by: actor.id,
                username_chosen: chosen.is_some(),
                now,
            },
        )
        .await?;
        // Until the invitee picks a username, the address names them.
        let label = match chosen {
            Some(_) => &user.username,
            None => &user.email,
        };
        work.audit(AuditAction::UserInvited, Some(user_target(user.id, label)))
            .after(Some(format!("{} as {}", user.email, role.name)));
        match send(&mut work, &user, now).await? {
            Some(url) => handed.push((user.email.clone(), url)),
            None => mailed.push(user.email.clone()),
        }
    }
    work.commit("the invitations").await?;
    Ok(match handed.is_empty() {
        true => Delivery::Mailed(mailed),
        false => Delivery::HandOver(handed),
    })
}

/// How audit rows name an invitation: its username when the administrator
/// chose one, else its address (the placeholder username names nobody).
fn invitation_label(open: &OpenInvitation, user: &User) -> String {
    match open.username_chosen != 0 {
        true => user.username.clone(),
        false => user.email.clone(),
    }
}

/// The line a message is about ("Line 3: …"), for ordering them.
fn line_number(message: &str) -> usize {
    message
        .strip_prefix("Line ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A form's field error holding one message per line.
fn invalid(field: &'static str, lines: Vec<String>) -> ServiceError {
    ServiceError::Invalid(vec![(field.into(), lines.join(" "))])
}

/// The username the administrator chose, allowed for one address only.
fn chosen_username(form: &InviteForm, count: usize) -> Result<Option<Username>, ServiceError> {
    let typed = form.username.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if count > 1 {
        return Err(invalid(
            "username",
            vec!["Choose a username only when inviting one address; each invitee of a batch picks their own.".into()],
        ));
    }
    Username::parse(typed)
        .map(Some)
        .map_err(|e| ServiceError::field("username", e))
}

/// Inserts the Invited account: a placeholder username until the invitee
/// picks one, and no password.
async fn create_invited(
    work: &mut Work<'_>,
    invitee: &Invitee,
    chosen: Option<&Username>,
    role: RoleId,
    now: Timestamp,
) -> Result<User, ServiceError> {
    let placeholder;
    let username = match chosen {
        Some(username) => username,
        None => {
            placeholder = placeholder_username()?;
            &placeholder
        }
    };
    let id = db::users::insert(
        work.tx(),
        &db::users::NewUser {
            username,
            email: &invitee.email,
            full_name: &invitee.full_name,
            // No argon2 hash matches "!": nobody signs in before accepting.
            password_hash: "!",
            status: UserStatus::Invited,
            role_id: role,
            now,
        },
    )
    .await
    .map_err(|err| match db::is_unique_violation(&err) {
        true => ServiceError::Conflict(format!(
            "{} was taken meanwhile: nothing was changed.",
            invitee.email.as_str()
        )),
        false => anyhow::Error::new(err)
            .context("could not insert the invited account")
            .into(),
    })?;
    db::users::find(work.tx(), id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the invited account {id} is missing").into())
}

/// `invited-` and 8 random hex characters: never a username anyone typed
/// (usernames are checked, and this one is unique by chance of 1 in 4e9 per
/// organisation, and by the unique index otherwise).
fn placeholder_username() -> Result<Username, ServiceError> {
    let mut bytes = [0u8; 4];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    Username::parse(&format!("invited-{}", hex::encode(bytes)))
        .map_err(|e| anyhow::anyhow!("a placeholder username was refused: {}", e.0).into())
}

/// Voids the account's earlier invitation links and makes a new one: mailed
/// (`None`), or, with mail off, its address to hand over.
async fn send(
    work: &mut Work<'_>,
    user: &User,
    now: Timestamp,
) -> Result<Option<String>, ServiceError> {
    one_time_links::void(work.tx(), user.id, INVITE, now).await?;
    let (secret, hash) = token::link_secret();
    // A link that goes by mail proves the address when it is opened; one
    // handed over does not, so it records no address.
    let mailed = work.mail_enabled();
    one_time_links::insert(
        work.tx(),
        &NewLink {
            user: user.id,
            purpose: INVITE,
            token_hash: &hash,
            email: mailed.then_some(user.email.as_str()),
            now,
        },
    )
    .await?;
    let url = format!("{}/invitations/accept?token={secret}", work.public_url());
    if !work.mail_enabled() {
        return Ok(Some(url));
    }
    let org = work.mail_org().await?;
    let to = Recipient::of(user);
    let inviter = work.actor_name().unwrap_or("An administrator").to_owned();
    work.mail(letters::invitation(
        &org,
        to,
        &inviter,
        url,
        INVITE.lifetime_words(),
    )?);
    Ok(None)
}

/// The organisation's open invitations.
pub async fn list(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
) -> Result<Vec<OpenInvitation>, ServiceError> {
    let mut conn = db.acquire().await?;
    Ok(stored::list_open(actor.scope.on(&mut conn)).await?)
}

/// Sends an open invitation again with a new link (the old one stops
/// working).
pub async fn resend(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    id: UserId,
    meta: &RequestMeta,
) -> Result<Delivery, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let open = stored::find_open(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let user = db::users::find(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = Timestamp::now();
    let handed = send(&mut work, &user, now).await?;
    stored::touch_sent(work.tx(), id, now).await?;
    work.audit(
        AuditAction::InvitationResent,
        Some(user_target(id, &invitation_label(&open, &user))),
    )
    .after(Some(user.email.clone()));
    work.commit("the invitation").await?;
    Ok(match handed {
        Some(url) => Delivery::HandOver(vec![(user.email, url)]),
        None => Delivery::Mailed(vec![user.email]),
    })
}

/// Revokes an open invitation: its account is deleted. Returns the address.
pub async fn revoke(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    id: UserId,
    meta: &RequestMeta,
) -> Result<String, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let open = stored::find_open(work.tx(), id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !stored::delete_invited(work.tx(), id).await? {
        return Err(ServiceError::NotFound);
    }
    let label = match open.username_chosen != 0 {
        true => open.username.clone(),
        false => open.email.clone(),
    };
    work.audit(
        AuditAction::InvitationRevoked,
        Some(user_target(id, &label)),
    )
    .change(open.email.clone(), "deleted");
    work.commit("the revocation").await?;
    Ok(open.email)
}

/// What the acceptance page shows of an invitation.
pub struct Invitation {
    pub organisation: String,
    pub email: String,
    pub full_name: String,
    /// The username the administrator chose, which the invitee keeps.
    pub username: Option<String>,
}

/// The invitation `token` opens, if its link still works.
pub async fn open(db: &Db, token_text: &str) -> Result<Option<Invitation>, ServiceError> {
    let Some((organisation, user, open, _)) = live(db, token_text).await? else {
        return Ok(None);
    };
    let mut conn = db.acquire().await?;
    let org = super::mail::MailOrg::load(&mut conn, organisation, db.mail()).await?;
    Ok(Some(Invitation {
        organisation: org.name,
        email: user.email,
        full_name: user.full_name,
        username: (open.username_chosen != 0).then_some(open.username),
    }))
}

async fn live(
    db: &Db,
    token_text: &str,
) -> Result<Option<(OrgId, User, OpenInvitation, bool)>, ServiceError> {
    let mut conn = db.acquire().await?;
    let Some(link) = super::links::live(&mut conn, token_text, INVITE).await? else {
        return Ok(None);
    };
    let scope = Scope::organisation(link.organisation);
    let Some(open) = stored::find_open(scope.on(&mut conn), link.user).await? else {
        return Ok(None);
    };
    let user = db::users::find(scope.on(&mut conn), link.user).await?;
    let mailed = link.email.is_some();
    Ok(user.map(|user| (link.organisation, user, open, mailed)))
}

/// What the invitee sends.
pub struct AcceptForm {
    pub username: String,
    pub full_name: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

/// What became of an acceptance.
pub enum Accepted {
    /// Active now: the username, and the organisation's sign-in page.
    Done {
        username: String,
        login_page: String,
    },
    /// The link was used, voided, expired or revoked.
    LinkGone,
}

/// Accepts the invitation: the account is Active at once with the chosen
/// username and password. The address counts as confirmed when the link
/// came by mail.
pub async fn accept(
    db: &Db,
    auth: &AuthSettings,
    token_text: &str,
    form: AcceptForm,
    meta: &RequestMeta,
) -> Result<Accepted, ServiceError> {
    let Some((organisation, user, open, mailed)) = live(db, token_text).await? else {
        return Ok(Accepted::LinkGone);
    };
    let mut errors = FieldErrors::default();
    let username = match open.username_chosen != 0 {
        true => Username::parse(&open.username).ok(),
        false => errors.check("username", Username::parse(&form.username)),
    };
    let full_name = errors.check("full_name", FullName::parse(&form.full_name));
    check_new_password(
        &mut errors,
        "password",
        &auth.password_policy,
        form.password.expose_secret(),
        username.as_ref().map_or("", Username::as_str),
        &user.email,
    );
    errors.check(
        "password_confirm",
        passwords_match(
            form.password.expose_secret(),
            form.password_confirm.expose_secret(),
        ),
    );
    errors.into_result()?;
    let (Some(username), Some(full_name)) = (username, full_name) else {
        return Err(anyhow::anyhow!("validation passed without values").into());
    };
    let hash = auth.hasher.hash(form.password).await?;
    let now = Timestamp::now();
    let mut work = Work::in_scope(db, Scope::organisation(organisation), meta).await?;
    if open.username_chosen == 0 && db::users::username_taken(work.tx(), &username).await? {
        return Err(ServiceError::field(
            "username",
            crate::domain::FieldError::new("This username is already taken."),
        ));
    }
    if !one_time_links::use_once(work.tx(), &token::hash(token_text), user.id, now).await? {
        work.rollback("the acceptance").await?;
        return Ok(Accepted::LinkGone);
    }
    let acceptance = Acceptance {
        user: user.id,
        username: &username,
        full_name: &full_name,
        email: &user.email,
        password_hash: &hash,
        email_verified: mailed,
        now,
    };
    if !stored::accept(work.tx(), &acceptance).await? {
        work.rollback("the acceptance").await?;
        return Ok(Accepted::LinkGone);
    }
    let actor = Some((user.id, username.as_str()));
    work.audit(
        AuditAction::InvitationAccepted,
        Some(user_target(user.id, username.as_str())),
    )
    .by(actor)
    .change(UserStatus::Invited.as_str(), UserStatus::Active.as_str());
    let org = work.mail_org().await?;
    work.commit("the acceptance").await?;
    Ok(Accepted::Done {
        username: username.as_str().to_owned(),
        login_page: format!("{}/login", org.prefix),
    })
}
