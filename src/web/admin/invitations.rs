//! Admin: invitations (`/admin/invitations`, `users.manage`): the form to
//! invite by email, the open invitations with Resend and Revoke, and, with
//! mail off, the links to hand over, shown once.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::outcome;
use crate::db::invitations::OpenInvitation;
use crate::domain::{Group, GroupId, Permission, Role, RoleId, Timestamp, UserId, Writer};
use crate::services::ServiceError;
use crate::services::invitations::{self, Delivery, InviteForm};
use crate::web::auth::Empty;
use crate::web::context::Ctx;
use crate::web::csrf::CsrfForm;
use crate::web::custom_fields::{self, FieldInput, Values};
use crate::web::error::AppError;
use crate::web::extractors::{Require, perm};
use crate::web::flash::{Flash, redirect_with};
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::render;

type Manage = Ctx<Require<perm::UsersManage>>;

/// An open invitation as the page lists it.
pub struct Row {
    pub user_id: i64,
    pub email: String,
    pub full_name: String,
    pub username: Option<String>,
    pub role_name: String,
    pub invited_by: String,
    pub created_at: Timestamp,
    pub last_sent_at: Timestamp,
}

impl From<OpenInvitation> for Row {
    fn from(i: OpenInvitation) -> Row {
        Row {
            user_id: i.user_id,
            email: i.email,
            full_name: i.full_name,
            username: (i.username_chosen != 0).then_some(i.username),
            role_name: i.role_name,
            invited_by: i.invited_by.unwrap_or_else(|| "an administrator".into()),
            created_at: Timestamp(i.created_at),
            last_sent_at: Timestamp(i.last_sent_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/invitations.html")]
struct InvitationsPage {
    layout: Layout,
    open: Vec<Row>,
    roles: Vec<Role>,
    groups: Vec<Group>,
    custom: Vec<FieldInput>,
    form: InviteFields,
    errors: FormErrors,
    /// Mail is on: invitations are mailed rather than handed over.
    mail: bool,
    /// The links to hand over (mail off), shown on the page that answers
    /// the form and never again.
    handed: Vec<(String, String)>,
}

impl InvitationsPage {
    fn role_selected(&self, id: &RoleId) -> bool {
        self.form.role_id == id.0.to_string()
    }

    fn group_checked(&self, id: &GroupId) -> bool {
        self.form.groups.iter().any(|g| *g == id.0.to_string())
    }
}

/// The form as posted; `rest` holds the custom fields (`field_{key}`) and
/// the CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct InviteFields {
    #[serde(default)]
    addresses: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

impl InviteFields {
    fn form(&self) -> InviteForm {
        InviteForm {
            addresses: self.addresses.chars().take(20_000).collect(),
            role: self.role_id.trim().parse().ok().map(RoleId),
            groups: self
                .groups
                .iter()
                .take(1000)
                .map(|g| GroupId(g.trim().parse().unwrap_or(-1)))
                .collect(),
            username: self.username.clone(),
            fields: custom_fields::typed(&self.rest),
        }
    }
}

async fn page(
    ctx: &Manage,
    form: InviteFields,
    errors: FormErrors,
    handed: Vec<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let open = invitations::list(&ctx.db, ctx.authorized()).await?;
    let roles = crate::services::queries::roles(&ctx.db, &ctx.scope()).await?;
    // Memberships are given by those who manage groups.
    let groups = match ctx.user().permissions.contains(Permission::GroupsManage) {
        true => crate::services::groups::list(&ctx.db, &ctx.scope()).await?,
        false => Vec::new(),
    };
    let fields = crate::services::fields::list(&ctx.db, &ctx.scope()).await?;
    let typed = custom_fields::typed(&form.rest);
    let custom = custom_fields::inputs(
        &fields,
        Values::Typed(&typed),
        &errors,
        Writer::Administrator,
    );
    let errors = custom_fields::gather_strays(errors, &custom);
    Ok(render(InvitationsPage {
        layout: ctx.layout().await?,
        open: open.into_iter().map(Row::from).collect(),
        roles,
        groups,
        custom,
        form,
        errors,
        mail: ctx.db.mail().enabled,
        handed,
    }))
}

pub async fn list(ctx: Manage) -> Result<HttpResponse, AppError> {
    let form = InviteFields {
        role_id: default_role(&ctx).await?,
        ..InviteFields::default()
    };
    page(&ctx, form, FormErrors::default(), Vec::new()).await
}

/// The organisation's role new accounts get by default, preselected.
async fn default_role(ctx: &Manage) -> Result<String, AppError> {
    let config = ctx
        .request()
        .app_data::<web::Data<crate::web::state::AppConfig>>()
        .map(|c| c.default_role.clone())
        .unwrap_or_default();
    let roles = crate::services::queries::roles(&ctx.db, &ctx.scope()).await?;
    Ok(roles
        .iter()
        .find(|r| r.name == config)
        .map(|r| r.id.0.to_string())
        .unwrap_or_default())
}

pub async fn invite(ctx: Manage, form: CsrfForm<InviteFields>) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    match invitations::invite(&ctx.db, ctx.authorized(), &fields.form(), &ctx.meta).await {
        Ok(Delivery::Mailed(addresses)) => Ok(redirect_with(
            "/admin/invitations",
            Flash::success(match addresses.len() {
                1 => format!("An invitation was mailed to {}.", addresses[0]),
                n => format!("{n} invitations were mailed."),
            }),
        )),
        Ok(Delivery::HandOver(links)) => {
            let form = InviteFields {
                role_id: default_role(&ctx).await?,
                ..InviteFields::default()
            };
            page(&ctx, form, FormErrors::default(), links).await
        }
        Err(err) => {
            let errors = FormErrors::from_service(err, "addresses")?;
            page(&ctx, fields, errors, Vec::new()).await
        }
    }
}

pub async fn resend(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(path.into_inner());
    match invitations::resend(&ctx.db, ctx.authorized(), id, &ctx.meta).await {
        Ok(Delivery::HandOver(links)) => {
            let form = InviteFields {
                role_id: default_role(&ctx).await?,
                ..InviteFields::default()
            };
            page(&ctx, form, FormErrors::default(), links).await
        }
        Err(ServiceError::NotFound) => Ok(redirect_with(
            "/admin/invitations",
            Flash::error("That invitation is no longer open: it was accepted or revoked."),
        )),
        result => outcome("/admin/invitations", result, |delivered| match delivered {
            Delivery::Mailed(to) => format!(
                "The invitation was mailed again to {}; the earlier link no longer works.",
                to.join(", ")
            ),
            Delivery::HandOver(_) => String::new(),
        }),
    }
}

pub async fn revoke(
    ctx: Manage,
    path: web::Path<i64>,
    _form: CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(path.into_inner());
    let result = invitations::revoke(&ctx.db, ctx.authorized(), id, &ctx.meta).await;
    match result {
        Err(ServiceError::NotFound) => Ok(redirect_with(
            "/admin/invitations",
            Flash::error("That invitation is no longer open: it was accepted or revoked."),
        )),
        result => outcome("/admin/invitations", result, |email| {
            format!("The invitation to {email} was revoked and its account deleted.")
        }),
    }
}
